"""Modules and fields of an org, as Zoho's metadata API describes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

__all__ = ["Field", "FieldType", "Module", "PicklistValue"]


class FieldType(str, Enum):
    """Zoho's ``data_type`` values (reference §6.1). ``UNKNOWN`` stands for any other."""

    TEXT = "text"
    TEXTAREA = "textarea"
    EMAIL = "email"
    PHONE = "phone"
    WEBSITE = "website"
    PICKLIST = "picklist"
    MULTISELECTPICKLIST = "multiselectpicklist"
    INTEGER = "integer"
    BIGINT = "bigint"
    DOUBLE = "double"
    CURRENCY = "currency"
    PERCENT = "percent"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    LOOKUP = "lookup"
    OWNERLOOKUP = "ownerlookup"
    USERLOOKUP = "userlookup"
    MULTISELECTLOOKUP = "multiselectlookup"
    MULTIUSERLOOKUP = "multiuserlookup"
    MULTI_MODULE_LOOKUP = "multi_module_lookup"
    CONSENT_LOOKUP = "consent_lookup"
    FORMULA = "formula"
    ROLLUP_SUMMARY = "rollup_summary"
    AUTONUMBER = "autonumber"
    PROFILEIMAGE = "profileimage"
    IMAGEUPLOAD = "imageupload"
    FILEUPLOAD = "fileupload"
    TERRITORIES = "territories"
    SUBFORM = "subform"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, data_type: str | None) -> FieldType:
        try:
            return cls((data_type or "").lower())
        except ValueError:
            return cls.UNKNOWN


NUMERIC = frozenset(
    {
        FieldType.INTEGER,
        FieldType.BIGINT,
        FieldType.DOUBLE,
        FieldType.CURRENCY,
        FieldType.PERCENT,
        FieldType.DECIMAL,
    }
)
TEXTUAL = frozenset(
    {
        FieldType.TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.WEBSITE,
        FieldType.PICKLIST,
        FieldType.MULTISELECTPICKLIST,
        FieldType.AUTONUMBER,
        FieldType.TEXTAREA,
    }
)
LOOKUPS = frozenset({FieldType.LOOKUP, FieldType.OWNERLOOKUP, FieldType.USERLOOKUP})
# Lookups a dot path may follow (a consent lookup leads to the consent record's fields).
FOLLOWABLE = LOOKUPS | {FieldType.CONSENT_LOOKUP}
USER_LOOKUPS = frozenset({FieldType.OWNERLOOKUP, FieldType.USERLOOKUP})

# What a formula's or rollup's ``return_type`` means as a field type.
_RETURN_TYPES = {
    "double": FieldType.DOUBLE,
    "decimal": FieldType.DECIMAL,
    "currency": FieldType.CURRENCY,
    "percent": FieldType.PERCENT,
    "integer": FieldType.INTEGER,
    "number": FieldType.INTEGER,
    "bigint": FieldType.BIGINT,
    "boolean": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "text": FieldType.TEXT,
    "string": FieldType.TEXT,
}


