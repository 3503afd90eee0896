"""Rules for WHERE: which fields may be filtered, with which comparators, and which values."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

from coqlkit.catalog import Field, FieldType, Resolved, closest
from coqlkit.catalog.model import LOOKUPS, NUMERIC, TEXTUAL
from coqlkit.language.ast import (
    Between,
    Comparison,
    In,
    IsNull,
    Like,
    Number,
    Param,
    Predicate,
    Select,
    String,
    Value,
    number_fits,
)
from coqlkit.language.render import render_value
from coqlkit.validate._context import Context
from coqlkit.validate.diagnostics import Diagnostic, Severity

__all__ = ["CRITERIA_RULES", "QUOTED_NUMBER", "allowed_operators", "operator_of"]

INFO, WARNING = Severity.INFO, Severity.WARNING

EQUALITY = frozenset({"=", "!=", "in", "not in", "is null", "is not null"})
TEXT_OPS = EQUALITY | {"like", "not like"}
ORDERED_OPS = EQUALITY | {">", ">=", "<", "<=", "between", "not between"}
NULL_OPS = frozenset({"is null", "is not null"})

# Types that cannot be filtered at all (reference §2.3, §3, §4).
NOT_IN_CRITERIA = {
    FieldType.TERRITORIES: "territory fields can only be selected, not filtered",
    FieldType.TEXTAREA: "multi-line fields cannot be used in criteria",
    FieldType.IMAGEUPLOAD: "image upload fields are not supported in COQL",
    FieldType.MULTISELECTLOOKUP: "a multi-select lookup cannot be filtered from its base module",
    FieldType.SUBFORM: "subform fields are filtered from the subform's module",
    FieldType.FILEUPLOAD: "file upload fields cannot be used in criteria",
}


def operator_of(cond: Predicate) -> str:
    """The comparator of a predicate as COQL writes it: ``=``, ``not like``, ``is null``..."""
    if isinstance(cond, Comparison):
        return cond.op
    word = {Like: "like", In: "in", Between: "between", IsNull: "null"}[type(cond)]
    negated = getattr(cond, "negated", False)
    if word == "null":
        return "is not null" if negated else "is null"
    return f"not {word}" if negated else word


def allowed_operators(field: Field) -> frozenset[str]:
    """The comparators COQL allows on ``field`` (reference §3).

    >>> sorted(allowed_operators(Field("Email_Opt_Out", "boolean")))
    ['=']
    """
    kind = field.value_type
    if field.subkey:
        return EQUALITY
    if field.encrypted:
        return NULL_OPS | ({"=", "!="} if kind in NUMERIC else set())
    if field.type in NOT_IN_CRITERIA:
        return frozenset()
    if kind is FieldType.BOOLEAN:
        return (
            frozenset({"=", "is null", "is not null"})
            if field.type is FieldType.FORMULA
            else frozenset({"="})
        )
    if kind in NUMERIC or kind in (FieldType.DATE, FieldType.DATETIME):
        return ORDERED_OPS
    if kind is FieldType.PROFILEIMAGE:
        return frozenset({"in", "is null", "is not null"})
    if kind in TEXTUAL:
        return TEXT_OPS
    return EQUALITY  # lookups, multi-module lookups, consent lookups, role and profile keys


def filterable(ctx: Context) -> Iterator[Diagnostic]:
    """Territory, multi-line, image and file fields cannot be filtered; nor can fields whose
    metadata says ``filterable: false``."""
    for cond in ctx.predicates:
        found = ctx.resolved(cond.left)
        if found is None:
            continue
        reason = NOT_IN_CRITERIA.get(found.field.type)
        if reason is None and not found.field.filterable:
            reason = "this org marks the field as not filterable"
        if reason is not None:
            yield Diagnostic(
                "INVALID_QUERY",
                f"{cond.left.name} cannot be used in WHERE: {reason}",
                cond.left.span,
                details={"column_name": cond.left.name},
            )


def comparators(ctx: Context) -> Iterator[Diagnostic]:
    """Each comparator must suit the field's type, as Zoho's "invalid operator found".

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.language import parse
    >>> ctx = Context(parse("select id from Leads where Last_Name >= 'B'"), Catalog.demo())
    >>> [d.message for d in comparators(ctx)]
    ['Last_Name is text: >= does not apply']
    """
    for cond in ctx.predicates:
        found = ctx.resolved(cond.left)
        if found is None or found.field.type is FieldType.UNKNOWN:
            continue
        field = found.field
        allowed = allowed_operators(field)
        op = operator_of(cond)
        if not allowed or op in allowed or field.type in NOT_IN_CRITERIA:
            continue
        kind = "encrypted " + field.data_type if field.encrypted else field.data_type
        yield Diagnostic(
            "INVALID_QUERY",
            f"{cond.left.name} is {kind}: {op} does not apply",
            cond.span,
            hint="use " + ", ".join(o for o in _ORDER if o in allowed),
            details={"column_name": cond.left.name, "operator": op, "reason": "invalid operator found"},
        )


_ORDER = (
    "=",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "like",
    "not like",
    "in",
    "not in",
    "between",
    "not between",
    "is null",
    "is not null",
)


def values(ctx: Context) -> Iterator[Diagnostic]:
    """Each value must fit the field: numbers, ``YYYY-MM-DD`` dates, datetimes with an offset,
    ``'true'``/``'false'``, record ids for lookups, and known picklist values (a warning)."""
    for cond in ctx.predicates:
        found = ctx.resolved(cond.left)
        if found is None or found.field.type is FieldType.UNKNOWN or not _checks_values(found.field):
            continue
        if isinstance(cond, Like):
            yield from _like(cond, found.field)
            continue
        for value in _values_of(cond):
            if _field_named(ctx, found, value) is None:  # else bare_words says what it is
                yield from _value(cond, found, value)


def _checks_values(field: Field) -> bool:
    """Whether the values compared with ``field`` are checked: not those of an encrypted
    text, which Zoho lets be compared with nothing (only ``is null``), but those of an
    encrypted number, which takes ``=`` and ``!=`` and still needs a number that fits it.

    >>> _checks_values(Field("Credit_Score", "integer", encrypted=True))
    True
    >>> _checks_values(Field("Passport_Number", "text", encrypted=True))
    False
    """
    return not field.encrypted or field.value_type in NUMERIC


def _values_of(cond: Predicate) -> tuple[Value, ...]:
    if isinstance(cond, Comparison):
        right = cond.right
        return () if isinstance(right, Select) else (right,)
    if isinstance(cond, Between):
        return (cond.low, cond.high)
    if isinstance(cond, In) and isinstance(cond.values, tuple):
        return cond.values
    return ()


# A number in quotes, as Zoho's samples write one and coqlkit's sandbox (its model of Zoho)
# reads one: a sign, digits and a decimal point. Zoho documents no exponent and no blanks in
# a quoted number, and the sandbox refuses both; so does the validator.
QUOTED_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)\Z")
# What a person may have meant as a number: blanks around it, or an exponent.
_LOOSE_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\Z")
_DIGITS = re.compile(r"\d{1,19}\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})([+-]\d{2}:\d{2})\Z")
# A datetime written almost as Zoho wants: the parts the hint rebuilds it from.
_LOOSE_DATETIME = re.compile(
    r"\s*(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[Tt]|\s+)(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"(?P<fraction>\.\d+)?\s*(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?\s*\Z"
)


def _value(cond: Predicate, found: Resolved, value: Value) -> Iterator[Diagnostic]:
    if isinstance(value, Param):
        return
    field = found.field
    kind = field.value_type
    if kind is FieldType.DATETIME and isinstance(value, String) and value.naive_midnight:
        yield _naive_midnight(cond, field, value)
        return
    problem = _mismatch(cond, field, kind, value)
    if problem is not None:
        message, hint = problem
        yield Diagnostic(
            "INVALID_QUERY",
            f"{message} for {cond.left.name} ({field.data_type})",
            value.span,
            hint=hint,
            details={
                "column_name": cond.left.name,
                "reason": "value given seems to be invalid for the column",
            },
        )
    elif kind in (FieldType.PICKLIST, FieldType.MULTISELECTPICKLIST) and isinstance(value, String):
        yield from _picklist(cond, found, value)
    else:
        yield from _too_long(cond, field, value)


def _naive_midnight(cond: Predicate, field: Field, value: String) -> Diagnostic:
    """A datetime parameter without a time zone, at midnight, compared with a datetime field:
    bound as the day it names (what a date column becomes in pandas), it is told as the
    parameter's missing zone, which is what the user can fix. No offset is offered: the
    org's time zone is not known here, and UTC is often not it."""
    name = value.naive_midnight
    return Diagnostic(
        "INVALID_PARAMETER",
        f"{name} is a datetime without a time zone, and {cond.left.name} is a datetime field: "
        "Zoho needs the offset",
        value.span,
        hint=f"give {name} the time zone it is meant in, such as the org's: datetime(..., "
        "tzinfo=ZoneInfo(...)) or Timestamp(...).tz_localize(...); a naive midnight stands for "
        "a day only on a date field",
        details={"column_name": cond.left.name},
    )


