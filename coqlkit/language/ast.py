"""The COQL abstract syntax tree: immutable nodes with source spans.

The AST is canonical: ``a <> b`` and ``a != b``, ``count(x)`` and ``COUNT(x)``,
``LIMIT 10, 5`` and ``LIMIT 5 OFFSET 10``, a bare word and a quoted string parse
to equal trees. How the text was written (spans, parentheses, quoting, spelling)
is kept in fields that do not take part in equality, so ``parse(render(q)) == q``
and the REPL, the validator and the sandbox can still point at the source.

``AND`` and ``OR`` are binary, as Zoho wants them: a flat ``a and b and c``
parses left-associated, ``((a and b) and c)``, with ``parens == 0`` on the inner
node, which is how :func:`coqlkit.language.extensions` finds flat chains.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from decimal import MAX_EMAX, Decimal, InvalidOperation, localcontext
from typing import NamedTuple

__all__ = [
    "MAX_NUMBER_DIGITS",
    "Aggregate",
    "And",
    "Between",
    "Column",
    "Comparison",
    "Condition",
    "Expression",
    "FieldRef",
    "In",
    "IsNull",
    "Like",
    "Limit",
    "Node",
    "Number",
    "Or",
    "OrderItem",
    "Param",
    "Predicate",
    "Select",
    "SelectItem",
    "Source",
    "Span",
    "Star",
    "String",
    "Value",
]


# The fields of each node class that take part in equality (computed on first use).
_PARTS: dict[type, tuple[str, ...]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}  # the fields each node class's repr shows


class Span(NamedTuple):
    """Where a node is in the source: 1-based line and column, end exclusive, and offsets.

    A named tuple rather than a dataclass: the parser makes one for every token it keeps.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"

    def merge(self, other: Span | None) -> Span:
        """The smallest span covering both."""
        if other is None:
            return self
        first, last = (self, other) if self.start <= other.start else (other, self)
        last = last if last.end >= first.end else first
        return Span(first.line, first.column, last.end_line, last.end_column, first.start, last.end)


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node. ``span`` says where it was in the source (None when built in code).

    Fields declared ``compare=False`` describe the source text, not the query: they take no
    part in ``==``, ``hash()`` or ``repr()``.
    """

    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    def children(self) -> Iterator[Node]:
        """The nodes directly below this one, in source order."""
        for name in _parts(type(self)):
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, Node))

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first, in source order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(list(node.children())))


def _parts(cls: type) -> tuple[str, ...]:
    """The names of the fields of ``cls`` that take part in equality."""
    names = _PARTS.get(cls)
    if names is None:
        names = _PARTS[cls] = tuple(f.name for f in fields(cls) if f.compare)
        _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
    return names


def _shown(cls: type) -> tuple[str, ...]:
    """The names of the fields of ``cls`` that its repr shows."""
    _parts(cls)
    return _SHOWN[cls]


@dataclass(frozen=True, slots=True)
class _Branch(Node):
    """A node that can hold a condition or a query, so a tree of them can be as deep as a
    list of conditions is long (``id = 1 or id = 2 or ...`` over 500 ids nests 500 deep).
    Its ``==``, ``hash()`` and ``repr()`` walk the tree with a stack: the dataclass ones
    recurse and raise ``RecursionError`` from about 400 levels. The leaves keep theirs.
    """

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        pairs: list[tuple[object, object]] = [(self, other)]
        while pairs:
            a, b = pairs.pop()
            if a is b:
                continue
            if type(a) is not type(b):
                return False
            for name in _parts(type(a)):
                x, y = getattr(a, name), getattr(b, name)
                both = type(x) is tuple and type(y) is tuple and len(x) == len(y)
                for u, v in zip(x, y, strict=True) if both else ((x, y),):
                    if isinstance(u, _Branch):
                        pairs.append((u, v))
                    elif u != v:
                        return False
        return True

    def __hash__(self) -> int:
        shape: list[object] = []
        stack: list[object] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, _Branch):
                shape.append(type(item))
                stack.extend(getattr(item, name) for name in _parts(type(item)))
            elif type(item) is tuple:
                shape.append(len(item))
                stack.extend(item)
            else:
                shape.append(item)  # a leaf node or a plain value, hashed as it is
        return hash(tuple(shape))

    def __repr__(self) -> str:
        """As the dataclass would write it: ``And(left=..., right=...)``."""
        out: list[str] = []
        stack: list[object] = [self]
        while stack:
            item = stack.pop()
            if type(item) is _Text:
                out.append(item)
            elif isinstance(item, _Branch):
                pieces: list[object] = []
                for name in _shown(type(item)):
                    pieces += [_Text(f", {name}=" if pieces else f"{name}="), getattr(item, name)]
                stack += reversed([_Text(f"{type(item).__qualname__}("), *pieces, _Text(")")])
            elif type(item) is tuple and any(isinstance(value, _Branch) for value in item):
                pieces = []
                for value in item:
                    pieces += [_Text(", "), value] if pieces else [value]
                stack += reversed([_Text("("), *pieces, _Text(",)" if len(item) == 1 else ")")])
            else:
                out.append(repr(item))
        return "".join(out)


class _Text(str):
    """A piece of a repr being written, told apart from a ``str`` value to quote."""


# ---- values ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class String(Node):
    """A text value: quoted in the source, or a bare word or unquoted date (``bare``).

    COQL writes dates, datetimes, booleans and picklist values as strings; the
    validator reads them by the field's type. ``naive_midnight`` names the ``:name`` whose
    naive midnight datetime was bound as this day: on a datetime field the validator says
    that parameter has no time zone, rather than that the user wrote a date.
    """

    value: str
    bare: bool = field(default=False, compare=False, repr=False, kw_only=True)
    naive_midnight: str = field(default="", compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Number(Node):
    """A numeric value: an ``int`` or an exact ``Decimal`` (see :func:`number_fits`).

    ``written`` keeps the literal as the source spelt it (``02158``, ``+1415``, ``1e3``);
    it is empty for a number made in code or bound from a parameter.
    """

    value: int | Decimal
    written: str = field(default="", compare=False, repr=False, kw_only=True)


#: The largest numbers COQL text may hold: Zoho's own types stop at 19 digits (bigint),
#: so this bound only keeps absurd literals (``1E+999999999``) from costing memory.
MAX_NUMBER_DIGITS = 100


_NUMBER_BOUND: int = 10**MAX_NUMBER_DIGITS


def number_fits(value: int | Decimal) -> bool:
    """True for a finite number of at most 100 digits, integer part and fraction alike.

    >>> number_fits(10**19), number_fits(Decimal("1E+999999999")), number_fits(Decimal("0.5"))
    (True, False, True)
    """
    if isinstance(value, int):
        return -_NUMBER_BOUND < value < _NUMBER_BOUND
    if not value.is_finite():
        return False
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return len(digits) + max(exponent, 0) <= MAX_NUMBER_DIGITS and exponent >= -MAX_NUMBER_DIGITS


def read_number(text: str) -> Decimal:
    """The exact value of a number as written (``1e6``, ``-2.50``, ``.5``), as COQL's lexer
    or a shell's ``\\set`` reads one.

    An exponent of 19 digits or more is past what ``Decimal`` holds: such a number reads as
    the largest (or, for a negative exponent, the finest) that ``Decimal`` does hold, which
    :func:`number_fits` refuses just the same, instead of raising ``InvalidOperation``.

    >>> read_number("2.50"), read_number("-1e9999999999999999999"), read_number("1e-9999999999999999999")
    (Decimal('2.50'), Decimal('-1E+999999999999999999'), Decimal('1E-999999999999999999'))
    """
    with localcontext() as context:
        context.traps[InvalidOperation] = True
        try:
            return Decimal(text)
        except InvalidOperation:
            mantissa, _, exponent = text.strip().lower().partition("e")
            if not exponent:
                raise  # not a number at all: the caller's text was never checked
            sign = "-" if mantissa.startswith("-") else ""
            return Decimal(f"{sign}1E{'-' if exponent.startswith('-') else '+'}{MAX_EMAX}")


@dataclass(frozen=True, slots=True)
class Param(Node):
    """A ``:name`` placeholder, replaced by a literal when parameters are bound."""

    name: str


Value = String | Number | Param


# ---- fields and select items --------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    """A field, or a path through lookups: ``Account_Name.Parent_Account.Account_Name``.

    ``via`` is the module chosen after a polymorphic lookup (``What_Id->Leads.Last_Name``
    has ``path == ("What_Id", "Last_Name")`` and ``via == "Leads"``); ``qualifier`` is
    the module of a ``!Leads.`` prefix. ``str()`` gives the name Zoho uses as the
    response key.
    """

    path: tuple[str, ...]
    via: str | None = None
    qualifier: str | None = None
    quoted: bool = field(default=False, compare=False, repr=False, kw_only=True)

    @property
    def name(self) -> str:
        head = self.path[0] if self.via is None else f"{self.path[0]}->{self.via}"
        text = ".".join((head, *self.path[1:]))
        return f"!{self.qualifier}.{text}" if self.qualifier else text

    @property
    def is_path(self) -> bool:
        return len(self.path) > 1

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Aggregate(Node):
    """``SUM``, ``MIN``, ``MAX``, ``AVG`` or ``COUNT`` of a field; ``func`` is upper case.

    ``spelling`` keeps the name as written (Zoho rejects ``count``; coqlkit sends ``COUNT``);
    ``star`` marks ``COUNT(*)``, which coqlkit reads as ``COUNT(id)``.
    """

    func: str
    arg: FieldRef
    spelling: str = field(default="", compare=False, repr=False, kw_only=True)
    star: bool = field(default=False, compare=False, repr=False, kw_only=True)

    @property
    def name(self) -> str:
        return f"{self.func}({self.arg.name})"

    def __str__(self) -> str:
        return self.name


Expression = FieldRef | Aggregate


@dataclass(frozen=True, slots=True)
class Column(Node):
    """One SELECT item: a field or aggregate, with an optional alias."""

    expr: Expression
    alias: str | None = None
    alias_span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def key(self) -> str:
        """The key of this column in Zoho's response rows."""
        return self.alias if self.alias is not None else self.expr.name


