"""Parameters cannot change the structure of a query.

A ``:name`` parameter is bound to a literal node in the AST, never by formatting text
(``coqlkit.language.params``). Properties, over a handful of templates (``=``, ``like``,
``in :list``, ``in (:a, :b)``, ``between :lo and :hi``, a parameter inside a subquery) and arbitrary
values (text with quotes, backslashes, injection attempts, comment openers, ``;``, NUL and
unicode; ints; finite floats and Decimals; dates; tz-aware datetimes; bools; lists for IN):

* **structure**: the bound query, and the bound query rendered and parsed again, have the
  template's module, columns, clauses, and the same tree of conditions with the same operators
  and negations; ``parse(render(bound)) == bound``; no parameter is left.
* **values**: every bound value comes back from the rendered text as the value given: text
  exactly, numbers numerically, dates as ISO dates, datetimes as the same instant written
  ``yyyy-MM-ddTHH:mm:ss±HH:mm`` (in the value's own offset, or UTC when that offset has seconds).
* **refusals**: ``None``, naive datetimes (but at midnight), NaN and infinities, numbers of more than 100 digits,
  empty lists, lists outside IN, values of unsupported types and missing parameters raise
  ``ParameterError`` — from ``bind`` and from ``parse(text, params=...)`` alike.
* ``parse(text, params=p) == bind(parse(text), p)``.
* ``LIMIT :n`` / ``OFFSET :m`` (every way of writing them) bind whole numbers as if they were
  written there; any other value is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coqlkit import ParameterError, bind, parse, render
from coqlkit.errors import RenderError
from coqlkit.language import (
    And,
    Between,
    Comparison,
    Condition,
    In,
    IsNull,
    Like,
    Node,
    Number,
    Or,
    Param,
    Select,
    String,
    parameters,
)
from tests.language.strategies import BASE_SETTINGS, MAX_DIGITS, fits_coql_number, tricky_text

#: name -> (template, names bound to one value, names bound to a list)
TEMPLATES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "equals": ("select Last_Name, Email from Leads where Email = :v", ("v",), ()),
    "like": (
        "select Last_Name from Leads where Last_Name like :v and Lead_Source = 'Web Download'",
        ("v",),
        (),
    ),
    "in_list": (
        "select Deal_Name, Amount from Deals where Stage in :vs order by Amount desc limit 10",
        (),
        ("vs",),
    ),
    "in_pair": (
        "select Deal_Name from Deals where (Stage not in (:a, :b)) or Amount > :n",
        ("a", "b", "n"),
        (),
    ),
    "between": (
        "select Deal_Name from Deals where Closing_Date between :lo and :hi "
        "and (Amount >= 0 or Stage != :v) limit 5 offset 10",
        ("lo", "hi", "v"),
        (),
    ),
    "subquery": (
        "select Last_Name from Contacts where Account_Name in "
        "(select id from Accounts where Account_Name like :v and Rating = :n) and Email is not null",
        ("v", "n"),
        (),
    ),
}

#: How Zoho writes a datetime: ``yyyy-MM-ddTHH:mm:ss±HH:mm``.
ZOHO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}\Z")

# ---- values ------------------------------------------------------------------------------------

_texts = tricky_text()
_DAY, _MICRO = dt.timedelta(days=1), dt.timedelta(microseconds=1)
#: Fixed offsets in whole minutes, as Zoho writes them (±HH:MM), and any offset at all.
_minute_offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m))
)
_any_offsets = st.timedeltas(-_DAY + _MICRO, _DAY - _MICRO).map(dt.timezone)
#: A day in from each end of the calendar (the ends: test_any_aware_datetime_binds_or_is_refused).
_inner = {"min_value": dt.datetime(1, 1, 2), "max_value": dt.datetime(9999, 12, 30)}
_aware_datetimes = st.one_of(
    st.datetimes(**_inner, timezones=st.just(dt.timezone.utc)),
    st.datetimes(**_inner, timezones=_minute_offsets),
    st.datetimes(**_inner, timezones=_any_offsets),
    st.datetimes(**_inner, timezones=st.timezones()),
)
SCALARS: st.SearchStrategy[Any] = st.one_of(
    _texts,
    # Numbers COQL can hold: at most 100 digits (10**100: test_bound_int_of_101_digits_is_refused).
    st.integers(-(10**MAX_DIGITS - 1), 10**MAX_DIGITS - 1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: fits_coql_number(Decimal(repr(f)))),
    st.decimals(allow_nan=False, allow_infinity=False).filter(fits_coql_number),
    st.dates(),
    _aware_datetimes,
    st.booleans(),
)
LISTS: st.SearchStrategy[Any] = st.one_of(
    st.lists(SCALARS, min_size=1, max_size=5),
    st.lists(SCALARS, min_size=1, max_size=5).map(tuple),
)


@st.composite
def bindings(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A template's name and a value for each of its parameters (sometimes a list for ``in (:a, :b)``)."""
    name = draw(st.sampled_from(sorted(TEMPLATES)))
    _, scalars, lists = TEMPLATES[name]
    params: dict[str, Any] = {}
    for p in scalars:
        in_pair = name == "in_pair" and p in ("a", "b")
        params[p] = draw(st.one_of(SCALARS, LISTS) if in_pair else SCALARS)
    for p in lists:
        params[p] = draw(LISTS)
    return name, params


