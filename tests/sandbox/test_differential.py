"""Differential test: the sandbox's COQL answers against hand-written SQLite over the same database.

Each case pairs a Zoho-strict COQL query with a SQLite query written by hand from the storage
table in ``coqlkit/sandbox/store.py`` (never produced by coqlkit's SQL layer). The COQL goes over
real HTTP; the SQL runs on the sandbox's own database file; the SQL rows are turned into Zoho's
JSON form by :func:`to_zoho` below, and the two lists must be equal.

Literal values (a real Lead_Status, an account id, a date ...) are read from the data by the
``facts`` fixture, so every query matches rows; each hand-written SQL must return at least one
row, except in the one case that is about an empty answer (204).

The expected semantics are those ``coqlkit/sandbox/sql.py`` documents: text compares without
regard to case, ``%`` is the only LIKE wildcard (``_`` is literal), ``!=`` / ``not in`` /
``not like`` / ``not between`` never match an empty value, records come in id order unless
ordered otherwise (ties broken by id), grouped rows in the order of their group keys, a
subquery contributes at most 100 records. Where Zoho's own behaviour is not documented the
SQL follows SQLite (NULLs first in ascending order, last in descending order).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from coqlkit.sandbox.server import Sandbox
from coqlkit.sandbox.store import Store
from tests.sandbox.conftest import Api

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))  # a literal's offset that is not the org's


# ---- values picked from the data ------------------------------------------------------------


def ist(stored: str) -> str:
    """A stored UTC datetime as a COQL literal at +05:30: the same instant, another offset."""
    return dt.datetime.fromisoformat(stored).replace(tzinfo=dt.timezone.utc).astimezone(IST).isoformat()


def _one(conn: sqlite3.Connection, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    assert row is not None and row[0] is not None, sql
    return row[0]


def _common(conn: sqlite3.Connection, table: str, column: str, rank: int = 0, where: str = "1") -> Any:
    """The ``rank``-th most frequent non-empty value of a column."""
    return _one(
        conn,
        f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL AND {where} '
        f'GROUP BY "{column}" ORDER BY COUNT(*) DESC, "{column}" LIMIT 1 OFFSET {rank}',
    )


def _nth(conn: sqlite3.Connection, table: str, column: str, fraction: float) -> Any:
    """The value at ``fraction`` of a column's sorted non-empty values."""
    return _one(
        conn,
        f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL ORDER BY "{column}", id '
        f'LIMIT 1 OFFSET (SELECT CAST(COUNT("{column}") * {fraction} AS INTEGER) FROM "{table}")',
    )


@pytest.fixture(scope="module")
def facts(sandbox: Sandbox) -> dict[str, Any]:
    """Literals for the queries, read from the sandbox's own data (the same keys serve the
    COQL templates, through ``str.format``, and the SQL, as named parameters)."""
    assert sandbox.state is not None
    conn = sandbox.state.store.conn
    plain = "\"{c}\" NOT LIKE '%''%'"  # no apostrophe: the value goes into a COQL string as is
    f: dict[str, Any] = {}
    f["status"] = _common(conn, "Leads", "Lead_Status")
    f["status2"] = _common(conn, "Leads", "Lead_Status", 1)
    f["status_up"], f["status_low"] = f["status"].upper(), f["status"].lower()
    f["status_part"] = f["status2"][1:-2].upper()  # 'ONTACT': inside several statuses
    f["source"] = _common(conn, "Leads", "Lead_Source")
    f["source2"] = _common(conn, "Leads", "Lead_Source", 1)
    f["rating"] = _common(conn, "Leads", "Rating")
    f["last"] = _common(conn, "Leads", "Last_Name", where=plain.format(c="Last_Name"))
    f["last2"] = _common(conn, "Leads", "Last_Name", 1, where=plain.format(c="Last_Name"))
    f["last_up"], f["last2_up"] = f["last"].upper(), f["last2"].upper()
    f["word"] = _one(
        conn,
        "SELECT substr(Company, 1, instr(Company, ' ') - 1) AS w FROM Leads WHERE instr(Company, ' ') > 1 "
        "AND Company NOT LIKE '%''%' GROUP BY w ORDER BY COUNT(*) DESC, w LIMIT 1",
    )
    f["word_low"] = f["word"].lower()
    f["word_blank"] = f["word"][0] + "_" + f["word"][2:]  # 'T_tan': matches nothing if '_' is literal
    f["email"] = _common(conn, "Leads", "Email", where=plain.format(c="Email"))
    emails = [r[0] for r in conn.execute("SELECT Email FROM Leads WHERE Email IS NOT NULL")]
    f["tld"] = Counter(e[e.rindex(".") :] for e in emails).most_common()[-1][0].upper()  # the rarest
    f["city"] = _common(conn, "Leads", "City", where=plain.format(c="City"))
    for name, frac in (("emp_lo", 0.30), ("emp_mid", 0.33), ("emp_hi", 0.36)):
        f[name] = _nth(conn, "Leads", "No_of_Employees", frac)
    f["emp_eq"] = _common(conn, "Leads", "No_of_Employees")
    for name, frac in (("rev_lo", 0.60), ("rev_hi", 0.64)):
        f[name] = _nth(conn, "Leads", "Annual_Revenue", frac)
    f["rev_eq"] = _common(conn, "Leads", "Annual_Revenue")
    f["owner"] = _common(conn, "Leads", "Owner")
    f["owner2"] = _common(conn, "Leads", "Owner", 1)
    f["account"] = _common(conn, "Contacts", "Account_Name")
    f["account2"] = _common(conn, "Contacts", "Account_Name", 1)
    f["task_status"] = _common(conn, "Tasks", "Status")
    f["industry"] = _one(
        conn,
        "SELECT Industry FROM Accounts WHERE Industry IS NOT NULL GROUP BY Industry "
        "HAVING COUNT(*) BETWEEN 20 AND 60 ORDER BY COUNT(*) DESC, Industry LIMIT 1",
    )
    f["day"] = _common(conn, "Tasks", "Due_Date")
    f["day2"] = _common(conn, "Tasks", "Due_Date", 1)
    f["lead1"] = _nth(conn, "Leads", "id", 0.5)
    f["lead2"] = _nth(conn, "Leads", "id", 0.51)
    f["what"] = _common(conn, "Tasks", "What_Id", where="\"What_Id$module\" = 'Accounts'")
    f["what2"] = _common(conn, "Tasks", "What_Id", where="\"What_Id$module\" = 'Deals'")
    f["letter"] = _common(conn, "Accounts", "Account_Name")[0]
    for name, frac in (("dob_lo", 0.40), ("dob_mid", 0.45), ("dob_hi", 0.50)):
        f[name] = _nth(conn, "Contacts", "Date_of_Birth", frac)
    f["dob_eq"] = _common(conn, "Contacts", "Date_of_Birth")
    # Datetimes: the SQL side compares stored UTC text; the COQL side gets the same instant at +05:30.
    for name, frac in (("created", 0.10), ("t1", 0.20), ("t2", 0.23), ("t3", 0.26)):
        f[name] = _nth(conn, "Leads", "Created_Time", frac)
        f[name + "_ist"] = ist(f[name])
    for name, frac in (("u1", 0.30), ("u2", 0.60), ("u_eq", 0.50)):
        f[name] = _nth(conn, "Leads", "Unsubscribed_Time", frac)
        f[name + "_ist"] = ist(f[name])
    f["lang"] = _common(conn, "Leads", "Languages_Spoken", where="instr(Languages_Spoken, ';') = 0")
    f["lang_up"] = f["lang"].upper()
    f["multi"] = _common(conn, "Leads", "Languages_Spoken", where="instr(Languages_Spoken, ';') > 0")
    f["profile"] = _common(conn, "Users", "profile")
    f["profile_low"] = f["profile"].lower()
    return f


