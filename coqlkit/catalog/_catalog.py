"""The catalog: an org's modules and fields, and how a field path resolves through lookups."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coqlkit.catalog.limits import MAX_PATH_HOPS
from coqlkit.catalog.model import Field, FieldType, Module
from coqlkit.catalog.suggest import NameIndex, closest
from coqlkit.errors import CatalogError
from coqlkit.language.ast import FieldRef, Node, Select

__all__ = ["Catalog", "ResolveError", "Resolved"]

# Sub-keys of a user lookup (reference §2.2: Owner.profile.name, Owner.role.reporting_to).
USER_OBJECTS: dict[str, dict[str, str]] = {
    "profile": {
        "id": "bigint",
        "name": "text",
        "description": "text",
        "created_by": "ownerlookup",
        "modified_by": "ownerlookup",
        "created_time": "datetime",
        "modified_time": "datetime",
    },
    "role": {
        "id": "bigint",
        "name": "text",
        "description": "text",
        "reporting_to": "lookup",
        "share_data_with_peers": "boolean",
    },
}
# Sub-keys of a multi-module lookup (reference §1.3: Appointment_For.module.api_name).
MODULE_OBJECT = {"api_name": "text", "id": "bigint"}


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a field path means: the final ``field``, the ``module`` that owns it, the lookup
    fields it goes through (``hops``), and whether every step could be checked (``complete``
    is False when a hop leads to a module whose fields are not loaded)."""

    field: Field
    module: str
    hops: tuple[Field, ...] = ()
    complete: bool = True


