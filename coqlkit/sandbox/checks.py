"""Zoho's own checks of a COQL query, as the sandbox applies them.

This is a second, independent reading of Zoho's rules (``shared/coql-reference.md``
§2-§5, Zoho's OAS v8 error examples), written apart from ``coqlkit.validate`` on
purpose: a mistake in one shows up as a disagreement with the other instead of being
copied. Like Zoho, the sandbox reports the first problem it meets, in Zoho's order:
syntax, clauses, limits, duplicates, aliases, then the module, fields, operators and
values. Each problem is a :class:`ZohoError` with Zoho's code, details and message.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from decimal import Decimal

from coqlkit.catalog import Catalog, Field, FieldType, Module, ResolveError
from coqlkit.errors import CoqlSyntaxError
from coqlkit.language import AGGREGATES, extensions, parse
from coqlkit.language.ast import (
    Aggregate,
    And,
    Between,
    Column,
    Comparison,
    Condition,
    FieldRef,
    In,
    IsNull,
    Like,
    Number,
    Or,
    Param,
    Select,
    Star,
    String,
    Value,
)
from coqlkit.sandbox.errors import ZohoError

__all__ = ["check_query", "parse_strict"]

# Zoho's numbers (reference "Numbers used throughout").
MAX_ROWS, MAX_OFFSET_ROWS, MAX_COLUMNS, MAX_CRITERIA, MAX_IN = 2000, 100_000, 50, 25, 50
MAX_ORDER_BY, MAX_GROUP_BY, MAX_AGGREGATES, MAX_HOPS = 10, 4, 5, 2
MAX_SUBQUERIES = 5  # per query, nested ones included (reference §2.11, §4)

EQUALS = {"=", "!=", "in", "not in", "is null", "is not null"}
TEXT = EQUALS | {"like", "not like"}
RANGE = EQUALS | {">", ">=", "<", "<=", "between", "not between"}
NUMBERS = {
    FieldType.INTEGER,
    FieldType.BIGINT,
    FieldType.DOUBLE,
    FieldType.CURRENCY,
    FieldType.PERCENT,
    FieldType.DECIMAL,
}
WORDS = {
    FieldType.TEXT,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.WEBSITE,
    FieldType.PICKLIST,
    FieldType.MULTISELECTPICKLIST,
    FieldType.AUTONUMBER,
}
NEVER_FILTERED = {
    FieldType.TERRITORIES,
    FieldType.TEXTAREA,
    FieldType.IMAGEUPLOAD,
    FieldType.FILEUPLOAD,
    FieldType.SUBFORM,
    FieldType.MULTISELECTLOOKUP,
}
NEVER_SELECTED = {FieldType.IMAGEUPLOAD, FieldType.MULTISELECTLOOKUP, FieldType.SUBFORM}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}\Z")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)\Z")
_ID = re.compile(r"[0-9]+\Z")
# What Zoho's Java reads a value of an integer and of a long integer (bigint) field as, ids
# included: an int and a long. A value past them is refused, not compared (INVALID_QUERY).
WHOLE = {FieldType.INTEGER: (-(2**31), 2**31 - 1), FieldType.BIGINT: (-(2**63), 2**63 - 1)}


def parse_strict(text: str) -> Select:
    """Parse as Zoho would: coqlkit's conveniences are errors here."""
    try:
        select = parse(text)
    except CoqlSyntaxError as exc:
        near = _near(text, exc.line, exc.column)
        if exc.code != "SYNTAX_ERROR":  # a LIMIT or OFFSET that is not a whole number
            clause, value = _bad_count(text, exc.line, exc.column, exc.description)
            raise ZohoError(exc.code, f"{clause} given seems to be invalid", {clause: value}) from None
        raise ZohoError(
            "SYNTAX_ERROR",
            f"syntax error near {near!r}",
            {"line": exc.line, "column": exc.column, "near": near},
        ) from None
    for found in extensions(select):
        _refuse(found.name, found.span.start if found.span else None, text)
    return select


# Conveniences Zoho itself takes: LIMIT m, n (community code runs it against live Zoho),
# OFFSET alone, and bare words as values (Zoho's own samples: Lead_Source = Advertisement).
ZOHO_TAKES = frozenset({"limit_comma", "offset_only", "bare_word"})