# ---- SQL rows → Zoho's JSON ------------------------------------------------------------------


def to_zoho(store: Store, columns: str, row: Sequence[Any]) -> dict[str, Any]:
    """One hand-written SQL row as the record Zoho would send.

    ``columns`` is ``key:kind`` words; a ``lookup`` takes two SQL columns (the id, then the
    target's display field), every other kind one:

    id, bigint: a digit string; str, date, num: as stored; bool: 0/1 → false/true;
    dt: stored UTC → the org's offset (``Store.local``); multi: ``;``-joined → a list;
    lookup: ``{"name", "id"}``; ref (multi-module or consent lookup): ``{"id"}``;
    count: an int; avg: a float.
    """
    out: dict[str, Any] = {}
    values = iter(row)
    for word in columns.split():
        key, kind = word.rsplit(":", 1)
        value = next(values)
        if kind == "lookup":
            name = next(values)
            out[key] = None if value is None else {"name": name, "id": str(value)}
        elif kind == "count":
            out[key] = int(value or 0)
        elif value is None:
            out[key] = None
        elif kind in ("id", "bigint"):
            out[key] = str(value)
        elif kind in ("str", "date", "num"):
            out[key] = value
        elif kind == "bool":
            out[key] = bool(value)
        elif kind == "dt":
            out[key] = store.local(value)
        elif kind == "multi":
            out[key] = value.split(";") if value else []
        elif kind == "ref":
            out[key] = {"id": str(value)}
        elif kind == "avg":
            out[key] = float(value)
        else:  # pragma: no cover - a typo in a case
            raise ValueError(kind)
    assert next(values, None) is None, f"more SQL columns than {columns!r}"
    return out


def _norm(value: Any) -> Any:
    """Floats to 6 places (SUM and AVG may add in another order), recursively."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _types(value: Any) -> Any:
    """The JSON type of every leaf (``==`` alone takes ``true`` for ``1`` and ``5.0`` for ``5``)."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def _sqlite_order(value: Any) -> tuple[int, Any]:
    """SQLite's ascending order: NULL, numbers, text; a lookup sorts by its stored id."""
    if value is None:
        return (0, 0)
    if isinstance(value, dict):
        return (1, int(value["id"]))
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value)


# ---- the cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    coql: str  # a str.format template over ``facts``
    sql: str  # hand-written SQLite with :named parameters from ``facts``
    columns: str  # how the SQL columns become the record (see to_zoho)
    group: tuple[str, ...] = ()  # group keys: compare as sorted lists, check the order separately
    empty: bool = False  # the one case about an answer with no rows


def case(ident: str, coql: str, sql: str, columns: str, **extra: Any) -> Any:
    marks = extra.pop("marks", ())
    return pytest.param(
        Case(" ".join(coql.split()), " ".join(sql.split()), columns, **extra), id=ident, marks=marks
    )


LEAD = "id:id Last_Name:str"  # the id Zoho always adds, and the usual first column