def _mismatch(cond: Predicate, field: Field, kind: FieldType, value: Value) -> tuple[str, str | None] | None:
    text = value.value if isinstance(value, String) else None
    number = value.value if isinstance(value, Number) else None
    if number is not None and not number_fits(number):
        # Only an AST built in code gets here: parse() refuses such literals.
        return "the number is not one COQL can hold", None
    shown = repr(text) if text is not None else str(number)
    if kind in NUMERIC:
        if text is not None and not QUOTED_NUMBER.match(text):
            return _not_a_number(cond, field, text, shown)
        # Quoted or bare, the same number: '.5' is no more whole than .5.
        amount = Decimal(text) if text is not None else Decimal(number or 0)
        if kind in (FieldType.INTEGER, FieldType.BIGINT) and not _whole(amount):
            return f"{shown} is not a whole number", None
        return _out_of_range(cond, kind, amount, shown)
    if kind is FieldType.DATE:
        return _date_problem(text, shown)
    if kind is FieldType.DATETIME:
        return _datetime_problem(text, shown)
    if kind is FieldType.BOOLEAN:
        if text is None or text.lower() not in ("true", "false"):
            return f"{shown} is not a boolean", "write 'true' or 'false'"
        return None
    is_lookup = field.type in LOOKUPS or field.type in (
        FieldType.MULTI_MODULE_LOOKUP,
        FieldType.CONSENT_LOOKUP,
    )
    if not is_lookup or (number is None and text is None):
        return None
    if text is not None and not _DIGITS.match(text):
        target = field.lookup_module or "the target module"
        return (
            f"{shown} is not a record id",
            f"a lookup compares with record ids; to match a name, follow the lookup to a field of "
            f"{target}: {field.api_name}.<field>",
        )
    whole = Decimal(text) if text is not None else Decimal(number or 0)
    if not _whole(whole) or not 0 <= whole <= _WHOLE[FieldType.BIGINT][1]:
        return (
            f"{shown} is not a record id",
            f"a record id is a whole number from 0 to {_WHOLE[FieldType.BIGINT][1]:,}",
        )
    return None