def _refuse(name: str, at: int | None, text: str) -> None:
    if name in ZOHO_TAKES and not (name == "bare_word" and _looks_like_date(text, at)):
        return
    if name == "missing_where":
        raise ZohoError("SYNTAX_ERROR", "missing clause", {"clause": "where"})
    if name == "aggregate_case":
        raise ZohoError(
            "INVALID_DATA",
            "unsupported aggregate function",
            {"reason": "aggregate functions are case-sensitive"},
        )
    near = text[at : at + 20].split()[0] if at is not None and text[at:].strip() else ""
    raise ZohoError("SYNTAX_ERROR", f"syntax error near {near!r}", {"near": near})


def _looks_like_date(text: str, at: int | None) -> bool:
    return at is not None and bool(re.match(r"\d{4}-\d{2}-\d{2}", text[at:]))


def _bad_count(text: str, line: int, column: int, message: str) -> tuple[str, str]:
    """The clause (``limit`` or ``offset``) whose value is not a whole number, and that value
    as written: the parser points at the value and names its clause, Zoho's answer names
    both (v8 OAS example InvalidQueryInvalidLimit: ``{"limit": "s"}``).

    >>> _bad_count("select a from Leads where id is not null limit 5, s", 1, 51, "limit given seems...")
    ('limit', 's')
    >>> _bad_count("select a from Leads limit s, 5", 1, 27, "limit given seems...")
    ('limit', 's')
    """
    clause = "offset" if message.lower().startswith("offset") else "limit"
    lines = text.split("\n")
    rest = lines[line - 1][column - 1 :] if 0 < line <= len(lines) else ""
    words = re.findall(r"[^\s,]+", rest)
    return clause, words[0] if words else ""


