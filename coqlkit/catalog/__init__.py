"""Modules and fields of an org from Zoho's metadata JSON, and Zoho's limits.

A metadata *snapshot* is a directory with ``modules.json`` (the body of
``GET /crm/v8/settings/modules``) and ``fields/<Module>.json`` (the body of
``GET /crm/v8/settings/fields?module=<Module>``), exactly as Zoho returns them.
"""

from coqlkit.catalog import limits
from coqlkit.catalog._catalog import Catalog, Resolved, ResolveError, write_snapshot
from coqlkit.catalog.model import Field, FieldType, Module, PicklistValue
from coqlkit.catalog.suggest import closest

__all__ = [
    "Catalog",
    "Field",
    "FieldType",
    "Module",
    "PicklistValue",
    "ResolveError",
    "Resolved",
    "closest",
    "limits",
    "write_snapshot",
]
