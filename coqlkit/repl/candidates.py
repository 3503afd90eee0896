"""What may come in each context (the clause state :mod:`~coqlkit.repl.clauses` reads):
keywords, modules, fields and paths through lookups, operators, picklist values and
parameters. ``_Context`` holds the statement under the cursor, read, and gives its
candidates, ranked."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from coqlkit.catalog import Catalog, Field, FieldType, Module
from coqlkit.catalog._catalog import MODULE_OBJECT, USER_OBJECTS
from coqlkit.catalog.limits import MAX_PATH_HOPS
from coqlkit.repl.clauses import (
    _FIELD_STATES,
    _VALUE_STATES,
    _after_quoted_path,
    _closed,
    _Frame,
    _grows,
    _Path,
    _split_path,
    _Tok,
    _unquote,
    _walked,
    _Walker,
)
from coqlkit.repl.ranking import Suggestion, _Entry, _entry, _Ranked, _views
from coqlkit.validate import allowed_operators
from coqlkit.validate.rules_criteria import NOT_IN_CRITERIA
from coqlkit.validate.rules_fields import SELECT_ONLY, UNSELECTABLE

__all__ = ["modules_reached"]

_QUOTED_PATH = re.compile(
    r"(?:![A-Za-z_$][A-Za-z0-9_$]*\.)?(?:[A-Za-z_$][A-Za-z0-9_$]*(?:\.|->))*[A-Za-z0-9_$]*\Z"
)


class _Reach(NamedTuple):
    """Where a path leads: ``module``'s fields, after ``hops`` lookups (``user``: through a user lookup)."""

    module: Module
    hops: int
    user: bool


class _Choice(NamedTuple):
    """After ``What_Id->``: the modules the lookup may point to."""

    modules: tuple[str, ...]


# ------------------------------------------------------------------------------------- suggestions