# The whole numbers Zoho reads for an integer and a long integer (bigint) field: Java's int
# and long. Zoho documents 9 digits for an integer field and 18 for a long integer (the CRM
# help pages on custom fields), 19 for a big integer in bulk-read criteria (reference §3).
_WHOLE = {FieldType.INTEGER: (-(2**31), 2**31 - 1), FieldType.BIGINT: (-(2**63), 2**63 - 1)}


def _whole(number: Decimal) -> bool:
    """No fraction (``% 1`` fails past the context's 28 digits: ``1E+30 % 1``)."""
    return number == number.to_integral_value()


def _out_of_range(cond: Predicate, kind: FieldType, value: Decimal, shown: str) -> tuple[str, str] | None:
    """A number an integer or bigint field cannot be compared with: Zoho refuses the query
    (``No_of_Employees > 99999999999``). What to write instead names the field's bounds."""
    bounds = _WHOLE.get(kind)
    if bounds is None or bounds[0] <= value <= bounds[1]:
        return None
    low, high = bounds
    width = "32-bit" if kind is FieldType.INTEGER else "64-bit"
    return (
        f"{shown} is out of range",
        f"Zoho reads a value of {cond.left.name} as a {width} integer: compare it with a whole "
        f"number from {low:,} to {high:,}",
    )