def _near(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    rest = lines[line - 1][column - 1 :] if 0 < line <= len(lines) else ""
    return rest.split()[0] if rest.split() else ""


def check_query(select: Select, catalog: Catalog) -> None:
    """Raise the :class:`ZohoError` Zoho would answer ``select`` with, if any."""
    _limits(select)
    _duplicates(select)
    _aliases(select)
    _metadata(select, catalog)


# ---- limits -------------------------------------------------------------------------


def _limits(select: Select) -> None:
    count, start = select.limit.rows() if select.limit is not None else (None, None)
    rows = 200 if count is None else count
    offset = 0 if start is None else start
    if rows <= 0:
        raise ZohoError("INVALID_DATA", "limit should be greater than 0", {"api_name": "limit"})
    if rows > MAX_ROWS:
        raise ZohoError("LIMIT_EXCEEDED", "max limit exceeded", {"limit": MAX_ROWS})
    if offset < 0 or offset + rows > MAX_OFFSET_ROWS:
        raise ZohoError("LIMIT_EXCEEDED", "max records limit exceeded", {"limit": MAX_OFFSET_ROWS})
    if len(select.columns) > MAX_COLUMNS:
        raise ZohoError("LIMIT_EXCEEDED", "too many columns in the select clause", {"limit": MAX_COLUMNS})
    leaves = list(_leaves(select.where))
    if len(leaves) > MAX_CRITERIA:
        raise ZohoError("LIMIT_EXCEEDED", "too many criteria", {"limit": MAX_CRITERIA})
    for leaf in leaves:
        if isinstance(leaf, In) and isinstance(leaf.values, tuple) and len(leaf.values) > MAX_IN:
            raise ZohoError("LIMIT_EXCEEDED", "too many values in the in clause", {"limit": MAX_IN})
    if _subqueries(select) > MAX_SUBQUERIES:
        raise ZohoError("LIMIT_EXCEEDED", "too many sub queries", {"limit": MAX_SUBQUERIES})
    if len(select.order_by) > MAX_ORDER_BY:
        raise ZohoError("LIMIT_EXCEEDED", "too many fields in order by", {"limit": MAX_ORDER_BY})
    if len(select.group_by) > MAX_GROUP_BY:
        raise ZohoError("LIMIT_EXCEEDED", "too many fields in group by", {"limit": MAX_GROUP_BY})
    aggregates = [c for c in select.columns if isinstance(c, Column) and isinstance(c.expr, Aggregate)]
    if len(aggregates) > MAX_AGGREGATES:
        raise ZohoError("LIMIT_EXCEEDED", "too many aggregate functions", {"limit": MAX_AGGREGATES})


def _subqueries(select: Select) -> int:
    """Every subquery of the statement, however deep: the limit is per query, not per level.

    Counted before any is checked or compiled, which also bounds their nesting (SQLite's
    parser overflowed its stack at seven levels). ``walk`` keeps no Python stack either.

    >>> _subqueries(parse("select id from Leads where id in (select id from Leads where "
    ...                   "id in (select id from Leads where id is not null))"))
    2
    """
    return sum(isinstance(node, Select) for node in select.walk()) - 1


def _leaves(cond: Condition | None) -> Iterator[Condition]:
    """The conditions under AND and OR, left to right; a loop, not recursion, as a chain of
    bracketed pairs nests as deep as it is long (a thousand conditions: a thousand levels)."""
    stack = [cond] if cond is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack += (node.right, node.left)
        else:
            yield node


# ---- duplicates and aliases ----------------------------------------------------------------


def _duplicates(select: Select) -> None:
    seen: list[object] = []
    for item in select.columns:
        if isinstance(item, Star):
            raise ZohoError("SYNTAX_ERROR", "syntax error near '*'", {"near": "*"})
        if item.expr in seen:
            details: dict[str, object] = {"column_name": str(item.expr)}
            if isinstance(item.expr, Aggregate):
                details = {"column_name": str(item.expr.arg), "aggregate": item.expr.func}
            raise ZohoError("DUPLICATE_DATA", "duplicate data", details)
        seen.append(item.expr)
    for clause in ([o.expr for o in select.order_by], list(select.group_by)):
        names = [str(e) for e in clause]
        for name in names:
            if names.count(name) > 1:
                raise ZohoError("DUPLICATE_DATA", "duplicate data", {"column_name": name})


def _aliases(select: Select) -> None:
    columns = [c for c in select.columns if isinstance(c, Column)]
    names = {str(c.expr) for c in columns}
    by_alias: dict[str, list[str]] = {}
    for c in columns:
        if c.alias is None:
            continue
        if not c.alias.strip():
            raise ZohoError(
                "INVALID_ALIAS",
                "The alias name cannot be an empty string",
                {"alias": "", "column_name": str(c.expr)},
            )
        if c.alias.lower() == "id" and c.expr != FieldRef(("id",)) and not _aggregated(select):
            # Each record's id comes under "id": the column's values would be lost under it.
            # Any case, as aliases compare (DUPLICATE_ALIAS) and as the validator refuses it.
            raise ZohoError(
                "INVALID_ALIAS",
                "alias name cannot be the key of the record id",
                {"alias": c.alias, "column_name": str(c.expr)},
            )
        if c.alias in names and c.alias != str(c.expr):
            raise ZohoError("INVALID_QUERY", "invalid alias", {"alias": c.alias, "column_name": str(c.expr)})
        by_alias.setdefault(c.alias.lower(), []).append(str(c.expr))
    for alias, referred in by_alias.items():
        if len(referred) > 1:
            raise ZohoError(
                "DUPLICATE_ALIAS",
                "The same alias cannot refer to more than one select column",
                {"alias": alias, "referred_columns": referred},
            )


def _aggregated(select: Select) -> bool:
    """A grouped or aggregated query: its rows carry no record id."""
    return bool(select.group_by) or any(
        isinstance(c, Column) and isinstance(c.expr, Aggregate) for c in select.columns
    )


# ---- metadata ---------------------------------------------------------------------------


def _metadata(select: Select, catalog: Catalog) -> None:
    module = catalog.module(select.module)
    if module is None or module.fields is None:
        raise ZohoError("INVALID_QUERY", "invalid module given", {"module": select.module})
    if select.source.cvid is not None:  # the sandbox's org has no custom views
        raise ZohoError("INVALID_QUERY", "invalid cvid given", {"cvid": select.source.cvid})
    aliases = {c.alias for c in select.columns if isinstance(c, Column) and c.alias}
    for item in select.columns:
        assert isinstance(item, Column)
        if isinstance(item.expr, Aggregate):
            _aggregate(item.expr, module, catalog)
        else:
            field = _field(item.expr, module, catalog)
            if field.type in NEVER_SELECTED:
                raise ZohoError("INVALID_QUERY", "data type not supported", {"column_name": str(item.expr)})
    sequence = itertools.count()  # the subqueries of this WHERE, from 0 as in Zoho's OAS examples
    for leaf in _leaves(select.where):
        _criterion(leaf, module, catalog, sequence)
    grouped = {str(r) for r in select.group_by}
    for ref in select.group_by:
        if _field(ref, module, catalog).type in NEVER_FILTERED - {FieldType.TEXTAREA}:
            raise ZohoError(
                "INVALID_QUERY", "invalid query formed", {"column_name": str(ref), "clause": "group by"}
            )
    aggregated = _aggregated(select)
    if aggregated:
        for item in select.columns:
            if isinstance(item, Column) and isinstance(item.expr, FieldRef) and str(item.expr) not in grouped:
                raise ZohoError("INVALID_QUERY", "invalid query formed", {"column_name": str(item.expr)})
    _order_by(select, module, catalog, aliases, grouped if aggregated else None)


def _order_by(
    select: Select, module: Module, catalog: Catalog, aliases: set[str], grouped: set[str] | None
) -> None:
    """ORDER BY takes an alias, a field that can be sorted, or a selected aggregate; in a
    grouped or aggregated query (``grouped`` not None) a field only if it is grouped. The
    reference is silent on the last two: this follows coqlkit's validator, as a row's
    aggregate or field value exists only for what is selected or grouped."""
    selected = {c.expr for c in select.columns if isinstance(c, Column)}
    for order in select.order_by:
        expr = order.expr
        if isinstance(expr, FieldRef) and not expr.is_path and expr.path[0] in aliases:
            continue
        if isinstance(expr, Aggregate):
            _aggregate(expr, module, catalog)
            wrong = expr not in selected
        else:
            kind = _field(expr, module, catalog).type
            wrong = kind in NEVER_FILTERED - {FieldType.TEXTAREA} or (
                grouped is not None and str(expr) not in grouped
            )
        if wrong:
            raise ZohoError(
                "INVALID_QUERY", "invalid query formed", {"column_name": str(expr), "clause": "order by"}
            )


def _field(ref: FieldRef, module: Module, catalog: Catalog) -> Field:
    try:
        found = catalog.resolve(module.api_name, ref)
    except ResolveError as exc:
        if exc.code == "LIMIT_EXCEEDED":
            raise ZohoError(
                "LIMIT_EXCEEDED", "the query has more than two joins", {"limit": MAX_HOPS}
            ) from None
        raise ZohoError(
            "INVALID_QUERY", "column given seems to be invalid", {"column_name": str(ref)}
        ) from None
    return found.field


def _aggregate(agg: Aggregate, module: Module, catalog: Catalog) -> None:
    if agg.func not in AGGREGATES:
        raise ZohoError(
            "INVALID_DATA",
            "unsupported aggregate function",
            {"reason": "unsupported function", "column": str(agg)},
        )
    field = _field(agg.arg, module, catalog)
    kind = field.value_type
    numeric = kind in NUMBERS
    if agg.func in ("SUM", "AVG") and not numeric:
        ok = False
    elif agg.func in ("MIN", "MAX"):
        ok = numeric or kind in (FieldType.DATE, FieldType.DATETIME)
    elif agg.func == "COUNT":
        ok = numeric or kind in (
            FieldType.PICKLIST,
            FieldType.LOOKUP,
            FieldType.OWNERLOOKUP,
            FieldType.USERLOOKUP,
        )
    else:
        ok = True
    if not ok:
        raise ZohoError(
            "INVALID_DATA",
            "unsupported aggregate function",
            {"reason": "data type not supported", "column": str(agg)},
        )


def _operator(cond: Condition) -> str:
    if isinstance(cond, Comparison):
        return cond.op
    if isinstance(cond, IsNull):
        return "is not null" if cond.negated else "is null"
    word = {Like: "like", In: "in", Between: "between"}[type(cond)]
    return f"not {word}" if getattr(cond, "negated", False) else word


def _allowed(field: Field) -> set[str]:
    kind = field.value_type
    if field.subkey:
        return EQUALS
    if field.encrypted:
        return {"is null", "is not null"} | ({"=", "!="} if kind in NUMBERS else set())
    if kind is FieldType.BOOLEAN:  # a formula's boolean may also be tested for null (reference §3)
        return {"=", "is null", "is not null"} if field.type is FieldType.FORMULA else {"="}
    if kind in NUMBERS or kind in (FieldType.DATE, FieldType.DATETIME):
        return RANGE
    if kind in WORDS:
        return TEXT
    if kind is FieldType.PROFILEIMAGE:
        return {"in", "is null", "is not null"}
    return EQUALS


def _criterion(cond: Condition, module: Module, catalog: Catalog, sequence: Iterator[int]) -> None:
    """One condition: its field, operator and values; a subquery's one column, then the
    subquery itself (``sequence`` numbers the subqueries of the WHERE)."""
    assert not isinstance(cond, (And, Or))
    field = _field(cond.left, module, catalog)
    op = _operator(cond)
    if field.type in NEVER_FILTERED or not field.filterable:
        # Zoho's OAS v8 example InvalidQueryUnsupportedCriteria; the metadata's filterable:false
        # is Zoho's own word that a field cannot be filtered (reference §6.1).
        raise ZohoError(
            "INVALID_QUERY",
            "unsupported column in criteria",
            {"cv_criteria": False, "column_name": str(cond.left), "operator": op},
        )
    if op not in _allowed(field) or (isinstance(cond, Like) and cond.negated and not _contains(cond.pattern)):
        raise ZohoError(
            "INVALID_QUERY",
            "invalid query formed",
            {"column_name": str(cond.left), "operator": op, "reason": "invalid operator found"},
        )
    values: list[Value] = []
    if isinstance(cond, Comparison) and not isinstance(cond.right, Select):
        values = [cond.right]
    elif isinstance(cond, Between):
        values = [cond.low, cond.high]
    elif isinstance(cond, In) and isinstance(cond.values, tuple):
        values = list(cond.values)
    for value in values:
        if isinstance(value, Param) or not _fits(field, value):
            raise ZohoError(
                "INVALID_QUERY",
                "value given seems to be invalid for the column",
                {"column_name": str(cond.left), "reason": "invalid value"},
            )
    sub = cond.values if isinstance(cond, In) else cond.right if isinstance(cond, Comparison) else None
    if isinstance(sub, Select):
        number = next(sequence)
        if len(sub.columns) != 1:  # Zoho's OAS v8 example InvalidQuerySubQueryMultipleColumns
            raise ZohoError(
                "INVALID_QUERY",
                "subquery should contains only one column",
                {
                    "sub_query_sequence": number,
                    "column_name": [str(getattr(c, "expr", c)) for c in sub.columns],
                },
            )
        check_query(sub, catalog)


def _contains(pattern: Value) -> bool:
    """``'%text%'``, the one pattern ``not like`` takes: Zoho reads it as not-contains and has
    no not-starts-with or not-ends-with (reference §2.4; Zoho's COQL-Limitations pages).

    >>> [_contains(String(p)) for p in ("%Sm%", "Sm%", "%th", "Smith", "%")]
    [True, False, False, False, False]
    """
    text = pattern.value if isinstance(pattern, String) else ""
    return len(text) > 1 and text.startswith("%") and text.endswith("%")


def _fits(field: Field, value: Value) -> bool:
    kind = field.value_type
    text = value.value if isinstance(value, String) else None
    if kind in NUMBERS or field.api_name == "id":
        if isinstance(value, Number):
            number = Decimal(value.value)
        elif text and _NUMBER.match(text):
            number = Decimal(text)
        else:
            return False
        bounds = WHOLE.get(FieldType.BIGINT if field.api_name == "id" else kind)
        # An int or a long holds no fraction: '1.5' or 1.5 is refused, 5.0 is 5 (as the validator).
        return bounds is None or (number == number.to_integral_value() and bounds[0] <= number <= bounds[1])
    if kind is FieldType.DATE:
        return text is not None and bool(_DATE.match(text)) and _real_date(text)
    if kind is FieldType.DATETIME:
        return text is not None and bool(_DATETIME.match(text)) and _real_datetime(text)
    if kind is FieldType.BOOLEAN:
        return text is not None and text.lower() in ("true", "false")
    if field.type in (
        FieldType.LOOKUP,
        FieldType.OWNERLOOKUP,
        FieldType.USERLOOKUP,
        FieldType.MULTI_MODULE_LOOKUP,
    ):
        if isinstance(value, Number):
            number = Decimal(value.value)
            return number == number.to_integral_value() and 0 <= number <= WHOLE[FieldType.BIGINT][1]
        return bool(text and _ID.match(text)) and int(text or 0) <= WHOLE[FieldType.BIGINT][1]
    return True


def _real_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _real_datetime(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
