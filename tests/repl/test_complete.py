"""The suggestion engine: text with a ``|`` for the cursor in, suggestions out.

Cases run over the demo org and over a small fixture org (``ORG``) whose fields were
chosen for the edge cases: a field named after a clause word, a quote in a picklist
value, an encrypted field, a module closed to the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from coqlkit.catalog import Catalog, Field, Module, PicklistValue
from coqlkit.errors import CoqlError
from coqlkit.language import Column, FieldRef, parse, split_statements
from coqlkit.repl.complete import CoqlCompleter, Suggestion, awaits_from, suggest
from coqlkit.validate import validate


def _picklist(*values: str) -> tuple[PicklistValue, ...]:
    return tuple(PicklistValue(v, v) for v in values)


ORG = Catalog(
    [
        Module.build(
            "Orders",
            [
                Field("Name", "text", label="Order Name"),
                Field(
                    "Status",
                    "picklist",
                    label="Status",
                    picklist=_picklist("-None-", "Open", "O'Brien's", "Closed"),
                ),
                Field("Amount", "currency", label="Amount"),
                Field("Qty", "integer", label="Quantity"),
                Field("Paid", "boolean", label="Paid"),
                Field("Customer", "lookup", label="Customer", lookup_module="Customers"),
                Field("Owner", "ownerlookup", label="Order Owner", lookup_module="Users"),
                Field("Remarks", "textarea", label="Remarks", filterable=False, sortable=False),
                Field("Order", "text", label="Order"),
                Field("Related", "multi_module_lookup", label="Related To", modules=("Customers", "Regions")),
                Field("Placed", "datetime", label="Placed At"),
                Field("Secret", "text", label="Secret", encrypted=True),
                Field("Photo", "imageupload", label="Photo", filterable=False),
                Field("Zone", "territories", label="Zone", filterable=False, sortable=False),
            ],
            label="Orders",
        ),
        Module.build(
            "Customers",
            [
                Field("Name", "text", label="Customer Name"),
                Field("Parent", "lookup", label="Parent Customer", lookup_module="Customers"),
                Field("Tier", "picklist", label="Tier", picklist=_picklist("Gold", "Silver")),
                Field("Owner", "ownerlookup", label="Owner", lookup_module="Users"),
            ],
            label="Customers",
        ),
        Module.build("Regions", [Field("Name", "text", label="Region")], label="Regions"),
        Module.build(
            "Users",
            [
                Field("last_name", "text", label="Last Name"),
                Field("email", "email", label="Email"),
                Field("role", "text", label="Role"),
                Field("profile", "text", label="Profile"),
            ],
            label="Users",
        ),
        Module.build("Hidden", [Field("Name", "text")], api_supported=False),
        Module.build("Later"),  # fields not loaded yet
    ]
)


@dataclass(frozen=True)
class Case:
    """``text`` with ``|`` at the cursor. ``top``: the first suggestions, in order;
    ``exact``: all of them, in order; ``has`` / ``lacks``: among them or not."""

    text: str
    top: tuple[str, ...] = ()
    exact: tuple[str, ...] | None = None
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    kind: str | None = None  # the kind of every suggestion
    catalog: str = "demo"
    params: tuple[str, ...] = field(default=())


CATALOGS: dict[str, Catalog | None] = {"demo": Catalog.demo(), "org": ORG, "none": None}


def run(case: Case) -> list[Suggestion]:
    cursor = case.text.index("|")
    text = case.text[:cursor] + case.text[cursor + 1 :]
    return suggest(text, cursor, CATALOGS[case.catalog], case.params)


def check(case: Case) -> None:
    found = run(case)
    texts = [s.text for s in found]
    if case.exact is not None:
        assert texts == list(case.exact)
    assert texts[: len(case.top)] == list(case.top)
    for expected in case.has:
        assert expected in texts
    for unexpected in case.lacks:
        assert unexpected not in texts
    if case.kind is not None:
        assert {s.kind for s in found} <= {case.kind}, found


# ---- keywords by grammar position, in the case the user writes ----

KEYWORDS = {
    "empty text": Case("|", exact=("SELECT", "EXPLAIN"), kind="keyword", catalog="none"),
    "a statement starts": Case("sel|", exact=("select",)),
    "upper case prefix": Case("SEL|", exact=("SELECT",)),
    "title case prefix": Case("Sel|", exact=("Select",)),
    "after EXPLAIN": Case("explain |", exact=("select", "analyze")),
    "after a select item": Case("select Last_Name |", exact=("as", "from")),
    "FROM already written further on": Case("select Last_Name | from Leads", exact=("as",)),
    "after an alias": Case("select Last_Name as ln |", exact=("from",)),
    "after SELECT *": Case("SELECT * |", exact=("EXCEPT", "FROM")),
    "after the module": Case(
        "select id from Leads |", exact=("where", "group by", "order by", "limit", "offset")
    ),
    "after the module, upper case": Case("SELECT id FROM Leads |", top=("WHERE", "GROUP BY")),
    "a prefix of a clause word": Case("select id from Leads wh|", exact=("where",)),
    "prefix matches keywords only from the start": Case("select id from Leads by|", exact=()),
    "after a condition": Case(
        "select id from Leads where Last_Name = 'x' |",
        exact=("and", "or", "group by", "order by", "limit", "offset"),
    ),
    "o completes OR, ORDER BY and OFFSET": Case(
        "select id from Leads where Last_Name = 'x' o|", exact=("or", "order by", "offset")
    ),
    "inside brackets only AND and OR": Case(
        "select id from Leads where (Last_Name = 'x' |", exact=("and", "or")
    ),
    "after the closing bracket the clauses too": Case(
        "select id from Leads where (Last_Name = 'x') |", has=("and", "order by")
    ),
    "GROUP wants BY": Case("select id from Leads group |", exact=("by",)),
    "ORDER wants BY": Case("select id from Leads ORDER |", exact=("BY",)),
    "after a GROUP BY field": Case(
        "select Lead_Source from Leads group by Lead_Source |", exact=("order by", "limit", "offset")
    ),
    "after an ORDER BY field": Case(
        "select id from Leads order by Last_Name |", exact=("asc", "desc", "limit", "offset")
    ),
    "after a direction": Case("select id from Leads order by Last_Name desc |", exact=("limit", "offset")),
    "after LIMIT n": Case("select id from Leads limit 10 |", exact=("offset",)),
    "a number being typed": Case("select id from Leads limit 1|", exact=()),
    "after IS": Case("select id from Leads where Last_Name is |", exact=("null", "not null")),
    "after IS NOT": Case("select id from Leads where Last_Name IS NOT |", exact=("NULL",)),
    "BETWEEN's AND is not a logical AND": Case(
        "select id from Leads where Annual_Revenue between 1 |", exact=("and",)
    ),
    "after BETWEEN a AND b": Case(
        "select id from Leads where Annual_Revenue between 1 and 5 |", has=("and", "or", "limit")
    ),
    "the last keyword sets the case": Case("SELECT id FROM Leads WHERE Last_Name = 'x' |", top=("AND", "OR")),
}

# ---- modules ----

MODULES = {
    "after FROM": Case("select id from |", top=("Accounts", "Calls", "Campaigns"), kind="module"),
    "prefix": Case("select id from Con|", top=("Contacts",)),
    "by label": Case("select id from meet|", top=("Events",)),
    "closed to the API": Case(
        "select id from |", catalog="org", exact=("Customers", "Later", "Orders", "Regions", "Users")
    ),
    "no catalog yet": Case("select id from |", catalog="none", exact=()),
}

# ---- fields of the FROM module ----

FIELDS = {
    "SELECT before FROM": Case("select | from Leads", has=("Last_Name", "Lead_Status", "COUNT(", "*")),
    "SELECT prefix before FROM": Case(
        "select Last| from Leads", top=("Last_Activity_Time", "Last_Name"), kind="field"
    ),
    "lower-case module name": Case("select | from leads", has=("Last_Name",)),
    "after a comma": Case("select Last_Name, | from Leads", has=("Email", "SUM(")),
    "cursor mid-word replaces the part before it": Case(
        "select Las|t_Name from Leads", top=("Last_Activity_Time",)
    ),
    "a field's label finds it": Case("select title| from Leads", top=("Designation",)),
    "a word of the name": Case("select status| from Leads", top=("Lead_Status",)),
    "letters in order": Case("select lstat| from Leads", has=("Lead_Status",)),
    "a typo": Case("select Emial| from Leads", top=("Email",)),
    "no module: no fields": Case("select |", exact=("COUNT(", "SUM(", "AVG(", "MIN(", "MAX(", "*")),
    "unknown module: no fields": Case("select Na| from Nowhere", exact=()),
    "module without loaded fields": Case("select Na| from Later", catalog="org", exact=()),
    "no catalog: only functions": Case(
        "select | from Leads", catalog="none", exact=("COUNT(", "SUM(", "AVG(", "MIN(", "MAX(", "*")
    ),
    "unselectable types left out": Case(
        "select | from Orders", catalog="org", has=("Zone",), lacks=("Photo",)
    ),
    "a clause word is quoted": Case("select Ord| from Orders", catalog="org", top=("'Order'",)),
    "WHERE fields are filterable ones": Case(
        "select id from Orders where |",
        catalog="org",
        has=("Status", "Customer", "Secret"),
        lacks=("Remarks", "Zone", "Photo"),
    ),
    "WHERE after AND": Case(
        "select id from Leads where Last_Name = 'x' and Lead_S|", top=("Lead_Source", "Lead_Status")
    ),
    "WHERE after OR and a bracket": Case(
        "select id from Leads where Last_Name = 'x' or (Em|", top=("Email",)
    ),
    "ORDER BY fields are sortable ones": Case(
        "select id from Orders order by |",
        catalog="org",
        has=("Amount", "Customer"),
        lacks=("Remarks", "Zone"),
    ),
    "ORDER BY offers the aliases": Case(
        "select Stage, SUM(Amount) as Total from Deals group by Stage order by To|", top=("Total",)
    ),
    "GROUP BY": Case("select Lead_Source from Leads group by Lead_So|", top=("Lead_Source",)),
    "GROUP BY after a comma": Case(
        "select a from Leads group by Lead_Source, Lead_St|", top=("Lead_Status",)
    ),
    "SELECT * EXCEPT (": Case("select * except (Desc| from Leads", top=("Description",)),
    "fields, then aggregates": Case(
        "select co| from Leads", top=("Company", "Converted__s", "Converted_Date_Time", "Country", "COUNT(")
    ),
    "COUNT takes lookups and picklists": Case(
        "select COUNT(| from Leads", has=("id", "Lead_Status", "Owner", "*"), lacks=("Email",)
    ),
    "SUM takes numbers only": Case(
        "select SUM(| from Leads",
        has=("Annual_Revenue", "No_of_Employees"),
        lacks=("Lead_Status", "id", "Email"),
    ),
    "MAX takes dates too": Case(
        "select MAX(| from Leads", has=("Created_Time", "Annual_Revenue"), lacks=("Email",)
    ),
    "ORDER BY an aggregate": Case(
        "select Stage, COUNT(id) from Deals group by Stage order by COUNT(|", exact=("id",)
    ),
    "ORDER BY in a grouped query: the grouped fields, the selected aggregates, the aliases": Case(
        "select Lead_Source, COUNT(id), SUM(Annual_Revenue) as total from Leads group by Lead_Source order by |",
        exact=("Lead_Source", "COUNT(id)", "SUM(Annual_Revenue)", "total"),
    ),
    "ORDER BY in a grouped query, typed on": Case(
        "select Lead_Source, COUNT(id) from Leads group by Lead_Source order by co|", exact=("COUNT(id)",)
    ),
    "ORDER BY in a grouped query, after a comma": Case(
        "select Lead_Source, count( id ) from Leads group by Lead_Source order by count(id) desc, |",
        exact=("Lead_Source", "count(id)"),
    ),
    "ORDER BY aggregates alone": Case("select COUNT(id) from Leads order by |", exact=("COUNT(id)",)),
    "ORDER BY a grouped path": Case(
        "select Owner.name, COUNT(id) from Leads group by Owner.name order by Owner.|", exact=("name",)
    ),
    "ORDER BY an aggregate takes the arguments selected": Case(
        "select Stage, COUNT(id), SUM(Amount), MAX(Amount) from Deals group by Stage order by SUM(|",
        exact=("Amount",),
    ),
    "a subquery's own module": Case(
        "select id from Leads where id in (select id from Contacts where Acc|)", top=("Account_Name",)
    ),
    "a subquery's module written after the cursor": Case(
        "select id from Leads where Email in (select | from Contacts)",
        has=("Account_Name",),
        lacks=("Company",),
    ),
    "the outer module after the subquery": Case(
        "select id from Leads where id in (select id from Contacts) and Comp|", top=("Company",)
    ),
}

# ---- lookup paths ----

PATHS = {
    "a lookup's target fields": Case(
        "select Account_Name.| from Contacts", has=("Account_Name", "Industry"), kind="path"
    ),
    "prefix after the dot": Case("select Account_Name.Ind| from Contacts", top=("Industry",)),
    "two hops": Case("select Account_Name.Parent_Account.Ann| from Contacts", top=("Annual_Revenue",)),
    "no third hop": Case("select Account_Name.Parent_Account.Owner.| from Contacts", exact=()),
    "not a lookup": Case("select Last_Name.| from Contacts", exact=()),
    "unknown field": Case("select Nope.| from Contacts", exact=()),
    "Owner. gives user fields and sub-objects": Case(
        "select Owner.| from Orders", catalog="org", exact=("profile", "role", "email", "id", "last_name")
    ),
    "Owner.profile.": Case("select Owner.profile.| from Leads", top=("id", "name", "description")),
    "Owner.role. in WHERE": Case("select id from Leads where Owner.role.na|", exact=("name",)),
    "a sub-object at the second hop": Case(
        "select Account_Name.Owner.role.| from Contacts", has=("reporting_to",)
    ),
    "past two hops through a sub-object": Case(
        "select Account_Name.Parent_Account.Owner.role.| from Contacts", exact=()
    ),
    "-> offers the lookup's modules": Case(
        "select What_Id->| from Tasks", has=("Leads", "Accounts"), lacks=("Contacts",), kind="module"
    ),
    "-> with a prefix": Case("select What_Id->De| from Tasks", top=("Deals",)),
    "polymorphic path": Case(
        "select What_Id->Leads.Last| from Tasks", top=("Last_Activity_Time", "Last_Name")
    ),
    "polymorphic path, quoted": Case(
        "select 'What_Id->Leads.Last|' from Tasks", top=("Last_Activity_Time", "Last_Name")
    ),
    # A quote left open runs to the end of the statement: the FROM after it still counts.
    "polymorphic path, quote open": Case(
        "select 'What_Id->Leads.Last| from Tasks", top=("Last_Activity_Time", "Last_Name")
    ),
    "polymorphic path, quote open, after a dot": Case(
        "select Subject, 'What_Id->Leads.| from Tasks where Subject = 'Call'",
        has=("Last_Name", "Email", "Annual_Revenue"),
        kind="path",
    ),
    "-> quoted, quote open": Case(
        "select 'What_Id->| from Tasks", has=("Leads", "Accounts"), lacks=("Contacts",), kind="module"
    ),
    "-> quoted, in the middle of a path": Case(
        "select 'What_Id->Le|ads.Last_Name' from Tasks", top=("Leads",)
    ),
    "-> only on multi-module lookups": Case("select Who_Id->| from Tasks", exact=()),
    "a multi-module lookup's keys": Case(
        "select Related.| from Orders", catalog="org", exact=("id", "module")
    ),
    "Lookup.module.": Case("select Related.module.| from Orders", catalog="org", exact=("api_name", "id")),
    "the !Module. prefix": Case("select !Leads.Last_N| from Leads", top=("Last_Name",)),
    "a path in WHERE": Case("select id from Contacts where Account_Name.Ind|", top=("Industry",)),
    "a path in ORDER BY": Case("select id from Contacts order by Account_Name.Acc|", top=("Account_Name",)),
    "a dot in a value position": Case("select id from Leads where Last_Name = a.|", exact=()),
}

# ---- operators for the field's type ----

OPERATORS = {
    "text": Case(
        "select id from Leads where Last_Name |",
        exact=("=", "!=", "like", "not like", "in", "not in", "is null", "is not null"),
        kind="operator",
    ),
    "numbers have no LIKE": Case(
        "select id from Leads where Annual_Revenue |",
        exact=(
            "=",
            "!=",
            ">",
            ">=",
            "<",
            "<=",
            "in",
            "not in",
            "between",
            "not between",
            "is null",
            "is not null",
        ),
    ),
    "booleans only =": Case("select id from Leads where Email_Opt_Out |", exact=("=",)),
    "a date is ordered": Case("select id from Leads where Created_Time |", has=("between", ">")),
    "lookups compare for equality": Case(
        "select id from Contacts where Account_Name |",
        exact=("=", "!=", "in", "not in", "is null", "is not null"),
    ),
    "a path's last field decides": Case(
        "select id from Contacts where Account_Name.Annual_Revenue |", has=(">=",)
    ),
    "encrypted: only null checks": Case(
        "select id from Orders where Secret |", catalog="org", exact=("is null", "is not null")
    ),
    "word operators by prefix": Case("select id from Leads where Last_Name n|", exact=("not like", "not in")),
    "after NOT": Case("select id from Leads where Annual_Revenue not |", exact=("in", "between")),
    "a symbol being typed": Case("select id from Leads where Annual_Revenue >|", exact=(">", ">=")),
    "! wants =": Case("select id from Leads where Annual_Revenue !|", exact=("!=",)),
    "upper case follows": Case("SELECT id FROM Leads WHERE Last_Name |", has=("LIKE", "IS NOT NULL")),
    "unknown field: every operator": Case("select id from Leads where Nope |", has=("like", ">", "between")),
    "no catalog: every operator": Case(
        "select id from Leads where Nope |", catalog="none", has=("like", ">")
    ),
    "a quoted field": Case("select id from Accounts where 'External' |", has=("like",)),
}

# ---- values ----

VALUES = {
    "picklist values after =": Case(
        "select id from Leads where Lead_Status = |",
        top=("'Attempted to Contact'", "'Contact in Future'", "'Contacted'"),
        lacks=("'-None-'",),
        kind="value",
    ),
    "filtered by the prefix inside the quote": Case(
        "select id from Leads where Lead_Status = 'Con|",
        exact=("'Contact in Future'", "'Contacted'", "'Attempted to Contact'", "'Not Contacted'"),
    ),
    "a bare word is replaced by the quoted value": Case(
        "select id from Leads where Lead_Status = Junk|", exact=("'Junk Lead'",)
    ),
    "a quote inside a value is doubled": Case(
        "select id from Orders where Status = 'O|", catalog="org", top=("'Open'", "'O''Brien''s'")
    ),
    "a doubled quote typed": Case(
        "select id from Orders where Status = 'O''|", catalog="org", exact=("'O''Brien''s'",)
    ),
    "a double-quoted string stays double-quoted": Case(
        'select id from Orders where Status = "Cl|', catalog="org", exact=('"Closed"',)
    ),
    "the closing quote is already there": Case(
        "select id from Orders where Status = 'Cl|'", catalog="org", exact=("'Closed",)
    ),
    "IN list": Case("select id from Leads where Lead_Status in (|", has=("'Contacted'",)),
    "IN list leaves out the values given": Case(
        "select id from Leads where Lead_Status not in ('Contacted', 'Junk Lead', |",
        lacks=("'Contacted'", "'Junk Lead'"),
        has=("'Lost Lead'",),
    ),
    "IN list inside the quote": Case(
        "select id from Leads where Lead_Status in ('Contacted', 'Lo|", exact=("'Lost Lead'",)
    ),
    "IN a subquery for a lookup": Case("select id from Contacts where Account_Name in (|", exact=("select",)),
    "no subquery for a picklist": Case("select id from Leads where Lead_Status in (|", lacks=("select",)),
    "booleans": Case("select id from Orders where Paid = |", catalog="org", exact=("'true'", "'false'")),
    "a path's picklist": Case(
        "select id from Contacts where Account_Name.Industry = 'Data|", exact=("'Data/Telecom OEM'",)
    ),
    "no values for LIKE": Case("select id from Leads where Lead_Status like '|", exact=()),
    "no field names inside a string": Case("select id from Leads where Last_Name = 'La|", exact=()),
    "nothing inside an alias string": Case("select Last_Name as 'La| from Leads", exact=()),
    "after a closed string": Case("select id from Leads where Lead_Status = 'Contacted'|", has=("and",)),
    "no values for text fields": Case("select id from Leads where Last_Name = |", exact=()),
}

# ---- parameters ----

PARAMS = {
    "after a comparator": Case(
        "select id from Leads where Last_Name = |", params=("name", "city"), exact=(":name", ":city")
    ),
    "being typed": Case(
        "select id from Leads where Last_Name = :n|", params=("name", "city"), exact=(":name",)
    ),
    "after the picklist values": Case(
        "select id from Leads where Lead_Status = |",
        params=("status",),
        has=(":status",),
        top=("'Attempted to Contact'",),
    ),
    "in a BETWEEN": Case(
        "select id from Leads where Annual_Revenue between |", params=("low",), exact=(":low",)
    ),
    "none known": Case("select id from Leads where Last_Name = :|", exact=()),
}

# ---- statements, comments, strings ----

TEXTS = {
    "the statement under the cursor": Case(
        "select id from Contacts; select id from Leads where Lead_St|", top=("Lead_Status",)
    ),
    "the first of two statements": Case(
        "select Lead_St| from Leads; select id from Contacts", top=("Lead_Status",)
    ),
    "right after a semicolon": Case("select id from Leads;|", exact=("SELECT", "EXPLAIN")),
    "a semicolon in a string does not split": Case(
        "select id from Leads where Last_Name = 'a;b' and Lead_St|", top=("Lead_Status",)
    ),
    "inside a line comment": Case("select id from Leads -- where Lead_St|", exact=()),
    "inside a block comment": Case("select id /* Lead_St| */ from Leads", exact=()),
    "an unterminated block comment": Case("select id from Leads /* Lead_St|", exact=()),
    "after a comment": Case("select id from Leads /* c */ |", has=("where",)),
    "a comment between clauses": Case("select id -- ids\nfrom Leads where Lead_St|", top=("Lead_Status",)),
    "FROM in a comment does not count": Case("select Last| -- from Leads", exact=()),
    "FROM in a string does not count": Case("select Last| as 'from Leads'", exact=()),
    "a backslash command's module": Case("\\d Le|", top=("Leads",), kind="module"),
    "a custom view id being typed": Case("select id from Leads#12|", exact=()),
    "multi-line": Case("select Last_Name,\n       Em|\nfrom Leads\nwhere id is not null", top=("Email",)),
}

ALL = {
    f"{group}: {name}": case
    for group, cases in {
        "keywords": KEYWORDS,
        "modules": MODULES,
        "fields": FIELDS,
        "paths": PATHS,
        "operators": OPERATORS,
        "values": VALUES,
        "params": PARAMS,
        "texts": TEXTS,
    }.items()
    for name, case in cases.items()
}


@pytest.mark.parametrize("case", ALL.values(), ids=ALL.keys())
def test_suggest(case: Case) -> None:
    check(case)


# ---- offsets and descriptions ----


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("select Las|t_Name from Leads", 7),
        ("select Account_Name.Ind| from Contacts", 20),
        ("select id from Leads where Lead_Status = 'Con|", 41),
        ("select id from Leads where Last_Name = :n|", 39),
        ("select id from Leads where Annual_Revenue >|", 42),
        ("select id from Leads where Last_Name |", 37),
        ("select id from Contacts; select id from Leads where Lead_St|", 52),
        ("select 'What_Id->Leads.Last|' from Tasks", 23),
    ],
)
def test_start_is_where_the_replaced_word_begins(text: str, start: int) -> None:
    cursor = text.index("|")
    found = suggest(text.replace("|", ""), cursor, Catalog.demo(), ["name"])
    assert found
    assert {s.start for s in found} == {start}


def test_meta_describes_fields_modules_and_values(demo: Catalog) -> None:
    def meta(text: str, name: str) -> str:
        cursor = text.index("|")
        found = suggest(text.replace("|", ""), cursor, demo)
        return next(s.meta for s in found if s.text == name)

    assert meta("select | from Contacts", "Account_Name") == "lookup → Accounts · Account Name"
    assert meta("select | from Contacts", "Owner") == "ownerlookup → Users · Contact Owner"
    assert meta("select | from Leads", "Lead_Status") == "picklist · Lead Status"
    assert meta("select | from Accounts", "Total_Deal_Amount").startswith("rollup_summary (currency)")
    assert meta("select | from Contacts", "Passport_Number").startswith("text, encrypted")
    assert meta("select | from Tasks", "What_Id").startswith("lookup → Leads, Accounts, Deals, …")
    assert meta("select id from |", "Events") == "Meetings · 19 fields"
    assert meta("select id from Leads where Lead_Status = |", "'Contacted'") == "picklist value"
    assert meta("select | from Leads", "COUNT(") == "aggregate: how many records"
    assert meta("select id from Leads where Last_Name |", "like") == "pattern: % matches any text"


def test_parameter_values_show_in_meta(demo: Catalog) -> None:
    text = "select id from Leads where Last_Name = :"
    found = suggest(text, len(text), demo, {"name": "Smith"})
    assert found == [Suggestion(":name", len(text) - 1, "parameter", "= 'Smith'")]


# ---- purity and caching ----


def test_same_question_same_answer(demo: Catalog) -> None:
    text = "select Account_Name.| from Contacts"
    assert suggest(text, 20, demo) == suggest(text, 20, demo)


def test_a_new_catalog_is_read_afresh() -> None:
    def catalog(*names: str) -> Catalog:
        return Catalog([Module.build("Leads", [Field(n, "text") for n in names])])

    text = "select | from Leads"
    assert [s.text for s in suggest(text, 7, catalog("A", "B"))][:3] == ["A", "B", "id"]
    assert [s.text for s in suggest(text, 7, catalog("C"))][:2] == ["C", "id"]


def test_cursor_out_of_range_is_clamped(demo: Catalog) -> None:
    assert [s.text for s in suggest("sel", 99, demo)] == ["select"]
    assert [s.text for s in suggest("sel", -5, demo)] == ["SELECT", "EXPLAIN"]


# ---- robustness: every prefix of every query of the golden corpus ----

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "coql"


def corpus() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.coql")):
        body = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
        texts += [s.text for s in split_statements(body)]
    return texts


def test_every_position_of_the_corpus_answers(demo: Catalog) -> None:
    """No position of any query, valid or not, makes the engine fail; and the words it
    suggests start at or before the cursor."""
    texts = corpus()
    assert len(texts) > 50
    for text in texts:
        for cursor in range(0, len(text) + 1, 5):
            for s in suggest(text, cursor, demo, ["p"]):
                assert 0 <= s.start <= cursor, (text, cursor, s)


def test_valid_queries_complete_to_their_own_fields(demo: Catalog) -> None:
    """In every valid corpus query, the cursor at the end of a plain field of the select
    list is offered that field."""
    checked = 0
    for text in corpus():
        try:
            select = parse(text)
        except CoqlError:
            continue
        if demo.module(select.source.module) is None or any(d.is_error for d in validate(select, demo)):
            continue
        for column in select.columns:
            if not isinstance(column, Column) or not isinstance(column.expr, FieldRef):
                continue
            ref = column.expr
            if ref.is_path or ref.via or ref.qualifier or ref.quoted or ref.span is None:
                continue
            names = [s.text for s in suggest(text, ref.span.end, demo)]
            assert ref.path[0] in names, (text, ref.span.end)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("select Last_Name from Leads where\n\\d", ["\\dt", "\\d", "\\d+"]),  # was: fields that start with d
        (
            "select Last_Name from Leads where\n.sch",
            [],
        ),  # (.5 goes on a query: only a known one is a command)
        ("select Last_Name\nfrom Leads\n\\d", ["\\dt", "\\d", "\\d+"]),
    ],
)
def test_no_coql_for_a_command_inside_a_statement(demo: Catalog, text: str, names: list[str]) -> None:
    """The command's names, not the statement's fields."""
    found = suggest(text, len(text), demo)
    assert [s.text for s in found] == names and {s.kind for s in found} <= {"keyword"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\d Co|", ["Contacts"]),
        ("\\d+ Dea|", ["Deals", "Deals_X_Products"]),
        ("\\dt S|", ["Sales_Orders"]),
        (".schema Inv|", ["Invoices"]),
        ("select Last_Name\nfrom Leads\n\\d Lea|", ["Leads"]),  # a command under a statement
        ("\\T cs|", ["csv"]),
        (".mode fancy_g|", ["fancy_grid"]),
        ("\\x |", ["on", "off", "auto"]),
        ("\\timing o|", ["on", "off"]),
        ("\\strict of|", ["off"]),
        ("\\profile w|", ["work"]),
        ("\\ti|", ["\\timing"]),
        ("\\d Leads |", []),  # past its argument
        ("\\q |", []),  # takes none
        ("\\nope |", []),
    ],
)
def test_command_arguments(demo: Catalog, text: str, expected: list[str]) -> None:
    """After the command, what it takes, best first (they offered nothing: a psql user
    expects module names after ``\\d``)."""
    cursor = text.index("|")
    found = suggest(text.replace("|", ""), cursor, demo, profiles=["home", "work"])
    assert [s.text for s in found][: len(expected) or None] == expected
    assert all(s.start == cursor - len(text[:cursor].split(" ")[-1].split("\n")[-1]) for s in found)


def test_fields_before_from_are_the_default_modules(demo: Catalog) -> None:
    """``select La|`` before FROM is typed: the fields of the default module (the last
    query's, at the prompt), marked as such; nothing was offered."""
    found = suggest("select La", 9, demo, default_module="Contacts")
    assert [s.text for s in found][:2] == ["Last_Activity_Time", "Last_Name"]
    assert all(s.meta.endswith("Contacts's (no FROM yet)") for s in found if s.kind == "field")
    assert [s.text for s in suggest("select La", 9, demo)] == []
    # A FROM, before or after the cursor, decides; a subquery has no default.
    after = suggest("select La from Leads", 9, demo, default_module="Contacts")
    assert "Last_Name" in [s.text for s in after] and not any("no FROM" in s.meta for s in after)
    text = "select id from Leads where id in (select La"
    assert suggest(text, len(text), demo, default_module="Contacts") == []


@pytest.mark.parametrize(
    ("text", "awaits"),
    [
        ("select La|", True),
        ("select |", True),
        ("select Last_Name, COUNT(|", True),
        ("select La| from Leads", False),
        ("select Last_Name from Leads where La|", False),
        ("select id from Leads where id in (select La|", False),  # a subquery: its own
        ("sel|", False),
        ("\\d Le|", False),
    ],
)
def test_awaits_from(text: str, awaits: bool) -> None:
    cursor = text.index("|")
    assert awaits_from(text.replace("|", ""), cursor) is awaits


def test_the_completer_reads_the_profiles_only_for_profile() -> None:
    asked: list[int] = []

    def profiles() -> list[str]:
        asked.append(1)
        return ["home", "work"]

    completer = CoqlCompleter(lambda: None, profiles_getter=profiles)

    def texts(text: str) -> list[str]:
        found = completer.get_completions(Document(text, len(text)), CompleteEvent())
        return [c.text for c in found]

    assert texts("select Last_Name fr") == ["from"] and asked == []
    assert texts("\\profile ") == ["home", "work"] and asked == [1]


def test_grouped_order_by_offers_only_what_the_check_takes(demo: Catalog) -> None:
    """Each suggestion after ORDER BY in a grouped query makes a query the check accepts
    (it used to offer every field first, each refused: order by a grouped field or a
    selected aggregate)."""
    head = "select Lead_Source, Lead_Status as status, COUNT(id), AVG(Annual_Revenue) avg_revenue from Leads "
    head += "group by Lead_Source, Lead_Status order by "
    found = [s.text for s in suggest(head, len(head), demo)]
    assert found == [
        "Lead_Source",
        "Lead_Status",
        "COUNT(id)",
        "AVG(Annual_Revenue)",
        "status",
        "avg_revenue",
    ]
    for text in found:
        errors = [d for d in validate(parse(head + text), demo) if d.is_error]
        assert errors == [], (text, errors)


# ---- the prompt_toolkit adapter ----


def test_completer_works_before_the_catalog_arrives(demo: Catalog) -> None:
    box: list[Catalog | None] = [None]
    completer = CoqlCompleter(lambda: box[0])
    document = Document("select Last_Name fr")
    assert [c.text for c in completer.get_completions(document, CompleteEvent())] == ["from"]
    document = Document("select Last_N from Leads", cursor_position=13)
    assert list(completer.get_completions(document, CompleteEvent())) == []
    box[0] = demo
    completions = list(completer.get_completions(document, CompleteEvent()))
    assert [c.text for c in completions] == ["Last_Name"]
    assert completions[0].start_position == -6
    assert completions[0].display_meta_text == "text · Last Name"


def test_completer_passes_the_parameters(demo: Catalog) -> None:
    completer = CoqlCompleter(lambda: demo, lambda: ["since"])
    document = Document("select id from Leads where Created_Time > :")
    assert [c.text for c in completer.get_completions(document, CompleteEvent())] == [":since"]