# ---- what a query looks like once its values are taken away ------------------------------------


def _shape(cond: Condition | None) -> object:
    if cond is None or isinstance(cond, IsNull):
        return cond
    if isinstance(cond, (And, Or)):
        return (type(cond).__name__, _shape(cond.left), _shape(cond.right))
    if isinstance(cond, Comparison):
        return ("Comparison", cond.left, cond.op)
    if isinstance(cond, (Like, Between)):
        return (type(cond).__name__, cond.left, cond.negated)
    assert isinstance(cond, In)
    inner = skeleton(cond.values) if isinstance(cond.values, Select) else "values"
    return ("In", cond.left, cond.negated, inner)


def skeleton(select: Select) -> object:
    """Module, columns, clauses and the tree of conditions with their operators, without values."""
    return (
        select.source,
        select.columns,
        _shape(select.where),
        select.group_by,
        select.order_by,
        select.limit,
    )


def _leaves(select: Select) -> Iterator[Node]:
    """The value nodes of ``select``, in source order (subqueries included)."""
    return (n for n in select.walk() if isinstance(n, (String, Number, Param)))


def _expected(template: Select, params: Mapping[str, Any]) -> Iterator[object]:
    """The template's literals, with each parameter replaced by its value(s), in source order."""
    for node in _leaves(template):
        if isinstance(node, Param):
            value = params[node.name]
            yield from value if isinstance(value, (list, tuple)) else (value,)
        else:
            yield node


def _same_second(sent: dt.datetime, value: dt.datetime) -> bool:
    """``sent`` is ``value`` cut to the second (by subtraction: ``==`` across zones is False in a fold)."""
    return dt.timedelta(0) <= value - sent < dt.timedelta(seconds=1)


def _same_value(node: Node, expected: object) -> bool:
    """Whether ``node``, read back from the rendered text, is the literal of ``expected``."""
    if isinstance(expected, Node):
        return node == expected
    if isinstance(expected, bool):
        return node == String("true" if expected else "false")
    if isinstance(expected, str):
        return isinstance(node, String) and node.value == expected
    if isinstance(expected, int):
        return isinstance(node, Number) and node.value == expected
    if isinstance(expected, float):
        return isinstance(node, Number) and float(node.value) == expected
    if isinstance(expected, Decimal):
        return isinstance(node, Number) and node.value == expected
    if isinstance(expected, dt.datetime):
        if not isinstance(node, String):
            return False
        back = dt.datetime.fromisoformat(node.value)
        offset = expected.utcoffset()
        assert offset is not None
        if offset % dt.timedelta(minutes=1):  # Zoho's offsets are ±HH:MM: these are sent in UTC
            offset = dt.timedelta(0)
        return (
            _same_second(back, expected)
            and back.utcoffset() == offset
            and bool(ZOHO_DATETIME.match(node.value))
        )
    if isinstance(expected, dt.date):
        return isinstance(node, String) and dt.date.fromisoformat(node.value) == expected
    raise AssertionError(f"unexpected value {expected!r}")


# ---- properties -------------------------------------------------------------------------------


@settings(BASE_SETTINGS, max_examples=250)
@given(bindings())
def test_bound_values_cannot_change_structure(case: tuple[str, dict[str, Any]]) -> None:
    name, params = case
    template = parse(TEMPLATES[name][0])
    bound = bind(template, params)
    text = render(bound)
    reparsed = parse(text)

    assert parameters(bound) == []
    assert reparsed == bound, text
    assert skeleton(bound) == skeleton(template)
    assert skeleton(reparsed) == skeleton(template), text
    assert [type(c) for c in reparsed.conditions()] == [type(c) for c in template.conditions()]

    expected = list(_expected(template, params))
    got = list(_leaves(reparsed))
    assert len(got) == len(expected), text
    for node, value in zip(got, expected, strict=True):
        assert _same_value(node, value), (node, value, text)