def _too_long(cond: Predicate, field: Field, value: Value) -> Iterator[Diagnostic]:
    """A number with more digits before the point than the field holds (its ``length``:
    9 for an integer field, 16 for a currency): no value of the field is that big, so the
    condition holds for every record or for none."""
    number: Decimal | None = None
    if isinstance(value, Number) or (isinstance(value, String) and QUOTED_NUMBER.match(value.value)):
        number = Decimal(value.value)
    length = field.length
    if number is None or not isinstance(length, int) or not length or field.value_type not in NUMERIC:
        return
    digits = len(str(abs(int(number))).lstrip("0"))
    if digits <= length:
        return
    shown = render_value(value)
    yield Diagnostic(
        "INVALID_QUERY",
        f"{shown} has {digits} digits: no value of {cond.left.name} has more than {length}",
        value.span,
        WARNING,
        hint=f"the condition holds for every record or for none; {cond.left.name} is "
        f"{field.data_type} of at most {length} digits",
        details={"column_name": cond.left.name},
    )


def _not_a_number(cond: Predicate, field: Field, text: str, shown: str) -> tuple[str, str]:
    """A quoted value on a number field that is not :data:`QUOTED_NUMBER`; the hint writes the
    user's own condition with the number bare when the text holds one."""
    name = cond.left.name
    loose = _LOOSE_NUMBER.match(text)
    number = Number(Decimal(loose.group(1))) if loose else None
    if loose is None or number is None or not number_fits(number.value):
        return (
            f"{shown} is not a number",
            f"{name} is a number field ({field.data_type}): compare it with a number written without quotes",
        )
    bare = render_value(number)
    example = f"{name} {cond.op} {bare}" if isinstance(cond, Comparison) else bare
    if "e" in loose.group(1).lower():
        return (
            f"{shown} is not a plain number",
            f"Zoho documents no exponent in a quoted number (coqlkit's sandbox refuses one): write {example}",
        )
    return f"{shown} is not a plain number", f"write the number without quotes: {example}"


def _date_problem(text: str | None, shown: str) -> tuple[str, str | None] | None:
    loose = _LOOSE_DATETIME.match(text) if text is not None else None
    if loose is not None:
        if not _real_date(loose["date"]):
            return f"{shown} is not a calendar date", None
        return f"{shown} is a datetime, not a date", f"a date field takes the date alone: '{loose['date']}'"
    if text is None or not _DATE.match(text):
        return f"{shown} is not a date", "write dates as 'YYYY-MM-DD'"
    if not _real_date(text):
        return f"{shown} is not a calendar date", None
    return None


def _real_date(text: str) -> bool:
    """``YYYY-MM-DD`` names a day of the calendar (not ``2024-13-45``, not ``2023-02-29``)."""
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _datetime_problem(text: str | None, shown: str) -> tuple[str, str | None] | None:
    example = "'2024-05-28T09:30:00+05:30'"
    if text is None:
        return f"{shown} is not a datetime", f"write datetimes quoted with an offset: {example}"
    if _DATE.match(text):
        if not _real_date(text):
            return f"{shown} is not a calendar date", None
        return f"{shown} is a date, not a datetime", (
            f"give the time and the offset of the zone meant: '{text}T00:00:00+00:00' is midnight UTC"
        )
    if _DATETIME.match(text) is None:
        return _loose_datetime(text, shown) or (
            f"{shown} is not a datetime with an offset",
            f"write datetimes as {example}",
        )
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return f"{shown} is not a real date and time", None
    return None