@dataclass(frozen=True, slots=True)
class Star(Node):
    """``*`` or ``* EXCEPT (a, b)``: every field of the module (a coqlkit extension)."""

    exclude: tuple[FieldRef, ...] = ()


SelectItem = Column | Star


@dataclass(frozen=True, slots=True)
class Source(Node):
    """``FROM Module`` or ``FROM Module#cvid`` (a custom view's filter)."""

    module: str
    cvid: str | None = None


# ---- conditions -------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Comparison(_Branch):
    """``field op value`` with ``op`` one of ``= != > >= < <=``; the value may be a subquery
    that returns one record: ``Account_Name = (select id from Accounts where ... limit 1)``."""

    left: FieldRef
    op: str
    right: Value | Select


@dataclass(frozen=True, slots=True)
class Like(Node):
    """``field [not] like 'pattern'`` (``%`` is the only wildcard)."""

    left: FieldRef
    pattern: Value
    negated: bool = False


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class In(_Branch):
    """``field [not] in (v, ...)``, ``in (select id from ...)`` or ``in :list``."""

    left: FieldRef
    values: tuple[Value, ...] | Select | Param
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between(Node):
    """``field [not] between low and high`` (inclusive)."""

    left: FieldRef
    low: Value
    high: Value
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    """``field is [not] null``."""

    left: FieldRef
    negated: bool = False


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class And(_Branch):
    """``left and right``; ``parens`` counts the brackets around it in the source."""

    left: Condition
    right: Condition
    parens: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Or(_Branch):
    """``left or right``; ``parens`` counts the brackets around it in the source."""

    left: Condition
    right: Condition
    parens: int = field(default=0, compare=False, repr=False, kw_only=True)


