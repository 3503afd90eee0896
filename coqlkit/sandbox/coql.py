"""``POST /crm/v8/coql``: check a query as Zoho would, run it on SQLite, answer as Zoho does."""

from __future__ import annotations

import json
from typing import Any

from coqlkit.catalog import ResolveError
from coqlkit.catalog.limits import DEFAULT_LIMIT
from coqlkit.language.ast import Aggregate, Column
from coqlkit.sandbox.checks import check_query, parse_strict
from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.sql import compile_select, json_select, records
from coqlkit.sandbox.state import SandboxState

__all__ = ["run"]


def run(state: SandboxState, body: dict[str, Any]) -> tuple[bytes | None, int | None]:
    """The response body, JSON (None: 204, no rows), and the query's LIMIT (for its credits)."""
    text = body.get("select_query")
    if not isinstance(text, str) or not text.strip():
        raise ZohoError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "select_query"})
    include = body.get("include_meta")
    if include is not None and include != ["fields"]:
        raise ZohoError(
            "INVALID_DATA",
            "invalid data",
            {"api_name": "include_meta", "json_path": "$.include_meta", "supported_values": ["fields"]},
        )
    select = parse_strict(text)
    check_query(select, state.catalog)
    count = select.limit.rows()[0] if select.limit is not None else None
    limit = count if count is not None else DEFAULT_LIMIT
    store = state.store
    compiled = compile_select(store, select)
    for sequence, op, sql, params in compiled.scalar_checks:
        if len(list(store.query(sql, params))) > 1:
            raise ZohoError(
                "INVALID_QUERY",
                "sub query returns more than one value",
                {"sub_query_sequence": sequence, "operator": op},
            )
    fields = _encode(_fields_meta(state, select)) if include == ["fields"] else None
    made = json_select(compiled)
    if made is not None:  # each record's JSON text made by SQLite
        texts = [row[0] for row in store.query(*made)]
        more = len(texts) > compiled.limit
        texts = texts[: compiled.limit]
        if not texts:
            return None, limit
        data = "[" + ",".join(texts) + "]"
        count = len(texts)
    else:
        sql, params = compiled.sql()
        rows = list(store.query(sql, params))
        more = len(rows) > compiled.limit
        records_ = records(store, compiled, rows[: compiled.limit])
        if not records_:
            return None, limit
        data, count = _encode(records_), len(records_)
    info = _encode({"count": count, "more_records": more})
    answer = f'{{"data":{data},"info":{info}' + (f',"fields":{fields}' if fields is not None else "") + "}"
    return answer.encode(), limit


def _encode(value: Any) -> str:
    """JSON as Zoho writes it (and Starlette's JSONResponse did): compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _fields_meta(state: SandboxState, select: Any) -> dict[str, Any]:
    """``include_meta: ["fields"]``: Zoho's field metadata of each selected field, by key."""
    raw = {f["api_name"]: f for f in state.metadata.fields.get(select.module, {}).get("fields", ())}
    out: dict[str, Any] = {}
    for item in select.columns:
        if not isinstance(item, Column) or isinstance(item.expr, Aggregate):
            continue
        try:
            found = state.catalog.resolve(select.module, item.expr)
        except ResolveError:  # pragma: no cover - checked before
            continue
        meta = raw.get(found.field.api_name) if not found.hops else None
        out[item.key] = meta or {"api_name": found.field.api_name, "data_type": found.field.data_type}
    return out