def _loose_datetime(text: str, shown: str) -> tuple[str, str | None] | None:
    """What is wrong with an almost-right datetime, and the user's value written right.

    >>> _loose_datetime("2024-01-31T10:00:00+05:30 ", "'2024-01-31T10:00:00+05:30 '")
    ("'2024-01-31T10:00:00+05:30 ' has a blank after it", "write '2024-01-31T10:00:00+05:30'")
    """
    m = _LOOSE_DATETIME.match(text)
    if m is None:
        return None
    offset = m["offset"]
    fixed_offset = "+00:00" if offset is None or offset in "Zz" else f"{offset[:3]}:{offset[-2:]}"
    moment = f"{m['date']}T{m['h']}:{m['m']}:{m['s'] or '00'}{fixed_offset}"
    try:
        dt.datetime.fromisoformat(moment)
    except ValueError:
        return f"{shown} is not a real date and time", None  # no hint offers an impossible moment
    fixed = f"'{moment}'"
    if m["fraction"]:
        return f"{shown} has fractions of a second", f"Zoho takes datetimes to the second: {fixed}"
    if offset is None:
        return f"{shown} has no offset", f"give the offset, +00:00 for UTC or your own: {fixed}"
    if offset in "Zz":
        return f"{shown} ends in Z", f"write the offset as +00:00: {fixed}"
    if m["sep"] != "T":
        return f"{shown} does not put a T between the date and the time", f"write {fixed}"
    if m["s"] is None:
        return f"{shown} has no seconds", f"write {fixed}"
    if ":" not in offset:
        return f"{shown} writes its offset without a colon", f"write {fixed}"
    return f"{shown} {_blanks(m)}", f"write {fixed}"


def _blanks(m: re.Match[str]) -> str:
    """Where the blanks are in a datetime that is right but for them (the only places
    :data:`_LOOSE_DATETIME` lets one be once the rest is right)."""
    text = m.string
    places = (
        ("before it", text[:1].isspace()),
        ("before its offset", text[m.start("offset") - 1].isspace()),
        ("after it", text[-1:].isspace()),
    )
    return "has a blank " + " and ".join(place for place, blank in places if blank)


def _picklist(cond: Predicate, found: Resolved, value: String) -> Iterator[Diagnostic]:
    field = found.field
    known = field.picklist_values
    if not known:
        return
    parts = value.value.split(";") if field.type is FieldType.MULTISELECTPICKLIST else [value.value]
    if placeholder(value.value) is not None:
        return  # bare_words says it is a variable not expanded
    for part in parts:
        if part.strip().casefold() == _NONE:
            yield _empty_choice(cond, part, value)
            continue
        if part in known:
            continue
        same = [v for v in known if v.casefold() == part.casefold()]
        if same:
            # Text compares without regard to case (README, the sandbox): it matches, as written.
            yield Diagnostic(
                "INVALID_QUERY",
                f"{part!r} matches the picklist value {same[0]!r} of {cond.left.name}: "
                "text compares without regard to case",
                value.span,
                INFO,
                hint=f"the picklist spells it {same[0]!r}",
            )
            continue
        near = closest(part, known) or _similar(part, known)
        if near:
            hint = "closest values: " + ", ".join(repr(v) for v in near)
        else:
            hint = (
                f"no value of {field.api_name} is close to {part!r}; "
                f"\\d+ {found.module} in the coqlkit REPL lists them"
            )
        yield Diagnostic(
            "INVALID_QUERY",
            f"{part!r} is not a value of the picklist {cond.left.name}",
            value.span,
            WARNING,
            hint=hint,
        )


# The picklist's empty choice: the metadata lists it (``picklist_values[0]``), but a record
# left on it holds no value (null), so a comparison with the text matches no record.
_NONE = "-none-"