CASES = [
    # ---- text: = != like not like in not in is null is not null -------------------------
    case(
        "text-eq-ignores-case",
        "select Last_Name, First_Name from Leads where Last_Name = '{last_up}'",
        "SELECT id, Last_Name, First_Name FROM Leads WHERE lower(Last_Name) = lower(:last) ORDER BY id LIMIT 200",
        f"{LEAD} First_Name:str",
    ),
    case(
        "text-ne-skips-empty",
        "select Last_Name, Email from Leads where (Email != '{email}' and Lead_Status = '{status}') limit 2000",
        """SELECT id, Last_Name, Email FROM Leads
           WHERE Email IS NOT NULL AND lower(Email) <> lower(:email) AND lower(Lead_Status) = lower(:status)
           ORDER BY id LIMIT 2000""",
        f"{LEAD} Email:str",
    ),
    case(
        "text-like-prefix-ignores-case",
        "select Company from Leads where Company like '{word_low}%'",
        "SELECT id, Company FROM Leads WHERE substr(lower(Company), 1, length(:word)) = lower(:word) ORDER BY id LIMIT 200",
        "id:id Company:str",
    ),
    case(
        "text-like-suffix",
        "select Email from Leads where Email like '%{tld}'",
        "SELECT id, Email FROM Leads WHERE substr(lower(Email), -length(:tld)) = lower(:tld) ORDER BY id LIMIT 200",
        "id:id Email:str",
    ),
    case(
        "text-like-underscore-is-literal",
        "select Company, Last_Name from Leads where (Company like '{word_blank}%' or Last_Name = '{last}')",
        """SELECT id, Company, Last_Name FROM Leads
           WHERE substr(lower(Company), 1, length(:word_blank)) = lower(:word_blank) OR lower(Last_Name) = lower(:last)
           ORDER BY id LIMIT 200""",
        "id:id Company:str Last_Name:str",
    ),
    case(
        "text-not-like-skips-empty",
        "select Company from Leads where (Company not like '%{word_low}%' and Lead_Source = '{source}')",
        """SELECT id, Company FROM Leads
           WHERE Company IS NOT NULL AND instr(lower(Company), lower(:word)) = 0
             AND lower(Lead_Source) = lower(:source)
           ORDER BY id LIMIT 200""",
        "id:id Company:str",
    ),
    case(
        "text-in-ignores-case",
        "select Last_Name from Leads where Last_Name in ('{last}', '{last2_up}')",
        "SELECT id, Last_Name FROM Leads WHERE lower(Last_Name) IN (lower(:last), lower(:last2)) ORDER BY id LIMIT 200",
        LEAD,
    ),
    case(
        "text-not-in",
        "select Last_Name from Leads where (Last_Name not in ('{last}', '{last2}') and Rating = '{rating}') limit 2000",
        """SELECT id, Last_Name FROM Leads
           WHERE lower(Last_Name) NOT IN (lower(:last), lower(:last2)) AND lower(Rating) = lower(:rating)
           ORDER BY id LIMIT 2000""",
        LEAD,
    ),
    case(
        "text-is-null",
        "select Last_Name, Email from Leads where Email is null",
        "SELECT id, Last_Name, Email FROM Leads WHERE Email IS NULL ORDER BY id LIMIT 200",
        f"{LEAD} Email:str",
    ),
    case(
        "text-is-not-null-and-eq",
        "select City from Leads where (City is not null and City = '{city}')",
        "SELECT id, City FROM Leads WHERE City IS NOT NULL AND lower(City) = lower(:city) ORDER BY id LIMIT 200",
        "id:id City:str",
    ),
    # ---- picklist ----------------------------------------------------------------------------
    case(
        "picklist-eq-ignores-case",
        "select Lead_Status from Leads where Lead_Status = '{status_up}' limit 2000",
        "SELECT id, Lead_Status FROM Leads WHERE lower(Lead_Status) = lower(:status) ORDER BY id LIMIT 2000",
        "id:id Lead_Status:str",
    ),
    case(
        "picklist-ne-skips-empty",
        "select Lead_Status from Leads where Lead_Status != '{status}' limit 2000",
        """SELECT id, Lead_Status FROM Leads WHERE Lead_Status IS NOT NULL AND lower(Lead_Status) <> lower(:status)
           ORDER BY id LIMIT 2000""",
        "id:id Lead_Status:str",
    ),
    case(
        "picklist-in",
        "select Lead_Status from Leads where Lead_Status in ('{status_low}', '{status2}') limit 2000",
        """SELECT id, Lead_Status FROM Leads WHERE lower(Lead_Status) IN (lower(:status), lower(:status2))
           ORDER BY id LIMIT 2000""",
        "id:id Lead_Status:str",
    ),
    case(
        "picklist-not-in-skips-empty",
        "select Lead_Source from Leads where Lead_Source not in ('{source}', '{source2}') limit 2000",
        """SELECT id, Lead_Source FROM Leads
           WHERE Lead_Source IS NOT NULL AND lower(Lead_Source) NOT IN (lower(:source), lower(:source2))
           ORDER BY id LIMIT 2000""",
        "id:id Lead_Source:str",
    ),
    case(
        "picklist-is-null",
        "select Lead_Status from Leads where Lead_Status is null",
        "SELECT id, Lead_Status FROM Leads WHERE Lead_Status IS NULL ORDER BY id LIMIT 200",
        "id:id Lead_Status:str",
    ),
    case(
        "picklist-like-contains",
        "select Lead_Status from Leads where Lead_Status like '%{status_part}%' limit 2000",
        "SELECT id, Lead_Status FROM Leads WHERE instr(lower(Lead_Status), lower(:status_part)) > 0 ORDER BY id LIMIT 2000",
        "id:id Lead_Status:str",
    ),
    case(
        "picklist-not-like-and-is-not-null",
        "select Rating, Lead_Status from Leads where (Rating not like '%{rating}%' and Lead_Status is not null)",
        """SELECT id, Rating, Lead_Status FROM Leads
           WHERE Rating IS NOT NULL AND instr(lower(Rating), lower(:rating)) = 0 AND Lead_Status IS NOT NULL
           ORDER BY id LIMIT 200""",
        "id:id Rating:str Lead_Status:str",
    ),
    # ---- number (integer, bigint) --------------------------------------------------------------
    case(
        "integer-eq",
        "select No_of_Employees from Leads where No_of_Employees = '{emp_eq}'",
        "SELECT id, No_of_Employees FROM Leads WHERE No_of_Employees = :emp_eq ORDER BY id LIMIT 200",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-gt",
        "select No_of_Employees from Leads where No_of_Employees > '{emp_hi}' limit 2000",
        "SELECT id, No_of_Employees FROM Leads WHERE No_of_Employees > :emp_hi ORDER BY id LIMIT 2000",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-ge-and-le",
        "select No_of_Employees from Leads where (No_of_Employees >= '{emp_lo}' and No_of_Employees <= '{emp_hi}')",
        """SELECT id, No_of_Employees FROM Leads WHERE No_of_Employees >= :emp_lo AND No_of_Employees <= :emp_hi
           ORDER BY id LIMIT 200""",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-lt",
        "select No_of_Employees from Leads where No_of_Employees < '{emp_lo}' limit 2000",
        "SELECT id, No_of_Employees FROM Leads WHERE No_of_Employees < :emp_lo ORDER BY id LIMIT 2000",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-between",
        "select No_of_Employees from Leads where No_of_Employees between '{emp_lo}' and '{emp_mid}'",
        """SELECT id, No_of_Employees FROM Leads WHERE No_of_Employees >= :emp_lo AND No_of_Employees <= :emp_mid
           ORDER BY id LIMIT 200""",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-not-between-skips-empty",
        "select No_of_Employees from Leads where No_of_Employees not between '{emp_lo}' and '{emp_hi}' limit 2000",
        """SELECT id, No_of_Employees FROM Leads
           WHERE No_of_Employees IS NOT NULL AND (No_of_Employees < :emp_lo OR No_of_Employees > :emp_hi)
           ORDER BY id LIMIT 2000""",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-in",
        "select No_of_Employees from Leads where No_of_Employees in ('{emp_eq}', '{emp_lo}', '{emp_hi}')",
        """SELECT id, No_of_Employees FROM Leads WHERE No_of_Employees IN (:emp_eq, :emp_lo, :emp_hi)
           ORDER BY id LIMIT 200""",
        "id:id No_of_Employees:num",
    ),
    case(
        "integer-not-in-and-ne",
        "select No_of_Employees from Leads where (No_of_Employees not in ('{emp_eq}') and No_of_Employees != '{emp_lo}')",
        """SELECT id, No_of_Employees FROM Leads
           WHERE No_of_Employees IS NOT NULL AND No_of_Employees <> :emp_eq AND No_of_Employees <> :emp_lo
           ORDER BY id LIMIT 200""",
        "id:id No_of_Employees:num",
    ),
    case(
        "bigint-selected-as-strings",
        "select Customer_Number, Visitor_Score from Leads where Customer_Number is not null",
        "SELECT id, Customer_Number, Visitor_Score FROM Leads WHERE Customer_Number IS NOT NULL ORDER BY id LIMIT 200",
        "id:id Customer_Number:bigint Visitor_Score:bigint",
    ),
    case(
        "id-between-and-not-in",
        "select Last_Name from Leads where (id between '{lead1}' and '{lead2}' and id not in ('{lead1}'))",
        "SELECT id, Last_Name FROM Leads WHERE id > :lead1 AND id <= :lead2 ORDER BY id LIMIT 200",
        LEAD,
    ),
    case(
        "id-ge-lt-in",
        "select Last_Name from Leads where ((id >= '{lead1}' and id < '{lead2}') or id in ('{lead2}'))",
        "SELECT id, Last_Name FROM Leads WHERE id >= :lead1 AND id <= :lead2 ORDER BY id LIMIT 200",
        LEAD,
    ),
    # ---- currency ------------------------------------------------------------------------------
    case(
        "currency-eq",
        "select Annual_Revenue from Leads where Annual_Revenue = '{rev_eq}'",
        "SELECT id, Annual_Revenue FROM Leads WHERE Annual_Revenue = :rev_eq ORDER BY id LIMIT 200",
        "id:id Annual_Revenue:num",
    ),
    case(
        "currency-gt-and-le",
        "select Annual_Revenue from Leads where (Annual_Revenue > '{rev_lo}' and Annual_Revenue <= '{rev_hi}')",
        """SELECT id, Annual_Revenue FROM Leads WHERE Annual_Revenue > :rev_lo AND Annual_Revenue <= :rev_hi
           ORDER BY id LIMIT 200""",
        "id:id Annual_Revenue:num",
    ),
    case(
        "currency-between",
        "select Annual_Revenue from Leads where Annual_Revenue between '{rev_lo}' and '{rev_hi}'",
        """SELECT id, Annual_Revenue FROM Leads WHERE Annual_Revenue >= :rev_lo AND Annual_Revenue <= :rev_hi
           ORDER BY id LIMIT 200""",
        "id:id Annual_Revenue:num",
    ),
    case(
        "currency-not-between-skips-empty",
        "select Annual_Revenue from Leads where Annual_Revenue not between '{rev_lo}' and '{rev_hi}' limit 2000",
        """SELECT id, Annual_Revenue FROM Leads
           WHERE Annual_Revenue IS NOT NULL AND NOT (Annual_Revenue >= :rev_lo AND Annual_Revenue <= :rev_hi)
           ORDER BY id LIMIT 2000""",
        "id:id Annual_Revenue:num",
    ),
    case(
        "currency-ne-and-lt",
        "select Annual_Revenue from Leads where (Annual_Revenue != '{rev_eq}' and Annual_Revenue < '{rev_lo}') limit 2000",
        """SELECT id, Annual_Revenue FROM Leads WHERE Annual_Revenue <> :rev_eq AND Annual_Revenue < :rev_lo
           ORDER BY id LIMIT 2000""",
        "id:id Annual_Revenue:num",
    ),
    case(
        "currency-is-null-and-ge",
        "select Annual_Revenue, No_of_Employees from Leads where (Annual_Revenue is null and No_of_Employees >= '{emp_hi}')",
        """SELECT id, Annual_Revenue, No_of_Employees FROM Leads
           WHERE Annual_Revenue IS NULL AND No_of_Employees >= :emp_hi ORDER BY id LIMIT 200""",
        "id:id Annual_Revenue:num No_of_Employees:num",
    ),
    # ---- date ------------------------------------------------------------------------------------
    case(
        "date-eq",
        "select Subject, Due_Date from Tasks where Due_Date = '{day}'",
        "SELECT id, Subject, Due_Date FROM Tasks WHERE Due_Date = :day ORDER BY id LIMIT 200",
        "id:id Subject:str Due_Date:date",
    ),
    case(
        "date-gt-and-ne",
        "select Date_of_Birth from Contacts where (Date_of_Birth > '{dob_lo}' and Date_of_Birth != '{dob_eq}')",
        """SELECT id, Date_of_Birth FROM Contacts WHERE Date_of_Birth > :dob_lo AND Date_of_Birth <> :dob_eq
           ORDER BY id LIMIT 200""",
        "id:id Date_of_Birth:date",
    ),
    case(
        "date-between",
        "select Date_of_Birth from Contacts where Date_of_Birth between '{dob_lo}' and '{dob_hi}'",
        """SELECT id, Date_of_Birth FROM Contacts WHERE Date_of_Birth >= :dob_lo AND Date_of_Birth <= :dob_hi
           ORDER BY id LIMIT 200""",
        "id:id Date_of_Birth:date",
    ),
    case(
        "date-not-between-skips-empty",
        "select Date_of_Birth from Contacts where Date_of_Birth not between '{dob_lo}' and '{dob_hi}' limit 2000",
        """SELECT id, Date_of_Birth FROM Contacts
           WHERE Date_of_Birth IS NOT NULL AND (Date_of_Birth < :dob_lo OR Date_of_Birth > :dob_hi)
           ORDER BY id LIMIT 2000""",
        "id:id Date_of_Birth:date",
    ),
    case(
        "date-le-or-ge",
        "select Date_of_Birth from Contacts where (Date_of_Birth <= '{dob_lo}' or Date_of_Birth >= '{dob_hi}') limit 2000",
        """SELECT id, Date_of_Birth FROM Contacts WHERE Date_of_Birth <= :dob_lo OR Date_of_Birth >= :dob_hi
           ORDER BY id LIMIT 2000""",
        "id:id Date_of_Birth:date",
    ),
    case(
        "date-is-null-and-lt",
        "select Subject, Due_Date from Tasks where (Due_Date is null or Due_Date < '{day}') limit 2000",
        "SELECT id, Subject, Due_Date FROM Tasks WHERE Due_Date IS NULL OR Due_Date < :day ORDER BY id LIMIT 2000",
        "id:id Subject:str Due_Date:date",
    ),
    case(
        "date-in-and-not-in",
        "select Due_Date from Tasks where (Due_Date in ('{day}', '{day2}') and Due_Date not in ('{day2}'))",
        "SELECT id, Due_Date FROM Tasks WHERE Due_Date = :day ORDER BY id LIMIT 200",
        "id:id Due_Date:date",
    ),
    # ---- datetime, literals at +05:30 -----------------------------------------------------------
    case(
        "datetime-eq-at-another-offset",
        "select Last_Name, Created_Time from Leads where Created_Time = '{created_ist}'",
        "SELECT id, Last_Name, Created_Time FROM Leads WHERE Created_Time = :created ORDER BY id LIMIT 200",
        f"{LEAD} Created_Time:dt",
    ),
    case(
        "datetime-ge-and-lt",
        "select Created_Time from Leads where (Created_Time >= '{t1_ist}' and Created_Time < '{t2_ist}')",
        "SELECT id, Created_Time FROM Leads WHERE Created_Time >= :t1 AND Created_Time < :t2 ORDER BY id LIMIT 200",
        "id:id Created_Time:dt",
    ),
    case(
        "datetime-gt-and-le",
        "select Created_Time from Leads where (Created_Time > '{t1_ist}' and Created_Time <= '{t2_ist}')",
        "SELECT id, Created_Time FROM Leads WHERE Created_Time > :t1 AND Created_Time <= :t2 ORDER BY id LIMIT 200",
        "id:id Created_Time:dt",
    ),
    case(
        "datetime-between",
        "select Created_Time from Leads where Created_Time between '{t2_ist}' and '{t3_ist}'",
        "SELECT id, Created_Time FROM Leads WHERE Created_Time >= :t2 AND Created_Time <= :t3 ORDER BY id LIMIT 200",
        "id:id Created_Time:dt",
    ),
    case(
        "datetime-not-between-skips-empty",
        "select Unsubscribed_Time from Leads where Unsubscribed_Time not between '{u1_ist}' and '{u2_ist}'",
        """SELECT id, Unsubscribed_Time FROM Leads
           WHERE Unsubscribed_Time IS NOT NULL AND (Unsubscribed_Time < :u1 OR Unsubscribed_Time > :u2)
           ORDER BY id LIMIT 200""",
        "id:id Unsubscribed_Time:dt",
    ),
    case(
        "datetime-ne-skips-empty",
        "select Unsubscribed_Time from Leads where Unsubscribed_Time != '{u_eq_ist}'",
        """SELECT id, Unsubscribed_Time FROM Leads WHERE Unsubscribed_Time IS NOT NULL AND Unsubscribed_Time <> :u_eq
           ORDER BY id LIMIT 200""",
        "id:id Unsubscribed_Time:dt",
    ),
    case(
        "datetime-lt-or-is-null",
        "select Unsubscribed_Time, Created_Time from Leads where (Unsubscribed_Time is null and Created_Time < '{t1_ist}')",
        """SELECT id, Unsubscribed_Time, Created_Time FROM Leads WHERE Unsubscribed_Time IS NULL AND Created_Time < :t1
           ORDER BY id LIMIT 200""",
        "id:id Unsubscribed_Time:dt Created_Time:dt",
    ),
    case(
        "datetime-in-and-not-in",
        """select Created_Time from Leads
           where (Created_Time in ('{created_ist}', '{t1_ist}', '{t2_ist}') and Created_Time not in ('{t2_ist}'))""",
        "SELECT id, Created_Time FROM Leads WHERE Created_Time IN (:created, :t1) ORDER BY id LIMIT 200",
        "id:id Created_Time:dt",
    ),
    case(
        "datetime-is-not-null-and-le",
        "select Unsubscribed_Time from Leads where (Unsubscribed_Time is not null and Unsubscribed_Time <= '{u1_ist}')",
        """SELECT id, Unsubscribed_Time FROM Leads WHERE Unsubscribed_Time IS NOT NULL AND Unsubscribed_Time <= :u1
           ORDER BY id LIMIT 200""",
        "id:id Unsubscribed_Time:dt",
    ),
    # ---- boolean (Zoho allows only =) --------------------------------------------------------------
    case(
        "boolean-true",
        "select Last_Name, Email_Opt_Out from Leads where Email_Opt_Out = 'true'",
        "SELECT id, Last_Name, Email_Opt_Out FROM Leads WHERE Email_Opt_Out = 1 ORDER BY id LIMIT 200",
        f"{LEAD} Email_Opt_Out:bool",
    ),
    case(
        "boolean-false-and-picklist",
        """select Subject, Send_Notification_Email, Status from Tasks
           where (Send_Notification_Email = 'false' and Status = '{task_status}')""",
        """SELECT id, Subject, Send_Notification_Email, Status FROM Tasks
           WHERE Send_Notification_Email = 0 AND lower(Status) = lower(:task_status) ORDER BY id LIMIT 200""",
        "id:id Subject:str Send_Notification_Email:bool Status:str",
    ),
    # ---- lookup, by id -------------------------------------------------------------------------
    case(
        "lookup-eq-selected-as-name-and-id",
        "select Last_Name, Owner from Leads where Owner = '{owner}'",
        """SELECT l.id, l.Last_Name, l.Owner, u.full_name FROM Leads l LEFT JOIN Users u ON u.id = l.Owner
           WHERE l.Owner = :owner ORDER BY l.id LIMIT 200""",
        f"{LEAD} Owner:lookup",
    ),
    case(
        "lookup-ne-skips-empty",
        "select Last_Name, Account_Name from Contacts where Account_Name != '{account}'",
        """SELECT c.id, c.Last_Name, c.Account_Name, a.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IS NOT NULL AND c.Account_Name <> :account ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name:lookup",
    ),
    case(
        "lookup-in",
        "select Last_Name, Account_Name from Contacts where Account_Name in ('{account}', '{account2}')",
        """SELECT c.id, c.Last_Name, c.Account_Name, a.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IN (:account, :account2) ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name:lookup",
    ),
    case(
        "lookup-not-in",
        "select Owner from Leads where Owner not in ('{owner}', '{owner2}')",
        """SELECT l.id, l.Owner, u.full_name FROM Leads l LEFT JOIN Users u ON u.id = l.Owner
           WHERE l.Owner IS NOT NULL AND l.Owner NOT IN (:owner, :owner2) ORDER BY l.id LIMIT 200""",
        "id:id Owner:lookup",
    ),
    case(
        "lookup-is-null",
        "select Last_Name, Account_Name from Contacts where Account_Name is null",
        "SELECT id, Last_Name, Account_Name, NULL FROM Contacts WHERE Account_Name IS NULL ORDER BY id LIMIT 200",
        f"{LEAD} Account_Name:lookup",
    ),
    case(
        "lookup-is-not-null-to-own-module",
        "select Full_Name, Reporting_To from Contacts where Reporting_To is not null",
        """SELECT c.id, c.Full_Name, c.Reporting_To, boss.Full_Name FROM Contacts c
           LEFT JOIN Contacts boss ON boss.id = c.Reporting_To
           WHERE c.Reporting_To IS NOT NULL ORDER BY c.id LIMIT 200""",
        "id:id Full_Name:str Reporting_To:lookup",
    ),
    # ---- multi-select ---------------------------------------------------------------------------
    case(
        "multiselect-like",
        "select Languages_Spoken from Leads where Languages_Spoken like '%{lang_up}%'",
        "SELECT id, Languages_Spoken FROM Leads WHERE instr(lower(Languages_Spoken), lower(:lang)) > 0 ORDER BY id LIMIT 200",
        "id:id Languages_Spoken:multi",
    ),
    case(
        "multiselect-eq-one-value",
        "select Languages_Spoken from Leads where Languages_Spoken = '{lang_up}'",
        "SELECT id, Languages_Spoken FROM Leads WHERE lower(Languages_Spoken) = lower(:lang) ORDER BY id LIMIT 200",
        "id:id Languages_Spoken:multi",
    ),
    case(
        "multiselect-not-like-skips-empty",
        "select Languages_Spoken from Leads where Languages_Spoken not like '%{lang}%'",
        """SELECT id, Languages_Spoken FROM Leads
           WHERE Languages_Spoken IS NOT NULL AND instr(lower(Languages_Spoken), lower(:lang)) = 0
           ORDER BY id LIMIT 200""",
        "id:id Languages_Spoken:multi",
    ),
    case(
        "multiselect-in-and-is-not-null",
        "select Languages_Spoken from Leads where (Languages_Spoken in ('{lang}', '{multi}') and Languages_Spoken is not null)",
        """SELECT id, Languages_Spoken FROM Leads WHERE lower(Languages_Spoken) IN (lower(:lang), lower(:multi))
           ORDER BY id LIMIT 200""",
        "id:id Languages_Spoken:multi",
    ),
    case(
        "multiselect-ne-and-not-in-skip-empty",
        "select Languages_Spoken from Leads where (Languages_Spoken != '{lang}' and Languages_Spoken not in ('{multi}'))",
        """SELECT id, Languages_Spoken FROM Leads
           WHERE Languages_Spoken IS NOT NULL AND lower(Languages_Spoken) NOT IN (lower(:lang), lower(:multi))
           ORDER BY id LIMIT 200""",
        "id:id Languages_Spoken:multi",
    ),
    case(
        "multiselect-is-null",
        "select Interests from Contacts where Interests is null",
        "SELECT id, Interests FROM Contacts WHERE Interests IS NULL ORDER BY id LIMIT 200",
        "id:id Interests:multi",
    ),
    # ---- and / or, brackets and nesting ----------------------------------------------------------
    case(
        "or-inside-and",
        """select Lead_Status, No_of_Employees, Annual_Revenue from Leads
           where ((Lead_Status = '{status}' or Lead_Status = '{status2}')
                  and (No_of_Employees > '{emp_hi}' or Annual_Revenue < '{rev_lo}'))""",
        """SELECT id, Lead_Status, No_of_Employees, Annual_Revenue FROM Leads
           WHERE lower(Lead_Status) IN (lower(:status), lower(:status2))
             AND (No_of_Employees > :emp_hi OR Annual_Revenue < :rev_lo)
           ORDER BY id LIMIT 200""",
        "id:id Lead_Status:str No_of_Employees:num Annual_Revenue:num",
    ),
    case(
        "and-inside-or",
        """select Lead_Source, Rating, Lead_Status, Email_Opt_Out from Leads
           where ((Lead_Source = '{source}' and Rating = '{rating}')
                  or (Lead_Status = '{status2}' and Email_Opt_Out = 'true'))""",
        """SELECT id, Lead_Source, Rating, Lead_Status, Email_Opt_Out FROM Leads
           WHERE (lower(Lead_Source) = lower(:source) AND lower(Rating) = lower(:rating))
              OR (lower(Lead_Status) = lower(:status2) AND Email_Opt_Out = 1)
           ORDER BY id LIMIT 200""",
        "id:id Lead_Source:str Rating:str Lead_Status:str Email_Opt_Out:bool",
    ),
    case(
        "three-levels",
        """select Last_Name, Lead_Status, City, Annual_Revenue from Leads
           where (((Lead_Status = '{status}' or City = '{city}') and Annual_Revenue is not null)
                  or (Last_Name = '{last}' and Lead_Source is null))""",
        """SELECT id, Last_Name, Lead_Status, City, Annual_Revenue FROM Leads
           WHERE ((lower(Lead_Status) = lower(:status) OR lower(City) = lower(:city)) AND Annual_Revenue IS NOT NULL)
              OR (lower(Last_Name) = lower(:last) AND Lead_Source IS NULL)
           ORDER BY id LIMIT 200""",
        f"{LEAD} Lead_Status:str City:str Annual_Revenue:num",
    ),
    # ---- dot paths, lookups selected, polymorphic, users' profile and role --------------------------
    case(
        "path-one-hop",
        """select Last_Name, Account_Name.Account_Name, Account_Name.Industry from Contacts
           where Account_Name.Industry = '{industry}'""",
        """SELECT c.id, c.Last_Name, a.Account_Name, a.Industry FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE lower(a.Industry) = lower(:industry) ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name.Account_Name:str Account_Name.Industry:str",
    ),
    case(
        "path-two-hops",
        """select Last_Name, Account_Name.Parent_Account.Account_Name, Account_Name.Parent_Account from Contacts
           where Account_Name.Parent_Account is not null""",
        """SELECT c.id, c.Last_Name, p.Account_Name, a.Parent_Account, p.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name LEFT JOIN Accounts p ON p.id = a.Parent_Account
           WHERE a.Parent_Account IS NOT NULL ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name.Parent_Account.Account_Name:str Account_Name.Parent_Account:lookup",
    ),
    case(
        "path-is-null-through-an-empty-lookup",
        "select Last_Name, Account_Name from Contacts where Account_Name.Parent_Account is null",
        """SELECT c.id, c.Last_Name, c.Account_Name, a.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE a.Parent_Account IS NULL ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name:lookup",
    ),
    case(
        "lookups-selected-directly",
        "select Owner, Account_Name, Created_By from Contacts where id is not null",
        """SELECT c.id, c.Owner, o.full_name, c.Account_Name, a.Account_Name, c.Created_By, b.full_name
           FROM Contacts c LEFT JOIN Users o ON o.id = c.Owner LEFT JOIN Accounts a ON a.id = c.Account_Name
           LEFT JOIN Users b ON b.id = c.Created_By ORDER BY c.id LIMIT 200""",
        "id:id Owner:lookup Account_Name:lookup Created_By:lookup",
    ),
    case(
        "polymorphic-what-id",
        "select Subject, What_Id, 'What_Id->Accounts.Account_Name' from Tasks where What_Id is not null",
        """SELECT t.id, t.Subject, t.What_Id, a.Account_Name FROM Tasks t
           LEFT JOIN Accounts a ON a.id = t.What_Id AND t."What_Id$module" = 'Accounts'
           WHERE t.What_Id IS NOT NULL ORDER BY t.id LIMIT 200""",
        "id:id Subject:str What_Id:ref What_Id->Accounts.Account_Name:str",
    ),
    case(
        "polymorphic-in-where",
        """select Subject, What_Id, 'What_Id->Accounts.Account_Name' from Tasks
           where ('What_Id->Accounts.Account_Name' like '{letter}%' or What_Id in ('{what}', '{what2}'))""",
        """SELECT t.id, t.Subject, t.What_Id, a.Account_Name FROM Tasks t
           LEFT JOIN Accounts a ON a.id = t.What_Id AND t."What_Id$module" = 'Accounts'
           WHERE substr(lower(a.Account_Name), 1, 1) = lower(:letter) OR t.What_Id IN (:what, :what2)
           ORDER BY t.id LIMIT 200""",
        "id:id Subject:str What_Id:ref What_Id->Accounts.Account_Name:str",
    ),
    case(
        "owner-profile-and-role",
        "select Last_Name, Owner.profile.name, Owner.role.name from Leads where Owner.profile.name = '{profile_low}'",
        """SELECT l.id, l.Last_Name, u.profile, u.role FROM Leads l LEFT JOIN Users u ON u.id = l.Owner
           WHERE lower(u.profile) = lower(:profile) ORDER BY l.id LIMIT 200""",
        f"{LEAD} Owner.profile.name:str Owner.role.name:str",
    ),
    case(
        "aliases-and-order-by-alias",
        """select Last_Name as surname, Account_Name.Account_Name as company from Contacts
           where Account_Name in ('{account}', '{account2}') order by surname desc""",
        """SELECT c.id, c.Last_Name, a.Account_Name FROM Contacts c LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IN (:account, :account2) ORDER BY c.Last_Name DESC, c.id LIMIT 200""",
        "id:id surname:str company:str",
    ),
    # ---- aggregates -------------------------------------------------------------------------------
    case(
        "five-aggregates-no-group",
        """select COUNT(id), SUM(Annual_Revenue), AVG(Annual_Revenue), MIN(Annual_Revenue), MAX(Annual_Revenue)
           from Leads where Lead_Status = '{status}'""",
        """SELECT COUNT(id), SUM(Annual_Revenue), AVG(Annual_Revenue), MIN(Annual_Revenue), MAX(Annual_Revenue)
           FROM Leads WHERE lower(Lead_Status) = lower(:status)""",
        "COUNT(id):count SUM(Annual_Revenue):num AVG(Annual_Revenue):avg MIN(Annual_Revenue):num MAX(Annual_Revenue):num",
    ),
    case(
        "min-max-datetime-and-integer",
        """select MIN(Created_Time), MAX(Created_Time), MIN(No_of_Employees), MAX(No_of_Employees) as most
           from Leads where Lead_Source = '{source}'""",
        """SELECT MIN(Created_Time), MAX(Created_Time), MIN(No_of_Employees), MAX(No_of_Employees)
           FROM Leads WHERE lower(Lead_Source) = lower(:source)""",
        "MIN(Created_Time):dt MAX(Created_Time):dt MIN(No_of_Employees):num most:num",
    ),
    case(
        "min-max-date",
        "select MIN(Date_of_Birth), MAX(Date_of_Birth), COUNT(Account_Name) from Contacts where id is not null",
        "SELECT MIN(Date_of_Birth), MAX(Date_of_Birth), COUNT(Account_Name) FROM Contacts",
        "MIN(Date_of_Birth):date MAX(Date_of_Birth):date COUNT(Account_Name):count",
    ),
    case(
        "group-by-picklist-count-of-picklist",
        "select Lead_Source, COUNT(Lead_Status), COUNT(id) from Leads where id is not null group by Lead_Source",
        "SELECT Lead_Source, COUNT(Lead_Status), COUNT(id) FROM Leads GROUP BY Lead_Source",
        "Lead_Source:str COUNT(Lead_Status):count COUNT(id):count",
        group=("Lead_Source",),
    ),
    case(
        "group-by-two-fields",
        """select Lead_Status, Rating, COUNT(id), SUM(Annual_Revenue), AVG(No_of_Employees) from Leads
           where Email_Opt_Out = 'false' group by Lead_Status, Rating""",
        """SELECT Lead_Status, Rating, COUNT(id), SUM(Annual_Revenue), AVG(No_of_Employees) FROM Leads
           WHERE Email_Opt_Out = 0 GROUP BY Lead_Status, Rating""",
        "Lead_Status:str Rating:str COUNT(id):count SUM(Annual_Revenue):num AVG(No_of_Employees):avg",
        group=("Lead_Status", "Rating"),
    ),
    case(
        "group-by-lookup",
        """select Owner, COUNT(id), MAX(Annual_Revenue), MIN(Created_Time) from Leads
           where Annual_Revenue > '{rev_lo}' group by Owner""",
        """SELECT l.Owner, u.full_name, COUNT(l.id), MAX(l.Annual_Revenue), MIN(l.Created_Time)
           FROM Leads l LEFT JOIN Users u ON u.id = l.Owner WHERE l.Annual_Revenue > :rev_lo GROUP BY l.Owner""",
        "Owner:lookup COUNT(id):count MAX(Annual_Revenue):num MIN(Created_Time):dt",
        group=("Owner",),
    ),
    case(
        "group-by-lookup-on-contacts",
        """select Account_Name, COUNT(id) as people from Contacts
           where Account_Name in ('{account}', '{account2}') group by Account_Name""",
        """SELECT c.Account_Name, a.Account_Name, COUNT(c.id) FROM Contacts c LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IN (:account, :account2) GROUP BY c.Account_Name""",
        "Account_Name:lookup people:count",
        group=("Account_Name",),
    ),
    case(
        "group-ordered-by-count-desc",
        "select Lead_Source, COUNT(id) from Leads where Lead_Source is not null group by Lead_Source order by COUNT(id) desc",
        """SELECT Lead_Source, COUNT(id) FROM Leads WHERE Lead_Source IS NOT NULL
           GROUP BY Lead_Source ORDER BY COUNT(id) DESC, Lead_Source""",
        "Lead_Source:str COUNT(id):count",
    ),
    case(
        "group-ordered-by-aggregate-alias",
        """select Rating, SUM(Annual_Revenue) as total from Leads where Annual_Revenue >= '{rev_lo}'
           group by Rating order by total desc""",
        """SELECT Rating, SUM(Annual_Revenue) FROM Leads WHERE Annual_Revenue >= :rev_lo
           GROUP BY Rating ORDER BY SUM(Annual_Revenue) DESC, Rating""",
        "Rating:str total:num",
    ),
    # ---- order by ------------------------------------------------------------------------------------
    case(
        "order-desc-then-asc-nulls-last",
        """select Last_Name, No_of_Employees from Leads where Lead_Status = '{status}'
           order by No_of_Employees desc, Last_Name asc limit 2000""",
        """SELECT id, Last_Name, No_of_Employees FROM Leads WHERE lower(Lead_Status) = lower(:status)
           ORDER BY No_of_Employees IS NULL, No_of_Employees DESC, Last_Name ASC, id LIMIT 2000""",
        f"{LEAD} No_of_Employees:num",
    ),
    case(
        "order-asc-nulls-first",
        "select Annual_Revenue, Lead_Source from Leads where Lead_Status = '{status2}' order by Annual_Revenue, Lead_Source desc",
        """SELECT id, Annual_Revenue, Lead_Source FROM Leads WHERE lower(Lead_Status) = lower(:status2)
           ORDER BY Annual_Revenue IS NOT NULL, Annual_Revenue ASC, Lead_Source IS NULL, Lead_Source DESC, id
           LIMIT 200""",
        "id:id Annual_Revenue:num Lead_Source:str",
    ),
    case(
        "order-datetime-desc",
        "select Created_Time from Leads where Lead_Source = '{source}' order by Created_Time desc limit 30",
        """SELECT id, Created_Time FROM Leads WHERE lower(Lead_Source) = lower(:source)
           ORDER BY Created_Time DESC, id LIMIT 30""",
        "id:id Created_Time:dt",
    ),
    case(
        "order-by-dot-path-and-date",
        """select Last_Name, Account_Name.Account_Name, Date_of_Birth from Contacts where Account_Name is not null
           order by Account_Name.Account_Name asc, Date_of_Birth desc""",
        """SELECT c.id, c.Last_Name, a.Account_Name, c.Date_of_Birth FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name WHERE c.Account_Name IS NOT NULL
           ORDER BY a.Account_Name, c.Date_of_Birth IS NULL, c.Date_of_Birth DESC, c.id LIMIT 200""",
        f"{LEAD} Account_Name.Account_Name:str Date_of_Birth:date",
    ),
    # ---- limit and offset ---------------------------------------------------------------------------
    case(
        "limit-offset",
        "select Last_Name from Leads where Lead_Status = '{status}' limit 10 offset 20",
        "SELECT id, Last_Name FROM Leads WHERE lower(Lead_Status) = lower(:status) ORDER BY id LIMIT 10 OFFSET 20",
        LEAD,
    ),
    case(
        "limit-offset-comma-count",
        "select Last_Name from Leads where Lead_Status = '{status}' order by Last_Name limit 5, 10",
        """SELECT id, Last_Name FROM Leads WHERE lower(Lead_Status) = lower(:status)
           ORDER BY Last_Name, id LIMIT 10 OFFSET 5""",
        LEAD,
    ),
    # ---- subqueries ----------------------------------------------------------------------------------
    case(
        "subquery-in",
        "select Last_Name, Account_Name from Contacts where Account_Name in (select id from Accounts where Industry = '{industry}')",
        """SELECT c.id, c.Last_Name, c.Account_Name, a.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IN (SELECT id FROM Accounts WHERE lower(Industry) = lower(:industry))
           ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name:lookup",
    ),
    case(
        "subquery-capped-at-100",
        """select Last_Name, Account_Name from Contacts
           where Account_Name in (select id from Accounts where Annual_Revenue > '0') limit 2000""",
        """SELECT c.id, c.Last_Name, c.Account_Name, a.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IN (SELECT id FROM Accounts WHERE Annual_Revenue > 0 ORDER BY id LIMIT 100)
           ORDER BY c.id LIMIT 2000""",
        f"{LEAD} Account_Name:lookup",
    ),
    case(
        "subquery-not-in-skips-empty",
        """select Account_Name from Contacts
           where Account_Name not in (select id from Accounts where Industry = '{industry}') limit 2000""",
        """SELECT c.id, c.Account_Name, a.Account_Name FROM Contacts c LEFT JOIN Accounts a ON a.id = c.Account_Name
           WHERE c.Account_Name IS NOT NULL
             AND c.Account_Name NOT IN (SELECT id FROM Accounts WHERE lower(Industry) = lower(:industry))
           ORDER BY c.id LIMIT 2000""",
        "id:id Account_Name:lookup",
    ),
    case(
        "subquery-on-a-lookup-column",
        """select Account_Name, Account_Name.Parent_Account from Contacts
           where Account_Name in (select id from Accounts where Parent_Account is not null)""",
        """SELECT c.id, c.Account_Name, a.Account_Name, a.Parent_Account, p.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name LEFT JOIN Accounts p ON p.id = a.Parent_Account
           WHERE c.Account_Name IN (SELECT id FROM Accounts WHERE Parent_Account IS NOT NULL ORDER BY id LIMIT 100)
           ORDER BY c.id LIMIT 200""",
        "id:id Account_Name:lookup Account_Name.Parent_Account:lookup",
    ),
    case(
        "subquery-of-a-lookup-column",
        "select Last_Name from Contacts where Account_Name in (select Parent_Account from Accounts where Parent_Account is not null)",
        """SELECT id, Last_Name FROM Contacts
           WHERE Account_Name IN (SELECT Parent_Account FROM Accounts WHERE Parent_Account IS NOT NULL ORDER BY id LIMIT 100)
           ORDER BY id LIMIT 200""",
        LEAD,
    ),
    case(
        "subquery-after-equals",
        "select Last_Name, Account_Name from Contacts where Account_Name = (select id from Accounts where id = '{account}')",
        """SELECT c.id, c.Last_Name, c.Account_Name, a.Account_Name FROM Contacts c
           LEFT JOIN Accounts a ON a.id = c.Account_Name WHERE c.Account_Name = :account ORDER BY c.id LIMIT 200""",
        f"{LEAD} Account_Name:lookup",
    ),
    # ---- no rows ---------------------------------------------------------------------------------------
    case(
        "no-rows-is-204",
        "select Last_Name from Leads where (Last_Name = '{last}' and Last_Name = '{last2}')",
        "SELECT id, Last_Name FROM Leads WHERE lower(Last_Name) = lower(:last) AND lower(Last_Name) = lower(:last2)",
        LEAD,
        empty=True,
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_sandbox_agrees_with_hand_written_sql(
    api: Api, sandbox: Sandbox, facts: dict[str, Any], case: Case
) -> None:
    assert sandbox.state is not None
    store = sandbox.state.store
    expected = [to_zoho(store, case.columns, row) for row in store.conn.execute(case.sql, facts)]
    reply = api.coql(case.coql.format(**facts))
    if case.empty:
        assert expected == []
        assert (reply.status_code, reply.content) == (204, b"")
        return
    assert expected, f"the hand-written SQL matches nothing: the comparison would be vacuous\n{case.sql}"
    assert reply.status_code == 200, reply.text
    body = reply.json()
    got = body["data"]
    assert body["info"]["count"] == len(got)
    if case.group:
        # Group order: the keys ascending (SQLite's order; a lookup by its id); rows compared as sets.
        keys = [tuple(_sqlite_order(row[k]) for k in case.group) for row in got]
        assert keys == sorted(keys), "grouped rows are not in the order of their group keys"
        assert len(set(keys)) == len(keys), "a group appears twice"

        def by_json(row: dict[str, Any]) -> str:
            return json.dumps([row.get(k) for k in case.group], sort_keys=True)

        got, expected = sorted(got, key=by_json), sorted(expected, key=by_json)
    assert _norm(got) == _norm(expected)
    assert _types(got) == _types(expected)


# ---- more_records against a COUNT in SQL --------------------------------------------------------

STATUS_COUNT = "SELECT COUNT(*) FROM Leads WHERE lower(Lead_Status) = lower(:status)"


@pytest.mark.parametrize(
    ("limit", "offset"),
    [
        pytest.param(lambda n: n - 1, lambda n: 0, id="limit-one-short"),
        pytest.param(lambda n: n, lambda n: 0, id="limit-exactly-all"),
        pytest.param(lambda n: 10, lambda n: n - 10, id="offset-to-the-last-page"),
        pytest.param(lambda n: 10, lambda n: n - 11, id="offset-one-before-the-last-page"),
    ],
)
def test_more_records_follows_a_count(
    api: Api, sandbox: Sandbox, facts: dict[str, Any], limit: Any, offset: Any
) -> None:
    assert sandbox.state is not None
    conn = sandbox.state.store.conn
    total = conn.execute(STATUS_COUNT, facts).fetchone()[0]
    count, skip = limit(total), offset(total)
    assert 10 < total <= 2000 and count > 0
    query = f"select Last_Name from Leads where Lead_Status = '{facts['status']}' limit {count} offset {skip}"
    body = api.coql(query).json()
    ids = [
        str(r[0])
        for r in conn.execute(
            "SELECT id FROM Leads WHERE lower(Lead_Status) = lower(:status) ORDER BY id LIMIT :count OFFSET :skip",
            {**facts, "count": count, "skip": skip},
        )
    ]
    assert [r["id"] for r in body["data"]] == ids
    assert body["info"] == {"count": len(ids), "more_records": skip + count < total}