@settings(BASE_SETTINGS, max_examples=100)
@given(bindings())
def test_parse_with_params_is_bind_after_parse(case: tuple[str, dict[str, Any]]) -> None:
    name, params = case
    text = TEMPLATES[name][0]
    assert parse(text, params=params) == bind(parse(text), params)


@settings(BASE_SETTINGS, max_examples=100)
@given(_texts, _texts)
def test_injection_stays_one_string(left: str, right: str) -> None:
    """Whatever two texts hold, ``a = :x or b = :y`` keeps exactly two comparisons."""
    template = parse("select id from Leads where a = :x or b = :y")
    reparsed = parse(render(bind(template, {"x": left, "y": right})))
    assert reparsed.where == Or(
        Comparison(template.where.left.left, "=", String(left)),  # type: ignore[union-attr]
        Comparison(template.where.right.left, "=", String(right)),  # type: ignore[union-attr]
    )


@settings(BASE_SETTINGS, max_examples=100)
@given(_aware_datetimes)
@example(dt.datetime(1924, 1, 1, tzinfo=ZoneInfo("Asia/Magadan")))  # LMT: +10:03:12
@example(dt.datetime(2024, 5, 28, 9, 30, 15, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-3, seconds=-1))))
def test_bound_datetimes_have_zoho_form(value: dt.datetime) -> None:
    """``yyyy-MM-ddTHH:mm:ss±HH:mm``: the instant given, cut to the second.

    Was: an offset with seconds (zoneinfo's local mean times before ~1920) was written
    ``1924-01-01T00:00:00+10:03:12``; minimal example found by Hypothesis: the first ``@example``.
    """
    bound = parse("select id from Leads where Created_Time > :t", params={"t": value})
    text = bound.where.right.value  # type: ignore[union-attr]
    assert ZOHO_DATETIME.match(text), text
    assert _same_second(dt.datetime.fromisoformat(text), value)


# ---- refusals ---------------------------------------------------------------------------------


class _Opaque:
    """A value of a type that has no COQL literal."""


#: Values that have no literal anywhere: None, naive datetimes (but midnight: a day), NaN and
#: infinities, other types.
BAD_ATOMS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.datetimes().filter(lambda d: d.time() != dt.time()),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity")]),
    st.sampled_from([_Opaque(), b"bytes", 1j, {"a": 1}, dt.time(9, 30), dt.timedelta(days=1), object()]),
    # more than 100 digits, before or after the point
    st.sampled_from(
        [10**100, -(10**100), 10**101, 1e300, -1e-300, 5e-324, Decimal("1E+101"), Decimal("1.5E-100")]
    ),
)
_EMPTY = st.sampled_from([[], (), frozenset(), set()])
#: Values no IN list takes: empty, holding a bad value, or nested.
BAD_LISTS: st.SearchStrategy[Any] = st.one_of(
    _EMPTY,
    st.tuples(st.lists(SCALARS, max_size=2), BAD_ATOMS, st.lists(SCALARS, max_size=2)).map(
        lambda t: [*t[0], t[1], *t[2]]
    ),
    st.lists(st.lists(SCALARS, min_size=1, max_size=2), min_size=1, max_size=2),
)
#: Lists, good or bad, where a single value belongs (``=``, ``like``, ``between``).
LISTS_OUTSIDE_IN: st.SearchStrategy[Any] = st.one_of(LISTS, _EMPTY, st.frozensets(st.integers(), max_size=3))


@settings(BASE_SETTINGS, max_examples=150)
@given(bindings(), st.data())
def test_unbindable_values_are_refused(case: tuple[str, dict[str, Any]], data: st.DataObject) -> None:
    name, params = case
    text, scalars, lists = TEMPLATES[name]
    target = data.draw(st.sampled_from((*scalars, *lists)), label="parameter")
    takes_list = target in lists or (name == "in_pair" and target in ("a", "b"))
    bad = data.draw(st.one_of(BAD_ATOMS, BAD_LISTS if takes_list else LISTS_OUTSIDE_IN), label="value")
    params = {**params, target: bad}
    with pytest.raises(ParameterError):
        bind(parse(text), params)
    with pytest.raises(ParameterError):
        parse(text, params=params)


@settings(BASE_SETTINGS, max_examples=50)
@given(bindings(), st.data())
def test_missing_parameter_is_refused(case: tuple[str, dict[str, Any]], data: st.DataObject) -> None:
    name, params = case
    text = TEMPLATES[name][0]
    missing = data.draw(st.sampled_from(sorted(params)))
    del params[missing]
    with pytest.raises(ParameterError, match=f":{missing}"):
        bind(parse(text), params)
    with pytest.raises(ParameterError, match=f":{missing}"):
        parse(text, params=params)