def _empty_choice(cond: Predicate, part: str, value: String) -> Diagnostic:
    """``Lead_Status = '-None-'``: a warning saying to write ``is null`` (``!=``: ``is not null``).

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.language import parse
    >>> ctx = Context(parse("select id from Leads where Lead_Status != '-None-'"), Catalog.demo())
    >>> [(d.message, d.hint) for d in values(ctx)]
    [("'-None-' is the empty choice of the picklist Lead_Status: a record left on it holds no value (null), not the text '-None-'", 'write Lead_Status is not null')]
    """
    name = cond.left.name
    negated = (isinstance(cond, Comparison) and cond.op in ("!=", "<>")) or (
        isinstance(cond, In) and cond.negated
    )
    null = "is not null" if negated else "is null"
    if isinstance(cond, In):
        joiner = "and" if negated else "or"
        hint = f"take {part!r} out of the list and add '{joiner} {name} {null}' (in brackets with the IN)"
    else:
        hint = f"write {name} {null}"
    what = f"not the text {part!r}" if negated else "so no record matches it"
    return Diagnostic(
        "INVALID_QUERY",
        f"{part!r} is the empty choice of the picklist {name}: a record left on it holds no value (null), {what}",
        value.span,
        WARNING,
        hint=hint,
        details={"column_name": name},
    )


def _similar(text: str, known: Sequence[str], n: int = 3) -> list[str]:
    """Values that look like ``text`` past a few typos: a close spelling, or one inside the other."""
    folded = {v.casefold(): v for v in known}
    found = [folded[v] for v in difflib.get_close_matches(text.casefold(), folded, n, cutoff=0.75)]
    word = text.casefold().strip()
    if len(word) >= 4:
        found += [
            v for f, v in folded.items() if (word in f or (len(f) >= 4 and f in word)) and v not in found
        ]
    return found[:n]


def _not_like_hint(field: str, text: str) -> str:
    """What to write for ``not like`` with a pattern other than ``'%text%'``, without changing
    what the query means behind the user's back: ``'Sm%'`` (does not start with) has no COQL
    form, and ``'%Sm%'`` (does not contain) leaves out more rows.

    >>> print(_not_like_hint("Last_Name", "Sm%"))
    COQL cannot say 'does not start with Sm'. Last_Name not like '%Sm%' means 'does not contain Sm', which also leaves out values with Sm further in: write it if that is meant, or filter the rows locally
    >>> print(_not_like_hint("Last_Name", "Smith"))
    without % it means 'is not': write Last_Name != 'Smith'
    """
    inner = text.strip("%")
    if "%" not in text:
        return f"without % it means 'is not': write {field} != " + "'" + text.replace("'", "''") + "'"
    if not inner:
        return f"name the text a value must not contain: {field} not like '%text%'"
    if text.endswith("%") and not text.startswith("%"):
        meant, elsewhere = "does not start with", "further in"
    elif text.startswith("%") and not text.endswith("%"):
        meant, elsewhere = "does not end with", "anywhere else"
    else:
        meant, elsewhere = "does not match", "anywhere"
    quoted = ("%" + inner + "%").replace("'", "''")
    return (
        f"COQL cannot say '{meant} {inner}'. {field} not like '{quoted}' means 'does not contain {inner}', "
        f"which also leaves out values with {inner} {elsewhere}: write it if that is meant, "
        "or filter the rows locally"
    )


def _like(cond: Like, field: Field) -> Iterator[Diagnostic]:
    pattern = cond.pattern
    if isinstance(pattern, String):
        text = pattern.value
    elif isinstance(pattern, Number):  # like 1.25: the number's text, without a %
        text = str(pattern.value)
    else:
        return
    inner = text.strip("%")
    if cond.negated and not (text.startswith("%") and text.endswith("%") and len(text) > 1):
        yield Diagnostic(
            "INVALID_QUERY",
            "not like works only as 'does not contain': '%text%'",
            pattern.span,
            hint=_not_like_hint(cond.left.name, text),
            details={"column_name": cond.left.name, "operator": "not like"},
        )
    elif "%" in inner:
        yield Diagnostic(
            "INVALID_QUERY",
            "'%' inside a pattern is not supported: like means starts with, ends with or contains",
            pattern.span,
            WARNING,
            hint="Zoho reads 'x%' as starts with, '%x' as ends with, '%x%' as contains",
        )
    elif "%" not in text:
        yield Diagnostic(
            "INVALID_QUERY",
            f"like without % is an exact match: {cond.left.name} = {text!r}",
            pattern.span,
            WARNING,
            hint="add % for starts with, ends with or contains",
        )