Predicate = Comparison | Like | In | Between | IsNull
Condition = Comparison | Like | In | Between | IsNull | And | Or


# ---- the statement ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderItem(Node):
    """One ORDER BY item: a field, aggregate or alias, ascending unless ``descending``."""

    expr: Expression
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Limit(Node):
    """``LIMIT count OFFSET offset``; either may be None (Zoho's defaults: 200 and 0), or a
    :class:`Param` until the parameters are bound.

    ``style`` is how it was written: ``"limit"``, ``"comma"`` (``LIMIT m, n``) or ``"offset"``.
    """

    count: int | Param | None
    offset: int | Param | None = None
    style: str = field(default="limit", compare=False, repr=False, kw_only=True)

    def rows(self) -> tuple[int | None, int | None]:
        """``(count, offset)`` of a bound LIMIT; a :class:`Param` still here raises
        ``ValueError`` (:func:`~coqlkit.language.params.bind` replaces them)."""
        for value in (self.count, self.offset):
            if isinstance(value, Param):
                raise ValueError(f"parameter :{value.name} of LIMIT/OFFSET is not bound")
        assert not isinstance(self.count, Param) and not isinstance(self.offset, Param)
        return self.count, self.offset


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Select(_Branch):
    """A whole COQL query.

    ``where`` is None when the text had no WHERE (coqlkit sends ``where id is not null``).
    ``comments`` and ``terminator`` record the source's comments and trailing ``;``, and
    ``text`` the source itself (None when built in code), which the spans point into: a
    diagnostic quotes it with a caret.
    """

    columns: tuple[SelectItem, ...]
    source: Source
    where: Condition | None = None
    group_by: tuple[FieldRef, ...] = ()
    order_by: tuple[OrderItem, ...] = ()
    limit: Limit | None = None
    comments: tuple[Span, ...] = field(default=(), compare=False, repr=False, kw_only=True)
    terminator: Span | None = field(default=None, compare=False, repr=False, kw_only=True)
    text: str | None = field(default=None, compare=False, repr=False, kw_only=True)

    @property
    def module(self) -> str:
        return self.source.module

    @property
    def aggregates(self) -> tuple[Aggregate, ...]:
        return tuple(c.expr for c in self.columns if isinstance(c, Column) and isinstance(c.expr, Aggregate))

    def conditions(self) -> Iterator[Predicate]:
        """Every leaf predicate of WHERE, left to right (not those of subqueries)."""
        stack: list[Condition] = [self.where] if self.where is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, (And, Or)):
                stack.extend((node.right, node.left))
            else:
                yield node