def test_unused_parameters_are_ignored_and_scalars_bind_to_in() -> None:
    """Extra names do no harm; ``in :list`` with one value is ``in (value)``; a set binds sorted."""
    text = TEMPLATES["in_list"][0]
    assert parse(text, params={"vs": "Won", "unused": None}) == parse(text.replace(":vs", "('Won')"))
    assert render(parse(text, params={"vs": {"b", "a"}})).startswith(
        "select Deal_Name, Amount from Deals where Stage in ('a', 'b')"
    )


# ---- regressions -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['\'""', '\\""', 'O\'Brien ""x""'])
def test_bound_text_with_double_double_quote_survives(text: str) -> None:
    """Was: the bound text ``'""`` came back as ``'"`` (minimal example found by Hypothesis)."""
    bound = parse("select id from Leads where a = :v", params={"v": text})
    assert parse(render(bound)) == bound


def test_bound_int_of_101_digits_is_refused() -> None:
    """Was: bind took ``10**100`` (101 digits), render wrote it and parse refused it.

    Minimal example found by Hypothesis (ints drawn by digit count): ``10**100``.
    """
    with pytest.raises(ParameterError):
        parse("select id from Leads where a = :v", params={"v": 10**100})
    bound = parse("select id from Leads where a = :v", params={"v": 10**100 - 1})
    assert parse(render(bound)) == bound


@settings(BASE_SETTINGS, max_examples=100)
@given(st.datetimes(timezones=st.one_of(_any_offsets, st.timezones())))
@example(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(microseconds=1))))
@example(dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(seconds=-30))))
@example(dt.datetime(1, 1, 1, tzinfo=ZoneInfo("Asia/Magadan")))
def test_any_aware_datetime_binds_or_is_refused(value: dt.datetime) -> None:
    """Over the whole calendar and any offset: a datetime in Zoho's form, or ``ParameterError``.

    Was: an offset with seconds is sent in UTC, and ``astimezone`` overflowed on the first and last
    day of the calendar (OverflowError). Minimal example found by Hypothesis (datetimes near the
    ends of the calendar, offsets of any precision): the first ``@example``.
    """
    try:
        bound = parse("select id from Leads where Created_Time > :t", params={"t": value})
    except ParameterError:
        return
    text = bound.where.right.value  # type: ignore[union-attr]
    assert ZOHO_DATETIME.match(text), text
    assert _same_second(dt.datetime.fromisoformat(text), value)


# ---- LIMIT and OFFSET ------------------------------------------------------------------------

LIMIT_FORMS = {  # as written with parameters: as written with the numbers
    "limit :n offset :m": "limit {n} offset {m}",
    "limit :m, :n": "limit {m}, {n}",
    "limit :n": "limit {n}",
    "offset :m": "offset {m}",
}
LIMIT_BASE = "select Last_Name from Leads where Lead_Status = :s "


@settings(BASE_SETTINGS, max_examples=100)
@given(form=st.sampled_from(sorted(LIMIT_FORMS)), n=st.integers(0, 10**12), m=st.integers(0, 10**12))
def test_limit_and_offset_parameters_bind_as_the_numbers_written(form: str, n: int, m: int) -> None:
    bound = parse(LIMIT_BASE + form, params={"s": "New", "n": n, "m": m})
    written = parse(LIMIT_BASE.replace(":s", "'New'") + LIMIT_FORMS[form].format(n=n, m=m))
    assert bound == written
    assert render(bound) == render(written)  # OFFSET alone renders as Zoho's LIMIT 200 OFFSET m
    assert not [node for node in bound.walk() if isinstance(node, Param)]