# A number written with a leading zero (``02158``, ``-007``): rendered, the zeros are gone.
_LEADING_ZERO = re.compile(r"[+-]?0\d")
# Field types the number checks of ``values`` already answer (a number is the wrong value).
_NOT_TEXT = NUMERIC | {FieldType.DATE, FieldType.DATETIME, FieldType.BOOLEAN}


def written_numbers(ctx: Context) -> Iterator[Diagnostic]:
    """A bare number that is sent otherwise than written: ``Zip_Code = 02158`` compares with
    the number 2158, ``Phone = +1415...`` with 1415... . A warning on a field that holds text
    (text, phone, email, picklist...), and on any field but a number (or without metadata)
    when leading zeros are lost. A number field is compared with the same number either way.

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.language import parse
    >>> ctx = Context(parse("select id from Leads where Zip_Code = 02158"), Catalog.demo())
    >>> [d.message for d in written_numbers(ctx)]
    ['02158 is the number 2158: Zoho compares Zip_Code with 2158']
    """
    for cond in ctx.predicates:
        found = ctx.resolved(cond.left)
        kind = found.field.value_type if found is not None else FieldType.UNKNOWN
        if kind in _NOT_TEXT or (found is not None and found.field.encrypted):
            continue
        items = (cond.pattern,) if isinstance(cond, Like) else _values_of(cond)
        for value in items:
            if not isinstance(value, Number) or not value.written:
                continue
            written, sent = value.written, render_value(value)
            if sent == written or not (kind in TEXTUAL or _LEADING_ZERO.match(written)):
                continue
            text = "'" + written + "'"
            example = f": {cond.left.name} {cond.op} {text}" if isinstance(cond, Comparison) else ""
            hint = (
                f"quote it for the text {text}{example}"
                if kind in TEXTUAL
                else f"if {cond.left.name} holds text, quote it: {text}; for the number, write {sent}"
            )
            yield Diagnostic(
                "INVALID_QUERY",
                f"{written} is the number {sent}: Zoho compares {cond.left.name} with {sent}",
                value.span,
                WARNING,
                hint=hint,
                details={"column_name": cond.left.name},
            )


def _field_named(ctx: Context, found: Resolved | None, value: Value) -> str | None:
    """The field of the query's module a bare word names (``Email = Secondary_Email``),
    unless the word is a value of the compared picklist."""
    module = ctx.module
    if not isinstance(value, String) or not value.bare or module is None or module.fields is None:
        return None
    word = value.value
    if found is not None and any(v.casefold() == word.casefold() for v in found.field.picklist_values):
        return None
    if word in module.fields:
        return word
    if "_" not in word:
        return None  # `Email` for `email` needs the spelling: a plain word may be a plain value
    return next((name for name in module.fields if name.casefold() == word.casefold()), None)


