"""Hypothesis strategies shared by the property tests of ``coqlkit.language``.

``selects()`` builds *canonical* :class:`~coqlkit.language.ast.Select` trees straight from the
node classes (no text involved), so the round-trip test can ask whether the renderer and the
parser agree on every tree the AST can hold. :func:`normal_form` says what a tree is expected to
look like after ``parse(render(...))``: the two places where the renderer fills in Zoho's
defaults (a missing WHERE and a LIMIT without a count).

The module also holds the tricky text pieces (quotes, backslashes, comment openers, ``;``, NUL,
injection attempts) used by the parameter and fuzz tests, and the settings every test here uses
(no example database on disk, no deadline: the first parse builds the LALR tables).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from coqlkit.language.ast import (
    Aggregate,
    And,
    Between,
    Column,
    Comparison,
    Condition,
    Expression,
    FieldRef,
    In,
    IsNull,
    Like,
    Limit,
    Number,
    Or,
    OrderItem,
    Select,
    Source,
    String,
    Value,
)

__all__ = [
    "AGGREGATE_FUNCS",
    "BASE_SETTINGS",
    "COMPARATORS",
    "DEFAULT_WHERE",
    "MAX_DIGITS",
    "TRICKY_PIECES",
    "aliases",
    "conditions",
    "field_refs",
    "fits_coql_number",
    "identifiers",
    "normal_form",
    "numbers",
    "predicates",
    "selects",
    "string_values",
    "tricky_text",
    "values",
]

#: No ``.hypothesis`` directory in the work tree, and no deadline (the first parse builds Lark's tables).
BASE_SETTINGS = settings(
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

COMPARATORS = ("=", "!=", ">", ">=", "<", "<=")
AGGREGATE_FUNCS = ("SUM", "MIN", "MAX", "AVG", "COUNT")

#: What ``render`` writes for a query without WHERE: ``where id is not null``.
DEFAULT_WHERE: Condition = IsNull(FieldRef(("id",)), negated=True)
#: Zoho's page size, which ``render`` writes for a LIMIT that only has an OFFSET.
DEFAULT_COUNT = 200

# Realistic API names of the demo org, and names that are reserved words (the renderer must quote
# them), including COQL's own keywords in mixed case.
_PLAIN_NAMES = (
    "id",
    "Last_Name",
    "Email",
    "Account_Name",
    "Parent_Account",
    "Owner",
    "Amount",
    "Stage",
    "What_Id",
    "$se_module",
    "Locked__s",
    "Count",
    "Sum",
    "Leads",
    "x",
)
_RESERVED_NAMES = (
    "External",
    "Order",
    "Date",
    "Select",
    "from",
    "WHERE",
    "and",
    "Or",
    "not",
    "Like",
    "in",
    "between",
    "IS",
    "null",
    "Group",
    "by",
    "Limit",
    "offset",
    "as",
    "Asc",
    "desc",
    "except",
    "having",
    "User",
    "value",
    "Time",
)

#: Pieces of text that are dangerous to a renderer or a lexer.
TRICKY_PIECES = (
    "'",
    "''",
    '"',
    '""',
    "\\",
    "\\'",
    '\\"',
    "\\\\",
    "\n",
    "\r\n",
    "\t",
    "--",
    "/*",
    "*/",
    ";",
    "\x00",
    "%",
    "_",
    "') or (1=1",
    "' or '1'='1",
    "; select id from Users",
    " and ",
    "(",
    ")",
    ",",
    ":name",
    "é",
    "漢字",
    "😀",
    "\u2028",
)


def identifiers() -> st.SearchStrategy[str]:
    """API names: realistic ones, reserved words, and arbitrary ASCII identifiers."""
    return st.one_of(
        st.sampled_from(_PLAIN_NAMES),
        st.sampled_from(_RESERVED_NAMES),
        st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$]{0,10}", fullmatch=True),
    )


def tricky_text(*, min_size: int = 0) -> st.SearchStrategy[str]:
    """Arbitrary unicode text, often glued together from :data:`TRICKY_PIECES`."""
    glued = st.lists(
        st.one_of(st.sampled_from(TRICKY_PIECES), st.text(max_size=4)), min_size=min_size, max_size=8
    ).map("".join)
    return st.one_of(st.text(min_size=min_size), glued).filter(lambda s: len(s) >= min_size)


def string_values() -> st.SearchStrategy[String]:
    return tricky_text().map(String)


def aliases() -> st.SearchStrategy[str]:
    """Non-empty alias text: identifiers, reserved words, or arbitrary unicode."""
    return st.one_of(identifiers(), tricky_text(min_size=1))


#: COQL numbers hold at most this many digits (``coqlkit.language.ast.MAX_NUMBER_DIGITS``).
MAX_DIGITS = 100


def numbers() -> st.SearchStrategy[Number]:
    """Ints (negative too) and finite Decimals of at most 100 digits, the bound COQL text has.

    Digit counts are drawn evenly, so the bound itself is reached often.
    """
    small = st.integers(-1000, 1000)
    wide = st.integers(1, MAX_DIGITS).flatmap(lambda n: st.integers(10 ** (n - 1), 10**n - 1))
    ints = st.one_of(small, wide, wide.map(lambda v: -v))
    decimals = st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False).filter(fits_coql_number),
        st.builds(
            lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in digits), exponent)),
            st.integers(0, 1),
            st.from_regex(r"[0-9]{1,30}", fullmatch=True),
            st.integers(-MAX_DIGITS, 70),
        ).filter(fits_coql_number),
    )
    return st.one_of(ints.map(Number), decimals.map(Number), st.sampled_from(_ODD_DECIMALS).map(Number))


def fits_coql_number(d: Decimal) -> bool:
    """At most 100 digits in all, and none past the 100th decimal place."""
    _, digits, exponent = d.as_tuple()
    return (
        isinstance(exponent, int) and -MAX_DIGITS <= exponent and len(digits) + max(exponent, 0) <= MAX_DIGITS
    )


_ODD_DECIMALS = tuple(
    Decimal(s)
    for s in ("0", "-0", "0.0", "-0.000", "1E+2", "-0E+3", "1.50", "-1E-7", "123456789.0", "1E+99", "1E-100")
)


def values() -> st.SearchStrategy[Value]:
    return st.one_of(string_values(), numbers())


Names = st.SearchStrategy[str] | None


def field_refs(names: Names = None, modules: Names = None) -> st.SearchStrategy[FieldRef]:
    """Paths of one to three names, sometimes through a polymorphic lookup or with a ``!Module.`` prefix.

    ``names`` and ``modules`` draw the field and module names (:func:`identifiers` by default).
    """
    names = identifiers() if names is None else names
    modules = identifiers() if modules is None else modules
    return st.builds(
        FieldRef,
        st.lists(names, min_size=1, max_size=3).map(tuple),
        via=st.none() | modules,
        qualifier=st.none() | modules,
    )


def expressions(names: Names = None, modules: Names = None) -> st.SearchStrategy[Expression]:
    refs = field_refs(names, modules)
    return st.one_of(refs, st.builds(Aggregate, st.sampled_from(AGGREGATE_FUNCS), refs))


def predicates(depth: int = 1, names: Names = None, modules: Names = None) -> st.SearchStrategy[Condition]:
    """One leaf condition; subqueries (``in (select ...)``, ``= (select ...)``) nest up to ``depth`` deep."""
    refs = field_refs(names, modules)
    vals = values()
    negated = st.booleans()
    in_values: st.SearchStrategy[tuple[Value, ...] | Select] = st.lists(vals, min_size=1, max_size=4).map(
        tuple
    )
    rights: st.SearchStrategy[Value | Select] = vals
    if depth > 0:
        # Deferred, so the strategy's repr (which Hypothesis builds while validating) stays small.
        subqueries = st.deferred(lambda: selects(depth - 1, names, modules))
        in_values = st.one_of(in_values, subqueries)
        rights = st.one_of(vals, subqueries)
    return st.one_of(
        st.builds(Comparison, refs, st.sampled_from(COMPARATORS), rights),
        st.builds(Like, refs, vals, negated),
        st.builds(In, refs, in_values, negated),
        st.builds(Between, refs, vals, vals, negated),
        st.builds(IsNull, refs, negated),
    )


def conditions(depth: int = 1, names: Names = None, modules: Names = None) -> st.SearchStrategy[Condition]:
    """AND/OR as binary trees of any shape over :func:`predicates`."""
    return st.recursive(
        predicates(depth, names, modules),
        lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner)),
        max_leaves=6,
    )


def limits() -> st.SearchStrategy[Limit]:
    """Every Limit the AST can hold: count ≥ 1 or None, offset ≥ 0 or None."""
    return st.builds(
        Limit,
        st.none() | st.integers(1, 100_000),
        st.none() | st.integers(0, 100_000),
    )


def selects(depth: int = 1, names: Names = None, modules: Names = None) -> st.SearchStrategy[Select]:
    """Canonical SELECT trees (no ``*``, no parameters): what a program could build by hand.

    ``names`` and ``modules`` narrow the field and module names, e.g. to those of a catalog.
    """
    exprs = expressions(names, modules)
    columns = st.lists(st.builds(Column, exprs, st.none() | aliases()), min_size=1, max_size=4).map(tuple)
    cvids = st.none() | st.from_regex(r"[0-9]{1,19}", fullmatch=True)
    source = st.builds(Source, identifiers() if modules is None else modules, cvids)
    order = st.lists(st.builds(OrderItem, exprs, st.booleans()), max_size=3).map(tuple)
    return st.builds(
        Select,
        columns,
        source,
        st.none() | conditions(depth, names, modules),
        st.lists(field_refs(names, modules), max_size=3).map(tuple),
        order,
        st.none() | limits(),
    )


def normal_form(select: Select) -> Select:
    """What ``parse(render(select))`` should give: ``render`` fills in Zoho's defaults.

    A missing WHERE becomes ``where id is not null`` and ``offset n`` alone becomes
    ``limit 200 offset n`` (README, "The input dialect"; reference, decisions table), in the query
    and in every subquery.
    """
    where = DEFAULT_WHERE if select.where is None else _normal_condition(select.where)
    limit = select.limit
    if limit is not None and limit.count is None:
        limit = Limit(DEFAULT_COUNT, limit.offset)
    return replace(select, where=where, limit=limit)


def _normal_condition(cond: Condition) -> Condition:
    if isinstance(cond, (And, Or)):
        return replace(cond, left=_normal_condition(cond.left), right=_normal_condition(cond.right))
    if isinstance(cond, In) and isinstance(cond.values, Select):
        return replace(cond, values=normal_form(cond.values))
    if isinstance(cond, Comparison) and isinstance(cond.right, Select):
        return replace(cond, right=normal_form(cond.right))
    return cond