class ResolveError(CatalogError):
    """A path that does not resolve. ``part`` is the index in ``ref.path`` that failed;
    ``lacking`` names the module whose fields have no such name (None for any other
    failure): metadata fetched before the field was added to the org says so too."""

    def __init__(
        self,
        message: str,
        *,
        part: int,
        code: str = "INVALID_QUERY",
        suggestions: Iterable[str] = (),
        hint: str | None = None,
        lacking: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.part = part
        self.suggestions = tuple(suggestions)
        self.hint = hint
        self.lacking = lacking


class Catalog:
    """An org's modules (by API name) and their fields.

    >>> cat = Catalog.demo()
    >>> cat.resolve("Contacts", FieldRef(("Account_Name", "Parent_Account", "Account_Name"))).module
    'Accounts'
    """

    def __init__(self, modules: Iterable[Module]) -> None:
        self._modules: dict[str, Module] = {m.api_name: m for m in modules}
        self._folded = {name.lower(): name for name in self._modules}
        self._indexes: dict[str, NameIndex] = {}

    def __repr__(self) -> str:
        return f"<Catalog with {len(self._modules)} modules>"

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __len__(self) -> int:
        return len(self._modules)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    @property
    def module_names(self) -> list[str]:
        return list(self._modules)

    def module(self, name: str) -> Module | None:
        """The module named exactly ``name`` (None when the org has none)."""
        return self._modules.get(name)

    def module_folded(self, name: str) -> Module | None:
        """The module whose API name equals ``name`` ignoring case."""
        real = self._folded.get(name.lower())
        return self._modules[real] if real is not None else None

    def suggest_module(self, name: str) -> list[str]:
        """Modules ``name`` may have meant (did-you-mean), best first."""
        index = self._indexes.get("")
        if index is None:
            labels = {m.api_name: m.label for m in self._modules.values()}
            index = self._indexes[""] = NameIndex(self._modules, labels)
        return index.closest(name)

    def suggest_field(self, module: Module, name: str) -> list[str]:
        """Fields of ``module`` that ``name`` may have meant, best first."""
        if module.fields is None:
            return []
        index = self._indexes.get(module.api_name)
        if index is None:
            labels = {f.api_name: f.label for f in module.fields.values()}
            index = self._indexes[module.api_name] = NameIndex(module.fields, labels)
        return index.closest(name)

    # ---- paths -----------------------------------------------------------------------

    def resolve(self, module: str, ref: FieldRef) -> Resolved:
        """Follow ``ref`` from ``module`` through lookups to the field it names.

        Raises :class:`ResolveError` (Zoho's ``INVALID_QUERY``, or ``LIMIT_EXCEEDED`` past
        two hops) naming the part that failed, with did-you-mean suggestions.
        """
        base = self._need(module)
        if ref.qualifier is not None and ref.qualifier != base.api_name:
            raise ResolveError(
                f"the prefix !{ref.qualifier}. names a module other than {base.api_name}",
                part=-1,
                hint=f"write !{base.api_name}. or leave the prefix out",
            )
        field, owner = self._field(base, ref.path[0], part=0), base.api_name
        hops: list[Field] = []
        first_hop = 1
        if ref.via is not None:
            target = self._polymorphic_target(field, ref)
            self._hop(hops, field, ref, 0)
            if target is None or target.fields is None:
                return Resolved(Field(ref.path[-1], "unknown"), ref.via, tuple(hops), complete=False)
            field, owner, first_hop = self._field(target, ref.path[1], part=1), target.api_name, 2
        for index in range(first_hop, len(ref.path)):
            name = ref.path[index]
            if field.type is FieldType.MULTI_MODULE_LOOKUP:
                return self._module_subkey(field, ref, index, hops, owner)
            if field.is_user_lookup and name in USER_OBJECTS:
                self._hop(hops, field, ref, index)
                return self._user_subkey(field, ref, index, hops, owner)
            if not field.is_lookup:
                raise ResolveError(
                    f"{field.api_name} is a {field.data_type} field, not a lookup: it has no field {name}",
                    part=index,
                    hint="only lookup fields lead to another module's fields",
                )
            self._hop(hops, field, ref, index)
            target = self._modules.get(field.lookup_module or "")
            if target is None or target.fields is None:
                # The lookup leads to a module we have no fields for: the rest is unchecked.
                unknown = Field(ref.path[-1], "unknown")
                return Resolved(unknown, field.lookup_module or "", tuple(hops), complete=False)
            field, owner = self._field(target, name, part=index), target.api_name
        return Resolved(field, owner, tuple(hops))

    @staticmethod
    def _hop(hops: list[Field], field: Field, ref: FieldRef, index: int) -> None:
        """Follow one more relation, at most two in a path (v8 COQL-Limitations)."""
        hops.append(field)
        if len(hops) > MAX_PATH_HOPS:
            raise ResolveError(
                f"{ref.name} goes through {len(hops)} lookups; COQL allows {MAX_PATH_HOPS}",
                part=index,
                code="LIMIT_EXCEEDED",
                hint="Zoho follows at most two relations in one path",
            )

    def _need(self, module: str) -> Module:
        found = self._modules.get(module)
        if found is None:
            raise ResolveError(
                f"the org has no module {module}", part=-1, suggestions=self.suggest_module(module)
            )
        return found

    def _field(self, module: Module, name: str, *, part: int) -> Field:
        if module.fields is None:
            return Field(name, "unknown")
        found = module.fields.get(name)
        if found is not None:
            return found
        raise ResolveError(
            f"{module.api_name} has no field {name}" if name else "a field name cannot be empty",
            part=part,
            suggestions=self.suggest_field(module, name),
            lacking=module.api_name if name else None,
        )

    def _polymorphic_target(self, first: Field, ref: FieldRef) -> Module | None:
        """The module named after ``->`` (``What_Id->Leads``), checked against the lookup."""
        via = ref.via or ""
        if first.type is not FieldType.MULTI_MODULE_LOOKUP:
            raise ResolveError(
                f"{first.api_name} is not a lookup to several modules: '->' does not apply",
                part=0,
                hint=f"follow a lookup with '.': {first.api_name}.<field>",
            )
        if via not in first.modules:
            raise ResolveError(
                f"{first.api_name} does not point to {via}",
                part=0,
                suggestions=closest(via, first.modules) or first.modules[:5],
            )
        if len(ref.path) < 2:
            raise ResolveError(f"name a field of {via} after {first.api_name}->{via}", part=0)
        return self._modules.get(via)

    def _user_subkey(
        self, field: Field, ref: FieldRef, index: int, hops: list[Field], owner: str
    ) -> Resolved:
        obj = ref.path[index]
        keys = USER_OBJECTS[obj]
        if index + 1 >= len(ref.path):
            raise ResolveError(
                f"{ref.name} needs a key of {obj}: {', '.join(keys)}", part=index, suggestions=("id", "name")
            )
        key = ref.path[index + 1]
        if key not in keys or index + 2 < len(ref.path):
            raise ResolveError(
                f"{obj} has no key {key}" if key not in keys else f"{ref.name} goes past {obj}.{key}",
                part=index + 1,
                suggestions=closest(key, keys) or list(keys)[:3],
            )
        sub = Field(
            f"{field.api_name}.{obj}.{key}", keys[key], label=f"{field.label} {obj} {key}", subkey=True
        )
        return Resolved(sub, owner, tuple(hops))

    def _module_subkey(
        self, field: Field, ref: FieldRef, index: int, hops: list[Field], owner: str
    ) -> Resolved:
        rest = ref.path[index:]
        if rest == ("id",):
            return Resolved(Field(f"{field.api_name}.id", "bigint", subkey=True), owner, (*hops, field))
        if len(rest) == 2 and rest[0] == "module" and rest[1] in MODULE_OBJECT:
            return Resolved(Field(ref.name, MODULE_OBJECT[rest[1]], subkey=True), owner, (*hops, field))
        raise ResolveError(
            f"{field.api_name} refers to several modules: a '.' path cannot say which",
            part=index,
            hint=self._arrow_hint(field, ref.path[index]),
        )

    def _arrow_hint(self, field: Field, name: str) -> str:
        """Name, with ``->``, a module of the multi-module lookup ``field`` that has the field
        ``name`` (the first one whose fields are known to have it), and the others that do.

        >>> demo = Catalog.demo()
        >>> demo._arrow_hint(demo.module("Tasks").fields["What_Id"], "Deal_Name")
        "name the module with '->', quoted: 'What_Id->Deals.Deal_Name' (Deals, Quotes, Sales_Orders and Cases have Deal_Name)"
        """
        having: list[str] = []
        unknown: list[str] = []
        for api_name in field.modules:
            module = self._modules.get(api_name)
            if module is None or module.fields is None:
                unknown.append(api_name)
                continue
            spelled = module.fields.get(name) or next(
                (f for f in module.fields.values() if f.api_name.casefold() == name.casefold()), None
            )
            if spelled is not None:
                having.append(api_name)
                name = spelled.api_name
        arrow = f"name the module with '->', quoted: '{field.api_name}->{{}}.{name}'"
        if len(having) == 1:
            return arrow.format(having[0])
        if having:
            shown = (
                ", ".join(having[:-1]) + " and " + having[-1]
                if len(having) <= 6
                else ", ".join(having[:5]) + ", ..."
            )
            return arrow.format(having[0]) + f" ({shown} have {name})"
        if unknown:
            return arrow.format(unknown[0]) + f" (the fields of {', '.join(unknown[:5])} are not known)"
        listed = ", ".join(field.modules[:5]) + (", ..." if len(field.modules) > 5 else "")
        return f"no module {field.api_name} refers to ({listed}) has a field {name}"

    def lacking(self, select: Select) -> dict[str, set[str]]:
        """The names ``select`` uses that this metadata lacks, by the module whose fields
        lack them; ``""`` holds the FROM modules the org's module list lacks. Metadata
        cached before a field or a module was added to the org lacks it too: these are
        the modules to fetch again before saying the org has no such thing.

        >>> from coqlkit.language import parse
        >>> q = parse("select Emial, Owner.full_name from Leads where id in (select Lead from Churn)")
        >>> Catalog.demo().lacking(q)
        {'Leads': {'Emial'}, '': {'Churn'}}
        """
        found: dict[str, set[str]] = {}
        for node in select.walk():
            if not isinstance(node, Select):
                continue
            if node.module not in self._modules:
                found.setdefault("", set()).add(node.module)
                continue
            for ref in _own_refs(node):
                try:
                    self.resolve(node.module, ref)
                except ResolveError as exc:
                    if exc.lacking is not None:
                        found.setdefault(exc.lacking, set()).add(ref.name)
        return found

    # ---- building and storing ---------------------------------------------------------

    @classmethod
    def from_payloads(
        cls, modules: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any] | None] | None = None
    ) -> Catalog:
        """A catalog from Zoho's own JSON: the body of ``GET /crm/v8/settings/modules`` and,
        per module, the body of ``GET /crm/v8/settings/fields?module=X`` (None: not loaded).
        """
        fields = fields or {}
        built = []
        for item in modules.get("modules") or ():
            try:
                name = item["api_name"]
                body = fields.get(name)
                parsed = None if body is None else [Field.from_json(f) for f in body.get("fields") or ()]
                built.append(Module.build(name, parsed, **Module.info_from_json(item)))
            except (KeyError, TypeError, AttributeError) as exc:
                raise CatalogError(
                    f"not Zoho module or field metadata: {exc!r} in {str(item)[:80]}"
                ) from None
        return cls(built)

    @classmethod
    def from_snapshot(cls, directory: str | os.PathLike[str]) -> Catalog:
        """Read a metadata snapshot: ``modules.json`` and ``fields/<Module>.json``."""
        root = Path(directory)
        modules = _read_json(root / "modules.json")
        fields: dict[str, Any] = {}
        folder = root / "fields"
        for item in modules.get("modules") or ():
            path = folder / f"{item.get('api_name')}.json"
            if path.is_file():
                fields[item["api_name"]] = _read_json(path)
        return cls.from_payloads(modules, fields)

    @classmethod
    def demo(cls) -> Catalog:
        """The demo org that the sandbox serves (built once; a catalog is read-only)."""
        return _demo_catalog()


def _own_refs(select: Select) -> Iterator[FieldRef]:
    """The field references of ``select``, not those of its subqueries."""
    stack: list[Node] = list(select.children())
    while stack:
        node = stack.pop()
        if isinstance(node, FieldRef):
            yield node
        elif not isinstance(node, Select):
            stack.extend(node.children())


@functools.cache
def _demo_catalog() -> Catalog:
    from coqlkit.catalog import demo

    return Catalog.from_payloads(
        demo.modules_payload(), {name: demo.fields_payload(name) for name in demo.module_names()}
    )


def write_snapshot(
    directory: str | os.PathLike[str], modules: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]
) -> None:
    """Write Zoho's modules and fields bodies as a snapshot directory (each file atomically)."""
    root = Path(directory)
    (root / "fields").mkdir(parents=True, exist_ok=True)
    _write_json(root / "modules.json", modules)
    for name, body in fields.items():
        _write_json(root / "fields" / f"{name}.json", body)


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise CatalogError(f"no metadata snapshot at {path.parent}: {path.name} is missing") from None
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path} is not a Zoho metadata body (expected a JSON object)")
    return data


def _write_json(path: Path, data: Any) -> None:
    import tempfile  # only snapshots are written with it: keep it out of `import coqlkit`

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
