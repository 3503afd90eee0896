"""The columns a plan yields: their names (as Zoho names them) and what their values are.

Every strategy yields the same columns, whatever it asked Zoho: ``id`` first (for record
queries), then the query's columns in order, named by their alias, dot path or
``SUM(Field)`` as Zoho names its keys. Arrow types follow from the field metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

from coqlkit.catalog import Field, FieldType
from coqlkit.language.ast import FieldRef

__all__ = ["ID_FIELD", "OutputColumn"]

ID_FIELD = Field("id", "bigint", label="Record Id", json_type="string")


@dataclass(frozen=True)
class OutputColumn:
    """One column of a result.

    ``key`` is its name (Zoho's response key: alias, ``Account_Name.Account_Name`` or
    ``COUNT(id)``); ``field`` is the field its values come from (for an aggregate, the
    aggregated field); ``aggregate`` the function (``SUM``...) or None; ``ref`` the path
    asked for. ``lookup_name`` is, for a lookup, the path of the target's display field
    (what a bulk-read CSV needs to fill the lookup's name).
    """

    key: str
    field: Field
    ref: FieldRef | None = None
    aggregate: str | None = None
    lookup_name: FieldRef | None = None

    @property
    def is_id(self) -> bool:
        return self.key == "id" and self.aggregate is None and self.field.api_name == "id"

    @property
    def is_lookup(self) -> bool:
        """Zoho returns it as an object (``{"name", "id"}`` or ``{"id"}``)."""
        kind = self.field.type
        return (
            self.aggregate is None
            and not self.field.subkey
            and (self.field.is_lookup or kind is FieldType.MULTI_MODULE_LOOKUP)
        )