@settings(BASE_SETTINGS, max_examples=50)
@given(
    value=st.one_of(
        st.text(max_size=5),
        st.floats(),
        st.decimals(allow_nan=False),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
)
@example(value="10")
@example(value=10.0)
@example(value=True)
def test_limit_parameters_take_only_whole_numbers(value: Any) -> None:
    with pytest.raises(ParameterError, match=r":n is .*LIMIT and OFFSET take a whole number"):
        parse(LIMIT_BASE + "limit :n", params={"s": "New", "n": value})


def test_limit_parameters_take_numpy_integers_and_refuse_unbound_rendering() -> None:
    import numpy as np

    bound = parse(LIMIT_BASE + "limit :n offset :m", params={"s": "x", "n": np.int64(5), "m": np.uint8(2)})
    assert render(bound).endswith("limit 5 offset 2")
    unbound = parse(LIMIT_BASE.replace(":s", "'x'") + "limit :n")
    assert unbound.limit is not None and unbound.limit.count == Param("n")
    assert parameters(unbound) == ["n"]
    with pytest.raises(RenderError, match=":n has no value"):
        render(unbound)
    with pytest.raises(ValueError, match=":n of LIMIT/OFFSET is not bound"):
        unbound.limit.rows()


NUMPY_BASE = "select Last_Name from Leads where Annual_Revenue > :x and Lead_Source in :xs"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("float64", "100000.5"),  # repr(np.float64(...)) is "np.float64(100000.5)" in numpy 2
        ("int64", "7"),
        ("uint8", "7"),
        ("float32", "0.5"),
        ("bool_", "'true'"),
        ("day", "'2025-01-31'"),
        ("timestamp", "'2025-01-31T09:30:00+00:00'"),
    ],
)
def test_numpy_and_pandas_scalars_bind_as_the_python_values_they_stand_for(value: str, written: str) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    scalars = {
        "float64": np.float64(100000.5),
        "int64": np.int64(7),
        "uint8": np.uint8(7),
        "float32": np.float32(0.5),
        "bool_": np.bool_(True),
        "day": np.datetime64("2025-01-31"),
        "timestamp": pd.Timestamp("2025-01-31 09:30", tz="UTC"),
    }
    bound = bind(parse(NUMPY_BASE), {"x": scalars[value], "xs": ["Chat"]})
    assert f"Annual_Revenue > {written} and" in render(bound)


def test_numpy_arrays_and_pandas_series_bind_as_in_lists() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    lists = [
        np.array([3, 1]),
        pd.Series([3, 1]),
        pd.Index([3, 1]),
    ]
    for values in lists:
        assert render(bind(parse(NUMPY_BASE), {"x": 0, "xs": values})).endswith("in (3, 1)"), type(values)
    picked = pd.Series(["Web", "Chat"]).astype("category")
    assert render(bind(parse(NUMPY_BASE), {"x": 0, "xs": picked})).endswith("in ('Web', 'Chat')")
    # Nanosecond datetimes (a Series' .values) are instants, not integers: without a zone
    # they are refused like any naive datetime; a day stays a date.
    stamps = pd.Series(pd.to_datetime(["2025-01-31 09:30"])).values
    with pytest.raises(ParameterError, match=r":xs\[0\] is a datetime without a time zone.*\.date\(\)"):
        bind(parse(NUMPY_BASE), {"x": 0, "xs": stamps})
    days = np.array(["2025-01-31", "2025-02-01"], dtype="datetime64[D]")
    assert render(bind(parse(NUMPY_BASE), {"x": 0, "xs": days})).endswith("in ('2025-01-31', '2025-02-01')")


def test_a_naive_midnight_binds_as_its_day() -> None:
    """What a date column becomes in pandas (a naive midnight Timestamp, datetime64[ms]) binds
    back as the day; a naive time of day is still refused (which zone?)."""
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    days = pd.Series(pd.to_datetime(["2025-01-31", "2025-02-01"]))
    for value, written in (
        (dt.datetime(2025, 1, 31), "'2025-01-31'"),
        (days.max(), "'2025-02-01'"),
        (days.values.max(), "'2025-02-01'"),
        (np.datetime64("2025-01-31T00:00:00.000"), "'2025-01-31'"),
    ):
        assert render(bind(parse(NUMPY_BASE), {"x": value, "xs": ["Chat"]})).find(f"> {written} and") > 0, (
            value
        )
    for naive in (
        dt.datetime(2025, 1, 31, 0, 0, 1),
        dt.datetime(2025, 1, 31, 0, 0, 0, 1),
        pd.Timestamp("2025-01-31 09:30"),
    ):
        with pytest.raises(ParameterError, match="without a time zone"):
            bind(parse(NUMPY_BASE), {"x": naive, "xs": ["Chat"]})


def test_numpy_and_pandas_missing_values_are_refused_as_nulls() -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    for missing, said in ((np.float64("nan"), "NaN stands for a missing value"), (pd.NaT, "is NaT")):
        with pytest.raises(ParameterError, match=f"{said}.*is null"):
            bind(parse(NUMPY_BASE), {"x": missing, "xs": [1]})
    with pytest.raises(ParameterError, match=":x has type ndarray"):
        bind(parse(NUMPY_BASE), {"x": np.zeros((2, 2)), "xs": [1]})