# Clause words must be quoted to be read as a field (README, "The input dialect").
_MUST_QUOTE = frozenset(
    {"select", "from", "where", "and", "or", "not", "group", "order", "by", "limit", "offset", "as"}
)
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "start": ("SELECT", "EXPLAIN"),
    "sel_name": ("AS", "FROM"),
    "sel_after_item": ("AS", "FROM"),
    "sel_after_alias": ("FROM",),
    "sel_star": ("EXCEPT", "FROM"),
    "after_source": ("WHERE", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET"),
    "after_pred": ("AND", "OR", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET"),
    "between_and": ("AND",),
    "group_by": ("BY",),
    "group_after": ("ORDER BY", "LIMIT", "OFFSET"),
    "order_by": ("BY",),
    "order_name": ("ASC", "DESC", "LIMIT", "OFFSET"),
    "order_after": ("ASC", "DESC", "LIMIT", "OFFSET"),
    "order_dir": ("LIMIT", "OFFSET"),
    "limit_after": ("OFFSET",),
}
_KEYWORD_META = {
    "*": "every field (coqlkit expands it)",
    "EXPLAIN": "show the plan",
    "ANALYZE": "run and time it",
}
# The comparators, in the order they are offered, and what each means.
_OPERATORS = {
    "=": "equal to",
    "!=": "not equal to",
    ">": "greater than",
    ">=": "greater or equal",
    "<": "less than",
    "<=": "less or equal",
    "like": "pattern: % matches any text",
    "not like": "does not match the pattern",
    "in": "one of a list",
    "not in": "none of a list",
    "between": "from a to b, both included",
    "not between": "outside a to b",
    "is null": "empty",
    "is not null": "not empty",
}
_AGGREGATES = {
    "COUNT": "aggregate: how many records",
    "SUM": "aggregate: total of a number field",
    "AVG": "aggregate: average of a number field",
    "MIN": "aggregate: smallest number or date",
    "MAX": "aggregate: largest number or date",
}
_ORDERED = frozenset({FieldType.DATE, FieldType.DATETIME})
_COUNTABLE = frozenset({FieldType.PICKLIST, FieldType.LOOKUP, FieldType.OWNERLOOKUP, FieldType.USERLOOKUP})


def _keys(keys: Mapping[str, str]) -> list[_Entry]:
    """The keys of a lookup's sub-object (``Owner.role.id``) as entries."""
    return [_entry(k, "", t, Field(k, t, subkey=True)) for k, t in keys.items()]


_USER_OBJECT_ENTRIES = [_entry(name, "", f"{name} → id, name, …") for name in USER_OBJECTS]
_USER_KEYS = {name: _keys(keys) for name, keys in USER_OBJECTS.items()}
_MODULE_KEYS = _keys(MODULE_OBJECT)
_MULTI_MODULE_ENTRIES = [
    _entry("id", "", "bigint · the record id", Field("id", "bigint", subkey=True)),
    _entry("module", "", "module → api_name, id"),
]


def _case(word: str, like: str) -> str:
    """``word`` in the case of ``like``: lower, UPPER or Title (upper when there is nothing to follow)."""
    letters = [c for c in like if c.isalpha()]
    if not letters or all(c.isupper() for c in letters):
        return word.upper()
    if all(c.islower() for c in letters):
        return word.lower()
    return word.title()


def _quote(value: str, quote: str = "'") -> str:
    """``value`` as a COQL string: the quote inside doubled (``'O''Brien'``)."""
    return quote + value.replace(quote, quote * 2) + quote


class _Context:
    """The statement under the cursor, read: the clause state and the word being typed."""

    def __init__(
        self,
        tokens: list[_Tok],
        cursor: int,
        offset: int,
        catalog: Catalog | None,
        params: Iterable[str] | Mapping[str, object],
    ) -> None:
        self.cursor, self.offset, self.catalog = cursor, offset, catalog
        self.default_module: str | None = None  # a SELECT's before its FROM is typed
        self.guessed = False  # the fields are the default module's
        self.params = params
        self.at: _Tok | None = None
        # The tokens that end before the cursor are fed, whatever: from the walk kept.
        first = bisect.bisect_left(tokens, cursor, key=lambda t: t.end)
        walker = _walked("context", tokens, first, _Walker, _feed)
        split = len(tokens)
        for index, tok in enumerate(tokens[first:], first):
            if tok.start >= cursor:
                split = index
                break
            if tok.end > cursor or (tok.end == cursor and _grows(tok)):
                if tok.kind != "ws":
                    self.at = tok
                split = index + 1
                break
            if tok.kind not in ("ws", "comment"):
                walker.feed(tok)
        self.walker = walker
        self.frame = walker.frames[-1]
        self.after = tokens[split:]
        if self.at is not None and self.at.kind == "string" and self.frame.state in _FIELD_STATES:
            self.after = _after_quoted_path(tokens, cursor)
        self.first = next((t for t in tokens if t.kind not in ("ws", "comment")), None)

    # ---- what the cursor is in ----

    def suggestions(self) -> list[Suggestion]:
        at, cursor = self.at, self.cursor
        if self.first is not None and self.first.text.startswith("\\"):
            return []  # a backslash command: the shell completes those
        if at is None:
            return self._at_state("", cursor, _Path(("",), ()))
        typed = at.text[: cursor - at.start]
        if at.kind in ("name", "path"):
            path = _split_path(typed)
            return self._at_state(path.names[-1], cursor - len(path.names[-1]), path)
        if at.kind == "param":
            ranked = _Ranked(typed, at.start)
            ranked.words(0, self._params(), "parameter")
            return ranked.result()
        if at.kind == "op" and self.frame.state == "op":
            ranked = _Ranked(typed, at.start)
            ranked.words(0, self._operators(symbols=True), "operator")
            return ranked.result()
        if at.kind == "string":
            return self._in_string(at, typed)
        return []  # in a comment, a number, a date, a custom view id

    def _at_state(self, prefix: str, start: int, path: _Path) -> list[Suggestion]:
        state, frame = self.frame.state, self.frame
        ranked = _Ranked(prefix, self._abs(start))
        if frame.is_grouped and (
            state == "order_item" or (state == "agg_arg" and frame.agg_return == "order_after")
        ):
            self._grouped_order(ranked, state, path)
            return ranked.result()
        if state in _FIELD_STATES:
            self._fields(ranked, state, path, quoted=False)
            if len(path.names) == 1 and path.qualifier is None:
                if state == "sel_item" or state == "order_item":
                    ranked.words(1, ((f + "(", m) for f, m in _AGGREGATES.items()), "function")
                if state == "order_item":
                    ranked.words(2, ((a, "alias") for a in frame.aliases), "field")
                if state == "sel_item" and self.walker.prev.lower() == "select" and not prefix:
                    ranked.words(3, [("*", _KEYWORD_META["*"])], "keyword")
                if state == "agg_arg" and frame.agg == "COUNT" and not prefix:
                    ranked.words(3, [("*", "every record")], "keyword")
            return ranked.result()
        if len(path.names) > 1:
            return []  # a path where no field goes
        if state == "from_module":
            if self.catalog is not None:
                ranked.entries(0, _views(self.catalog).modules, "module")
            return ranked.result()
        if state == "op":
            ranked.words(0, self._operators(symbols=not prefix), "operator")
        elif state == "not_op":
            allowed = self._allowed()
            words = [(w, _OPERATORS["not " + w]) for w in ("like", "in", "between") if "not " + w in allowed]
            ranked.words(0, ((self._cased(w), m) for w, m in words), "operator")
        elif state in ("is", "is_not"):
            allowed = self._allowed()
            words = [("null", "is null"), ("not null", "is not null")][: 2 if state == "is" else 1]
            shown = [(self._cased(w), _OPERATORS[op]) for w, op in words if op in allowed]
            ranked.words(0, shown, "operator")
        elif state in _VALUE_STATES:
            self._values(ranked, quote="'", closing=True)
            ranked.words(2, self._params(), "parameter")
            if state == "in_value" and not frame.listed and self._takes_subquery():
                ranked.words(3, [(self._cased("select"), "a subquery")], "keyword")
        keywords = self._keywords(state)
        ranked.words(5, ((self._cased(k), _KEYWORD_META.get(k, "")) for k in keywords), "keyword")
        return ranked.result()

    def _in_string(self, at: _Tok, typed: str) -> list[Suggestion]:
        state = self.frame.state
        content = typed[1:]
        if state in _FIELD_STATES:  # a quoted field: 'What_Id->Leads.Last_Name'
            if not _QUOTED_PATH.match(content):
                return []
            path = _split_path(content)
            ranked = _Ranked(path.names[-1], self._abs(self.cursor - len(path.names[-1])))
            self._fields(ranked, state, path, quoted=True)
            return ranked.result()
        if state in _VALUE_STATES:
            prefix = _unquote(typed)
            ranked = _Ranked(prefix, self._abs(at.start))
            self._values(ranked, quote=typed[0], closing=not _closed(at.text))
            return ranked.result()
        return []

    def _grouped_order(self, ranked: _Ranked, state: str, path: _Path) -> None:
        """ORDER BY in a grouped query takes only the grouped fields, the selected
        aggregates (as written: ``COUNT(id)``) and the aliases, as the check wants."""
        frame = self.frame
        if state == "agg_arg":  # order by COUNT(|: the arguments it has in SELECT
            args = [
                (arg, f"selected: {written}") for func, written, arg in frame.aggregates if func == frame.agg
            ]
            ranked.words(0, args, "field")
            return
        if len(path.names) > 1 or path.qualifier is not None:  # order by Owner.|: the rest of a grouped path
            head = "".join(n + sep for n, sep in zip(path.names[:-1], path.seps, strict=True))
            if path.qualifier is not None:
                head = f"!{path.qualifier}.{head}"
            rests = [
                g[len(head) :]
                for g in frame.grouped
                if g.lower().startswith(head.lower()) and len(g) > len(head)
            ]
            ranked.words(0, ((r, "grouped field") for r in rests), "path")
            return
        ranked.words(0, ((g, "grouped field") for g in frame.grouped), "field")
        ranked.words(1, ((written, "selected aggregate") for _, written, _ in frame.aggregates), "field")
        ranked.words(2, ((a, "alias") for a in frame.aliases), "field")

    # ---- fields and paths ----

    def _module(self) -> Module | None:
        if self.catalog is None:
            return None
        name = self.frame.module or self._module_ahead()
        if name is None and not self.frame.nested and self.default_module and not self._from_ahead()[0]:
            name, self.guessed = self.default_module, True
        if name is None:
            return None
        return self.catalog.module(name) or self.catalog.module_folded(name)

    def _module_ahead(self) -> str | None:
        return self._from_ahead()[1]

    def _from_ahead(self) -> tuple[bool, str | None]:
        """Whether the cursor's own SELECT has a FROM after the cursor, and its module.

        Not in a bracket opened after the cursor (a subquery's), nor past the bracket that
        closes the cursor's SELECT; brackets left open before the cursor do not hide it
        (``select * except (Desc| from Leads``).
        """
        top = depth = len(self.frame.parens)
        tokens = [t for t in self.after if t.kind not in ("ws", "comment")]
        for index, tok in enumerate(tokens):
            if tok.kind == "punct" and tok.text in "();":
                if tok.text == ";":
                    break
                depth += 1 if tok.text == "(" else -1
                if depth < 0:
                    break
            elif depth <= top and tok.kind == "name" and tok.text.lower() in ("from", "select"):
                if tok.text.lower() == "select":
                    break
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                return True, following.text if following is not None and following.kind == "name" else None
        return False, None

    def _fields(self, ranked: _Ranked, state: str, path: _Path, *, quoted: bool) -> None:
        base = self._module()
        if base is None or self.catalog is None:
            return
        if path.qualifier is not None:
            base = self.catalog.module_folded(path.qualifier) or base
        if len(path.names) == 1:
            keep = self._keep(state)
            entries = [e for e in _views(self.catalog).fields(base) if keep(e.field, 0)]
            if self.guessed:  # no FROM yet: the default module's, and said so
                mark = f" · {base.api_name}'s (no FROM yet)"
                entries = [_Entry(e.name, e.lower, e.words, e.label, e.meta + mark, e.field) for e in entries]
            quote = not quoted and path.qualifier is None
            ranked.entries(0, entries, "field", _quoted_name if quote else None)
            return
        target = self._follow(base, path.names[:-1], path.seps)
        if target is None:
            return
        if isinstance(target, _Choice):
            views = _views(self.catalog)
            ranked.entries(0, [m for m in views.modules if m.name in target.modules], "module")
            return
        if isinstance(target, list):  # keys of a sub-object
            ranked.entries(0, target, "path")
            return
        module, hops, user = target
        keep = self._keep(state)
        entries = [e for e in _views(self.catalog).fields(module) if keep(e.field, hops)]
        if user:  # Owner.profile.name, Owner.role.id: sub-objects, not the Users text fields
            entries = [e for e in entries if e.name not in USER_OBJECTS]
            if hops < MAX_PATH_HOPS:
                entries = [*_USER_OBJECT_ENTRIES, *entries]
        ranked.entries(0, entries, "path")

    def _follow(
        self, base: Module, names: tuple[str, ...], seps: tuple[str, ...]
    ) -> _Reach | _Choice | list[_Entry] | None:
        """Where ``names`` (each followed by its separator) lead: a module's fields (with the
        hops taken and whether through a user lookup), a sub-object's keys, or after ``->``
        the modules to choose from. None: nowhere (not a lookup, past two hops, unknown)."""
        catalog = self.catalog
        assert catalog is not None
        current, hops, user, index = base, 0, False, 0
        while index < len(names):
            found = _find(current, names[index])
            if found is None:
                return None
            last = index == len(names) - 1
            hops += 1
            if hops > MAX_PATH_HOPS:
                return None
            if seps[index] == "->":
                if found.type is not FieldType.MULTI_MODULE_LOOKUP:
                    return None
                if last:
                    return _Choice(found.modules)
                if seps[index + 1] != "." or names[index + 1] not in found.modules:
                    return None
                target = catalog.module(names[index + 1])
                index += 2
            elif found.type is FieldType.MULTI_MODULE_LOOKUP:
                if last:
                    return _MULTI_MODULE_ENTRIES
                if names[index + 1] == "module" and index + 2 == len(names):
                    return _MODULE_KEYS
                return None
            elif found.is_user_lookup and not last and names[index + 1] in USER_OBJECTS:
                if index + 2 != len(names):
                    return None
                return _USER_KEYS[names[index + 1]]
            elif found.is_lookup:
                target = catalog.module(found.lookup_module or "")
                index += 1
            else:
                return None
            if target is None or target.fields is None:
                return None
            current, user = target, found.is_user_lookup
        return _Reach(current, hops, user)

    def _resolve(self, path: _Path) -> Field | None:
        """The field a typed path names (tolerant of case), or None."""
        base = self._module()
        if base is None or not path.names or not path.names[-1]:
            return None
        if len(path.names) == 1:
            return _find(base, path.names[0])
        target = self._follow(base, path.names[:-1], path.seps)
        name = path.names[-1]
        if isinstance(target, list):
            return next((e.field for e in target if e.name == name), None)
        if not isinstance(target, _Reach):
            return None
        return _find(target.module, name)

    def _keep(self, state: str) -> Callable[[Field | None, int], bool]:
        """Which fields a clause takes (a lookup stays: it leads to more fields)."""
        agg = self.frame.agg

        def keep(field: Field | None, hops: int) -> bool:
            if field is None:
                return True
            kind = field.type
            if state == "agg_arg":
                return _aggregable(agg, field)
            if field.is_lookup and hops < MAX_PATH_HOPS:
                return True
            if state in ("sel_item", "except_item"):
                return kind not in UNSELECTABLE
            if state == "cond":
                return field.filterable and kind not in NOT_IN_CRITERIA and bool(allowed_operators(field))
            if state == "group_item":
                return kind not in SELECT_ONLY
            if state == "order_item":
                return kind not in SELECT_ONLY and field.sortable
            return True

        return keep

    # ---- operators, values, parameters, keywords ----

    def _allowed(self) -> frozenset[str]:
        """The comparators the condition's field takes (all of them for an unknown field)."""
        field = self._resolve(self.frame.field) if self.frame.field is not None else None
        if field is None or field.type is FieldType.UNKNOWN:
            return frozenset(_OPERATORS)
        return allowed_operators(field)

    def _operators(self, *, symbols: bool) -> list[tuple[str, str]]:
        allowed = self._allowed()
        return [
            (op if not op[0].isalpha() else self._cased(op), meta)
            for op, meta in _OPERATORS.items()
            if op in allowed and (symbols or op[0].isalpha())
        ]

    def _values(self, ranked: _Ranked, *, quote: str, closing: bool) -> None:
        """Picklist values (and true/false) for the condition's field, quoted."""
        frame = self.frame
        if frame.field is None or frame.op in ("like", "not like") or frame.state.startswith("between"):
            return
        field = self._resolve(frame.field)
        if field is None:
            return
        if field.picklist:
            values = [
                (v.actual, "picklist value" if v.display == v.actual else f"picklist value: {v.display}")
                for v in field.picklist
                if v.actual != "-None-"
            ]
        elif field.value_type is FieldType.BOOLEAN:
            values = [("true", "boolean"), ("false", "boolean")]
        else:
            return
        entries = [_entry(v, "", meta) for v, meta in values if v not in frame.listed]

        def text(entry: _Entry) -> str:
            quoted = _quote(entry.name, quote)
            return quoted if closing else quoted[:-1]

        ranked.entries(0, entries, "value", text)

    def _takes_subquery(self) -> bool:
        field = self._resolve(self.frame.field) if self.frame.field is not None else None
        return field is None or field.api_name == "id" or field.is_lookup

    def _params(self) -> list[tuple[str, str]]:
        if isinstance(self.params, Mapping):
            return [(f":{name}", f"= {value!r}"[:40]) for name, value in self.params.items()]
        return [(f":{name}", "parameter") for name in self.params]

    def _keywords(self, state: str) -> tuple[str, ...]:
        frame = self.frame
        if state == "start" and self.walker.prev.lower() in ("explain", "analyze"):
            return ("SELECT", "ANALYZE") if self.walker.prev.lower() == "explain" else ("SELECT",)
        words = _KEYWORDS.get(state, ())
        if state == "after_pred" and frame.parens:
            words = ("AND", "OR")  # inside brackets: the clauses come after the ')'
        if "FROM" in words and (frame.module is not None or self._from_ahead()[0]):
            words = tuple(w for w in words if w != "FROM")
        return words

    def _cased(self, word: str) -> str:
        typed = self.at.text if self.at is not None and self.at.kind == "name" else ""
        return _case(word, typed or self.walker.case)

    def _abs(self, position: int) -> int:
        return self.offset + position


def modules_reached(tokens: list[_Tok], catalog: Catalog, default_module: str | None = None) -> set[str]:
    """The modules whose fields the statement of ``tokens`` needs, by API name: the FROM
    module of each SELECT in it (its subqueries' too; ``default_module`` for a SELECT that
    names none yet) and the modules its lookup paths step into, as far as ``catalog``
    knows the fields on the way. Read without the parser, so a statement being typed,
    pasted or recalled (it rarely parses) asks for them all the same; the caller fetches
    those still without fields, and asking again once they are in takes the next hop.

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.repl.clauses import _scan
    >>> sorted(modules_reached(_scan("select Owner.email, Account_Name.Account_Name from Contacts"), Catalog.demo()))
    ['Accounts', 'Contacts', 'Users']
    >>> sorted(modules_reached(_scan("select id from Leads where id in (select What_Id->Leads."), Catalog.demo()))
    ['Leads']
    """
    walker, frames, paths = _walked("reached", tokens, len(tokens), _Reached.start, _reach)
    top = walker.frames[0]  # (the statement's SELECT: EXPLAIN's word came before it)
    if not any(f is top for f in frames):
        frames.append(top)

    def module_of(frame: _Frame) -> Module | None:
        name = frame.module or (default_module if frame is top else None)
        return (catalog.module(name) or catalog.module_folded(name)) if name else None

    out = {found.api_name for found in map(module_of, frames) if found is not None}
    for frame, path in paths:
        base = module_of(frame)
        if path.qualifier is not None:
            base = catalog.module_folded(path.qualifier)
            if base is not None:
                out.add(base.api_name)
        if base is not None:
            out |= _stepped_into(catalog, base, path.names[:-1], path.seps)
    return out


def _feed(walker: _Walker, tok: _Tok) -> None:
    if tok.kind not in ("ws", "comment"):
        walker.feed(tok)


class _Reached(NamedTuple):
    """:func:`modules_reached`'s walk: the clauses, each SELECT's frame, and the paths met
    where fields go, with the frame each is in."""

    walker: _Walker
    frames: list[_Frame]
    paths: list[tuple[_Frame, _Path]]

    @classmethod
    def start(cls) -> _Reached:
        return cls(_Walker(), [], [])


def _reach(walk: _Reached, tok: _Tok) -> None:
    if tok.kind in ("ws", "comment"):
        return
    walker = walk.walker
    frame = walker.frames[-1]
    if frame.state in _FIELD_STATES and tok.kind in ("path", "string"):
        text = _unquote(tok.text) if tok.kind == "string" else tok.text
        if tok.kind == "path" or _QUOTED_PATH.match(text):
            walk.paths.append((frame, _split_path(text)))
    walker.feed(tok)
    if not any(f is walker.frames[-1] for f in walk.frames):
        walk.frames.append(walker.frames[-1])


def _stepped_into(catalog: Catalog, base: Module, names: tuple[str, ...], seps: tuple[str, ...]) -> set[str]:
    """The modules the lookups ``names`` (each followed by its separator) step into from
    ``base``: up to the first whose fields are not known yet (it is fetched, then asked
    again), at most :data:`MAX_PATH_HOPS` hops."""
    out: set[str] = set()
    current: Module | None = base
    index = 0
    while current is not None and current.fields is not None and index < min(len(names), MAX_PATH_HOPS):
        found = _find(current, names[index])
        if found is None:
            break
        if seps[index] == "->" and index + 1 < len(names):  # What_Id->Leads.
            target = names[index + 1] if names[index + 1] in found.modules else None
            index += 2
        elif found.is_user_lookup and index + 1 < len(names) and names[index + 1] in USER_OBJECTS:
            break  # Owner.role.name: the role's keys are known without the Users module
        elif found.is_lookup and found.type is not FieldType.MULTI_MODULE_LOOKUP:
            target = found.lookup_module
            index += 1
        else:
            break
        current = catalog.module(target) if target else None
        if current is not None:
            out.add(current.api_name)
    return out


def _find(module: Module, name: str) -> Field | None:
    return module.field(name) or module.field_folded(name)


def _quoted_name(entry: _Entry) -> str:
    return _quote(entry.name) if entry.lower in _MUST_QUOTE else entry.name


def _aggregable(func: str, field: Field) -> bool:
    """Whether ``func`` takes ``field`` (numbers for SUM and AVG, dates too for MIN and MAX,
    lookups and picklists too for COUNT)."""
    if func in ("SUM", "AVG"):
        return field.is_numeric and field.api_name != "id"
    if func in ("MIN", "MAX"):
        return (field.is_numeric and field.api_name != "id") or field.value_type in _ORDERED
    if func == "COUNT":
        return field.is_numeric or field.value_type in _COUNTABLE
    return True
