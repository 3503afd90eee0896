"""The record, user and org endpoints: ``GET /crm/v8/{module}``, ``/users``, ``/org``."""

from __future__ import annotations

from typing import Any

from coqlkit.catalog import FieldType
from coqlkit.language.ast import (
    Column,
    Comparison,
    FieldRef,
    IsNull,
    Limit,
    Number,
    OrderItem,
    Select,
    Source,
)
from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.sql import compile_select, records
from coqlkit.sandbox.state import SandboxState
from coqlkit.sandbox.store import subid

__all__ = ["list_records", "one_record", "org", "users"]

SORTABLE = ("id", "Created_Time", "Modified_Time")
MAX_PER_PAGE = 200


def list_records(state: SandboxState, module: str, params: dict[str, str]) -> dict[str, Any] | None:
    """``GET /crm/v8/{module}?fields=...&page=&per_page=&sort_by=&sort_order=``."""
    found = _module(state, module)
    names = [n.strip() for n in params.get("fields", "").split(",") if n.strip()]
    if not names:
        raise ZohoError(
            "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "fields"}
        )
    for name in names:
        if found.field(name) is None:
            raise ZohoError("INVALID_DATA", "invalid data", {"api_name": name})
    page = _int(params, "page", 1, 1, 10**6)
    per_page = _int(params, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)
    sort_by = params.get("sort_by", "id")
    if sort_by not in SORTABLE:
        raise ZohoError(
            "INVALID_DATA", "invalid data", {"param": "sort_by", "supported_values": list(SORTABLE)}
        )
    order = params.get("sort_order", "desc" if sort_by != "id" else "asc").lower()
    if order not in ("asc", "desc"):
        raise ZohoError(
            "INVALID_DATA", "invalid data", {"param": "sort_order", "supported_values": ["asc", "desc"]}
        )
    select = Select(
        tuple(Column(FieldRef((n,))) for n in names if n != "id"),
        Source(module),
        IsNull(FieldRef(("id",)), negated=True),
        order_by=(OrderItem(FieldRef((sort_by,)), descending=order == "desc"),),
        limit=Limit(per_page, (page - 1) * per_page),
    )
    data, more = _run(state, select)
    if not data:
        return None
    info = {
        "per_page": per_page,
        "count": len(data),
        "page": page,
        "sort_by": sort_by,
        "sort_order": order,
        "more_records": more,
    }
    return {"data": data, "info": info}


def one_record(state: SandboxState, module: str, record_id: str) -> dict[str, Any] | None:
    """``GET /crm/v8/{module}/{id}``: every field of one record."""
    found = _module(state, module)
    if not record_id.isdigit():
        raise ZohoError("INVALID_DATA", "the id given seems to be invalid", {"api_name": "id"})
    assert found.fields is not None
    columns = tuple(
        Column(FieldRef((f.api_name,)))
        for f in found.fields.values()
        if f.api_name != "id" and f.type not in (FieldType.SUBFORM, FieldType.MULTISELECTLOOKUP)
    )
    select = Select(
        columns, Source(module), Comparison(FieldRef(("id",)), "=", Number(int(record_id))), limit=Limit(1)
    )
    data, _ = _run(state, select)
    return {"data": data} if data else None


def users(state: SandboxState, params: dict[str, str]) -> dict[str, Any] | None:
    """``GET /crm/v8/users?type=CurrentUser|AllUsers|ActiveUsers``."""
    kind = params.get("type", "AllUsers")
    if kind not in ("CurrentUser", "AllUsers", "ActiveUsers", "AdminUsers"):
        raise ZohoError("INVALID_DATA", "invalid data", {"param": "type"})
    module = state.catalog.module("Users")
    if module is None or module.fields is None:
        raise ZohoError("INVALID_MODULE", "the module name given seems to be invalid", {"param": "Users"})
    page = _int(params, "page", 1, 1, 10**6)
    per_page = _int(params, "per_page", 200, 1, 200)
    names = [f for f in module.fields if f != "id"]
    where = (
        Comparison(FieldRef(("id",)), "=", Number(int(state.store.info("current_user") or 0)))
        if kind == "CurrentUser"
        else IsNull(FieldRef(("id",)), negated=True)
    )
    select = Select(
        tuple(Column(FieldRef((n,))) for n in names),
        Source("Users"),
        where,
        limit=Limit(per_page, (page - 1) * per_page),
    )
    data, more = _run(state, select)
    if not data:
        return None
    for user in data:
        for key in ("role", "profile"):
            name = user.get(key)
            if isinstance(name, str):
                user[key] = {"name": name, "id": str(subid(name))}
        user.setdefault("status", "active")
    return {
        "users": data,
        "info": {"per_page": per_page, "count": len(data), "page": page, "more_records": more},
    }


def org(state: SandboxState) -> dict[str, Any]:
    """``GET /crm/v8/org``: the sandbox's organisation."""
    return {
        "org": [
            {
                "id": "4150868000000000001",
                "zgid": "4150868",
                "company_name": "Zylker Demo (coqlkit sandbox)",
                "domain_name": "org4150868",
                "primary_email": "admin@zylker-demo.example",
                "time_zone": state.config.time_zone,
                "currency": "US Dollar - USD",
                "iso_code": "USD",
                "currency_symbol": "$",
                "country_code": "US",
                "type": "sandbox",
                "mc_status": False,
                "gapps_enabled": False,
                "privacy_settings": False,
                "license_details": {"paid": True, "paid_type": "enterprise", "users_license_purchased": 100},
            }
        ]
    }


def _module(state: SandboxState, name: str) -> Any:
    found = state.catalog.module(name)
    if found is None or found.fields is None:
        raise ZohoError(
            "INVALID_MODULE", "the module name given seems to be invalid", {"resource_path_index": 0}
        )
    return found


def _int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ZohoError("INVALID_DATA", "invalid data", {"param": name, "minimum": low, "maximum": high})
    return int(raw)


def _run(state: SandboxState, select: Select) -> tuple[list[dict[str, Any]], bool]:
    compiled = compile_select(state.store, select)
    sql, params = compiled.sql()
    rows = list(state.store.query(sql, params))
    more = len(rows) > compiled.limit
    return records(state.store, compiled, rows[: compiled.limit]), more
