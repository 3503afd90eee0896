"""The names completion offers, prepared and ranked: a :class:`Suggestion` (and its
:data:`Kind`), the catalog's modules and fields folded once per catalog (``_views``), and
how well each fits what was typed (``_tier``, ``_Ranked``)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from coqlkit.catalog import Catalog, Field, FieldType, Module
from coqlkit.catalog.suggest import distance

__all__ = ["Kind", "Suggestion"]

Kind = Literal["keyword", "module", "field", "path", "value", "operator", "function", "parameter"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One candidate: ``text`` replaces the input from offset ``start`` to the cursor.

    ``kind`` says what it is; ``meta`` is a short description for the menu (a field's type
    and label, ``lookup → Accounts``, ``picklist value``...).
    """

    text: str
    start: int
    kind: Kind
    meta: str = ""


# ------------------------------------------------------------------------------------- catalog views


@dataclass(frozen=True, slots=True)
class _Entry:
    """A name prepared for matching: folded once per catalog, asked on every key press."""

    name: str
    lower: str
    words: tuple[str, ...]  # lower-case word starts of the name and of its label
    label: str  # lower-case label
    meta: str
    field: Field | None = None


_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _entry(name: str, label: str, meta: str, field: Field | None = None) -> _Entry:
    words = {w.lower() for w in _CAMEL.findall(name)} | set(label.lower().split())
    return _Entry(name, name.lower(), tuple(sorted(words)), label.lower(), meta, field)


def _describe(field: Field) -> str:
    """``picklist · Lead Status``, ``lookup → Accounts · Account Name``..."""
    kind = field.type
    if field.lookup_module and field.is_lookup:
        head = f"{field.data_type} → {field.lookup_module}"
    elif kind is FieldType.MULTI_MODULE_LOOKUP:
        shown = ", ".join(field.modules[:3]) + (", …" if len(field.modules) > 3 else "")
        head = f"lookup → {shown}"
    elif kind in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY) and field.return_type:
        head = f"{field.data_type} ({field.return_type})"
    else:
        head = field.data_type
    if field.encrypted:
        head += ", encrypted"
    label = field.label if field.label and field.label != field.api_name else ""
    return f"{head} · {label}" if label else head


# Module kinds that hold no records to query: web tabs and widget pages (``generated_type``).
_NOT_RECORDS = frozenset({"web", "functions"})


class _Views:
    """What one catalog offers, sorted and folded once (the catalog is read-only)."""

    def __init__(self, catalog: Catalog) -> None:
        # No reference back to the catalog: it is the key of the weak cache that holds this.
        self.modules = sorted(
            (
                _entry(m.api_name, m.label, _module_meta(m))
                for m in catalog
                if m.api_supported and m.generated_type not in _NOT_RECORDS
            ),
            key=lambda e: (e.lower, e.name),
        )
        self._fields: dict[str, tuple[Module, list[_Entry]]] = {}

    def fields(self, module: Module) -> list[_Entry]:
        cached = self._fields.get(module.api_name)
        if cached is not None and cached[0] is module:
            return cached[1]
        entries = sorted(
            (_entry(f.api_name, f.label, _describe(f), f) for f in (module.fields or {}).values()),
            key=lambda e: (e.lower, e.name),
        )
        self._fields[module.api_name] = (module, entries)
        return entries


def _module_meta(module: Module) -> str:
    label = module.label if module.label and module.label != module.api_name else ""
    if module.fields is None:
        return label or "module"
    count = f"{len(module.fields)} fields"
    return f"{label} · {count}" if label else count


_VIEWS: weakref.WeakKeyDictionary[Catalog, _Views] = weakref.WeakKeyDictionary()


def _views(catalog: Catalog) -> _Views:
    views = _VIEWS.get(catalog)
    if views is None:
        views = _VIEWS[catalog] = _Views(catalog)
    return views


def _tier(entry: _Entry, p: str) -> int:
    """How well ``entry`` fits the lower-case prefix ``p``: 0 best, -1 not at all.

    0: the name starts with it; 1: a word of the name or label does; 2: the name or label
    contains it; 3: its letters come in order in the name (``lstat`` → Lead_Status);
    4: it is the whole name but for a typo or two (``emial`` → Email).
    """
    if entry.lower.startswith(p):
        return 0
    for word in entry.words:
        if word.startswith(p):
            return 1
    if p in entry.lower or p in entry.label:
        return 2
    if len(p) > 1:
        rest = iter(entry.lower)
        if all(c in rest for c in p):
            return 3
    if len(p) > 2:  # a misspelt whole name, as did-you-mean reads it
        limit = 1 if len(p) < 6 else 2
        name = entry.lower
        # One edit changes at most two letters of the set used: cheap bounds first.
        if (
            abs(len(name) - len(p)) <= limit
            and len(set(p) ^ set(name)) <= 2 * limit
            and distance(p, name, limit) <= limit
        ):
            return 4
    return -1


class _Ranked:
    """Candidates gathered by group, then sorted: by how well they fit, by group, stably."""

    def __init__(self, prefix: str, start: int) -> None:
        self.prefix = prefix.lower()
        self.start = start
        self.items: list[tuple[int, int, int, Suggestion]] = []

    def entries(
        self,
        group: int,
        entries: Iterable[_Entry],
        kind: Kind,
        text: Callable[[_Entry], str] | None = None,
    ) -> None:
        p, start, items = self.prefix, self.start, self.items
        for index, entry in enumerate(entries):
            tier = _tier(entry, p) if p else 0
            if tier >= 0:
                shown = entry.name if text is None else text(entry)
                items.append((tier, group, index, Suggestion(shown, start, kind, entry.meta)))

    def words(self, group: int, words: Iterable[tuple[str, str]], kind: Kind) -> None:
        """Keywords and operators: offered only when they start with what was typed."""
        for index, (word, meta) in enumerate(words):
            if word.lower().startswith(self.prefix):
                self.items.append((0, group, index, Suggestion(word, self.start, kind, meta)))

    def result(self) -> list[Suggestion]:
        self.items.sort(key=lambda item: item[:3])
        seen: set[str] = set()
        out = []
        for *_, s in self.items:
            if s.text not in seen:
                seen.add(s.text)
                out.append(s)
        return out