@dataclass(frozen=True, slots=True)
class PicklistValue:
    """One value of a picklist: ``actual_value`` is what COQL compares with."""

    actual: str
    display: str


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a module (the parts of Zoho's field metadata coqlkit uses)."""

    api_name: str
    data_type: str
    label: str = ""
    json_type: str | None = None
    length: int | None = None
    decimal_place: int | None = None
    lookup_module: str | None = None
    modules: tuple[str, ...] = ()
    linking_module: str | None = None
    picklist: tuple[PicklistValue, ...] = ()
    return_type: str | None = None
    encrypted: bool = False
    filterable: bool = True
    sortable: bool = True
    read_only: bool = False
    custom: bool = False
    visible: bool = True
    field_id: str | None = None
    #: The module's display field: the name a lookup to this module shows (``display_field``).
    display: bool = False
    #: A key of a lookup's sub-object (``Owner.profile.name``, ``Appointment_For.module.api_name``),
    #: which compares only with = != in, not in, is null, is not null.
    subkey: bool = False
    # Derived from data_type and return_type once, as validation asks for them often.
    type: FieldType = field(init=False, repr=False, compare=False)
    value_type: FieldType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = FieldType.of(self.data_type)
        object.__setattr__(self, "type", kind)
        if kind in (FieldType.FORMULA, FieldType.ROLLUP_SUMMARY):
            # The type values compare as: a formula's or rollup's return type.
            kind = _RETURN_TYPES.get((self.return_type or "").lower(), FieldType.UNKNOWN)
        object.__setattr__(self, "value_type", kind)

    @property
    def is_numeric(self) -> bool:
        return self.value_type in NUMERIC

    @property
    def is_lookup(self) -> bool:
        """A lookup whose target's fields a dot path can reach."""
        return self.type in FOLLOWABLE

    @property
    def is_user_lookup(self) -> bool:
        return self.type in USER_LOOKUPS

    @property
    def picklist_values(self) -> tuple[str, ...]:
        return tuple(v.actual for v in self.picklist)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Field:
        """A field from one item of ``GET /crm/v8/settings/fields`` (reference §6.1)."""
        lookup = data.get("lookup") or {}
        multi = data.get("multi_module_lookup") or {}
        msl = data.get("multiselectlookup") or {}
        kind = FieldType.of(data.get("data_type"))
        target = (lookup.get("module") or {}).get("api_name")
        if target is None and kind in USER_LOOKUPS:
            target = "Users"
        formula = data.get("formula") or {}
        rollup = data.get("rollup_summary") or {}
        return cls(
            api_name=str(data["api_name"]),
            data_type=str(data.get("data_type") or "unknown"),
            label=str(data.get("field_label") or data.get("display_label") or data["api_name"]),
            json_type=data.get("json_type"),
            length=data.get("length"),
            decimal_place=data.get("decimal_place"),
            lookup_module=target,
            modules=tuple(m["api_name"] for m in multi.get("modules") or () if "api_name" in m),
            linking_module=(msl.get("linking_module") or {}).get("api_name"),
            picklist=tuple(
                PicklistValue(str(v.get("actual_value", v.get("display_value"))), str(v.get("display_value")))
                for v in data.get("pick_list_values") or ()
            ),
            return_type=formula.get("return_type") or rollup.get("return_type"),
            encrypted=bool(data.get("crypt")),
            filterable=data.get("filterable", True) is not False,
            sortable=data.get("sortable", True) is not False,
            read_only=bool(data.get("read_only")),
            custom=bool(data.get("custom_field")),
            visible=data.get("visible", True) is not False,
            field_id=str(data["id"]) if data.get("id") is not None else None,
            display=bool(data.get("display_field")),
        )


#: The record id: every module has it, though Zoho's field metadata does not list it.
ID_FIELD = Field("id", "bigint", label="Record Id", json_type="string")


@dataclass(frozen=True)
class Module:
    """A module and, when loaded, its fields (``fields is None``: not loaded yet)."""

    api_name: str
    label: str = ""
    singular_label: str = ""
    module_name: str = ""
    module_id: str | None = None
    api_supported: bool = True
    generated_type: str = "default"
    fields: Mapping[str, Field] | None = None
    _folded: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, api_name: str, fields: Iterable[Field] | None = None, **info: Any) -> Module:
        """A module with ``fields`` (``id`` is added when missing)."""
        if fields is None:
            return cls(api_name, **info)
        by_name = {f.api_name: f for f in fields}
        by_name.setdefault("id", ID_FIELD)
        folded: dict[str, str] = {}
        for name in by_name:
            folded.setdefault(name.lower(), name)
        return cls(api_name, fields=MappingProxyType(by_name), _folded=MappingProxyType(folded), **info)

    # A mappingproxy does not pickle, and a catalog is worth shipping to a process pool's
    # workers (a lint of many files): the read-only mappings travel as dicts and come back
    # read-only.
    def __getstate__(self) -> dict[str, Any]:
        return {
            name: dict(value) if isinstance(value, Mapping) else value for name, value in vars(self).items()
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, MappingProxyType(value) if isinstance(value, dict) else value)

    @classmethod
    def info_from_json(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments of :meth:`build` from one item of ``GET /crm/v8/settings/modules``."""
        return {
            "label": str(data.get("plural_label") or data.get("module_name") or data["api_name"]),
            "singular_label": str(data.get("singular_label") or ""),
            "module_name": str(data.get("module_name") or data["api_name"]),
            "module_id": str(data["id"]) if data.get("id") is not None else None,
            "api_supported": data.get("api_supported", True) is not False,
            "generated_type": str(data.get("generated_type") or "default"),
        }

    @property
    def display_field(self) -> Field | None:
        """The field a lookup to this module shows as its name: the one Zoho marks
        ``display_field``, else a usual name field."""
        if not self.fields:
            return None
        for f in self.fields.values():
            if f.display:
                return f
        for name in ("Full_Name", "full_name", "Name", "Subject", f"{self.api_name.rstrip('s')}_Name"):
            if name in self.fields:
                return self.fields[name]
        return None

    def field(self, name: str) -> Field | None:
        """The field named exactly ``name`` (API names are case-sensitive in COQL)."""
        return self.fields.get(name) if self.fields is not None else None

    def field_folded(self, name: str) -> Field | None:
        """The field whose name equals ``name`` ignoring case."""
        if self.fields is None:
            return None
        real = self._folded.get(name.lower())
        return self.fields[real] if real is not None else None