def bare_words(ctx: Context) -> Iterator[Diagnostic]:
    """A bare word is sent as text (``Lead_Source = Advertisement``). One that names a field of
    the module (``Email = Secondary_Email``) reads as a comparison of two fields, which COQL
    does not have; one that starts with ``$`` (``Last_Name = $name``) as a variable that was
    not expanded. An error where the text is not a value of the field's type (``Modified_Time >
    Created_Time``); a warning otherwise (the query runs, comparing with the word's text)."""
    for cond in ctx.predicates:
        if isinstance(cond, Like):
            yield from _placeholders(cond, (cond.pattern,))
            continue  # the pattern rule already says what a pattern without % does
        found = ctx.resolved(cond.left)
        yield from _placeholders(cond, _values_of(cond))
        for value in _values_of(cond):
            if not isinstance(value, String) or not value.bare:
                continue
            name = cond.left.name
            other = _field_named(ctx, found, value)
            if other is not None:
                wrong = None
                if found is not None and _checks_values(found.field):
                    wrong = _mismatch(cond, found.field, found.field.value_type, value)
                word = value.value if other == value.value else f"{value.value} (the field {other})"
                compare = "select both fields and compare them in the rows"
                if wrong is not None and found is not None:
                    kind = found.field.data_type
                    message = f"{word} is a field, not {'an' if kind[:1] in 'aeiou' else 'a'} {kind}"
                    hint = f"{compare}; {wrong[1]}" if wrong[1] else compare
                else:
                    message = f"{word} is sent as the text {render_value(value)}"
                    hint = f"{compare}, or quote {render_value(value)} if you mean that text"
                yield Diagnostic(
                    "INVALID_QUERY",
                    f"COQL compares {name} with a value, not with another field: {message}",
                    value.span,
                    Severity.ERROR if wrong else WARNING,
                    hint=hint,
                    details={"column_name": name, "value": other},
                )
            elif value.value.startswith("$") and (
                found is None
                or not any(v.casefold() == value.value.casefold() for v in found.field.picklist_values)
            ):
                yield Diagnostic(
                    "INVALID_QUERY",
                    f"{value.value} is sent as the text {render_value(value)}: a variable not expanded?",
                    value.span,
                    WARNING,
                    hint="COQL has no variables: write the value, or a :name parameter bound when the "
                    "query runs; quote it if you mean that text",
                    details={"column_name": name},
                )


# A template's placeholder left in a quoted value: a Postman or Mustache ``{{name}}``, a
# shell or JavaScript ``${name}``, a whole ``'$name'``, and a Deluge concatenation copied out
# of a script (``'" + name + "'``). Each is sent as written and matches no record.
_PLACEHOLDER = re.compile(
    r"(?P<template>\{\{\s*[^{}]+?\s*\}\}|\$\{[^{}]+\})"
    r"|\A(?P<dollar>\$[A-Za-z_]\w*)\Z"
    r"|(?P<deluge>\"\s*\+\s*[^\"+]+?\s*\+\s*\")"
)


def placeholder(text: str) -> re.Match[str] | None:
    """The template placeholder in the text of a quoted value, if it holds one.

    >>> [m.group() if m else None for m in map(placeholder, ["{{name}}", "a ${x}", "$name", '" + id + "', "$5"])]
    ['{{name}}', '${x}', '$name', '" + id + "', None]
    """
    return _PLACEHOLDER.search(text)


def _placeholders(cond: Predicate, items: Sequence[Value]) -> Iterator[Diagnostic]:
    """A quoted value holding a placeholder (``Last_Name = '{{name}}'``): a warning, as for
    a bare ``$name``."""
    for value in items:
        if not isinstance(value, String) or value.bare:
            continue
        found = placeholder(value.value)
        if found is None:
            continue
        shown = render_value(value)
        held = (
            "is sent as written"
            if found.group() == value.value
            else f"holds {found.group()}, sent as written"
        )
        if found.group("deluge"):
            expression = found.group().strip('" +')
            parameter = (
                f"the parameter :{expression}"
                if re.fullmatch(r"[A-Za-z_]\w*", expression)
                else "a :name parameter"
            )
            message = f"{shown} {held}: Deluge's concatenation, copied out of a script?"
            hint = f"write the value, or {parameter} bound when the query runs"
        else:
            message = f"{shown} {held}: a template variable not expanded?"
            hint = "COQL has no variables: fill the template in before sending the query, or use a :name parameter bound when the query runs"
        yield Diagnostic(
            "INVALID_QUERY",
            message,
            value.span,
            WARNING,
            hint=hint,
            details={"column_name": cond.left.name},
        )


CRITERIA_RULES = (filterable, comparators, values, bare_words, written_numbers)
