"""Bulk read: ``POST /crm/bulk/v8/read``, ``GET .../{job}``, ``GET .../{job}/result`` (a zip).

A job moves ADDED → IN PROGRESS → COMPLETED over ``bulk_seconds`` (or, as the sandbox's
``bulk_outcomes`` say, stays IN PROGRESS for good, or ends FAILURE); its result is a page
of at most 200,000 records as ``{job}.csv`` in a zip, with ``more_records`` and a
``next_page_token`` that a new job takes as ``query.page_token``. The criteria JSON is
read into the same AST COQL uses and run by the same SQL layer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import secrets
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from coqlkit.catalog import Field, FieldType, ResolveError
from coqlkit.catalog.model import LOOKUPS, NUMERIC, TEXTUAL
from coqlkit.language.ast import (
    And,
    Between,
    Column,
    Comparison,
    Condition,
    FieldRef,
    In,
    IsNull,
    Like,
    Limit,
    Number,
    Or,
    Select,
    Source,
    String,
    Value,
)
from coqlkit.language.parser import parse
from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.sql import compile_select
from coqlkit.sandbox.state import SandboxState
from coqlkit.sandbox.store import JSON_TYPES

__all__ = ["CREATE_CREDITS", "create", "download", "status"]

CREATE_CREDITS = 50  # "Bulk Read Initialize: 50 credits" (reference §9; UNVERIFIED for CRM v8)
#: The message of a download past the org's downloads a minute: the words of the 429 example
#: of Zoho's v8 OAS (the bulk-read pages give none of their own).
DOWNLOADS_REFUSED = "Rate limit exceeded. Please retry after the specified time."
# Caps on one job's criteria (v8 OAS createBulkReadJob): CRITERIA_LIMIT_EXCEEDED (max_limit 25)
# and VALUE_LIMIT_EXCEEDED_IN_CRITERIA ("the maximum limit of 200", "per request"). Counted
# as strictly as the OAS can be read: comparisons, and values over the whole request.
MAX_CRITERIA = 25
MAX_CRITERIA_VALUES = 200
UNSUPPORTED = frozenset({"Notes", "Attachments", "Emails"})
EMPTY = "${EMPTY}"
COMPARATORS = {
    "equal": "=",
    "not_equal": "!=",
    "less_than": "<",
    "less_equal": "<=",
    "greater_than": ">",
    "greater_equal": ">=",
}
# What bulk read offers per field type (reference §7 [DOC-v7]): a comparator beyond these is
# FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE, with the v8 OAS's details
# {"comparator", "api_name", "supported"}. A type the table leaves out is not checked (its
# comparators are undocumented). The planner keeps its own copy (coqlkit/plan/bulk.py
# _ALLOWED): this one is the other side of the wire, so that a drift there shows here.
_RANGE = ("equal", "not_equal", "less_than", "less_equal", "greater_than", "greater_equal")
_TEXT = ("equal", "not_equal", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with")
SUPPORTED: dict[FieldType, tuple[str, ...]] = {
    **dict.fromkeys(NUMERIC, (*_RANGE, "in")),
    **dict.fromkeys((FieldType.DATE, FieldType.DATETIME), (*_RANGE, "in", "between", "not_between")),
    **dict.fromkeys(TEXTUAL, _TEXT),
    FieldType.BOOLEAN: ("equal",),
    **dict.fromkeys(LOOKUPS, ("equal", "not_equal", "in", "not_in")),
}


@dataclass
class Job:
    id: str
    module: str
    fields: list[str]
    criteria: Condition | None
    page: int
    query: dict[str, Any]
    created: float
    created_time: str
    result: dict[str, Any] | None = None
    archive: bytes | None = None
    outcome: str = "complete"  # or "stall" (IN PROGRESS for good), "fail" (FAILURE)


def create(state: SandboxState, body: Any) -> Response:
    """Validate a job request and queue it (201 ``ADDED_SUCCESSFULLY``)."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), dict):
        raise ZohoError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "query"})
    query, page = _query_and_page(state, body["query"])
    module = (query.get("module") or {}).get("api_name") if isinstance(query.get("module"), dict) else None
    if not module:
        raise ZohoError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "module"})
    if module in UNSUPPORTED:
        raise ZohoError(
            "MODULE_NOT_SUPPORTED", "the module is not supported for bulk read", {"api_name": module}
        )
    found = state.catalog.module(module)
    if found is None or found.fields is None:
        raise ZohoError("MODULE_NOT_AVAILABLE", "the module is not available", {"api_name": module})
    if body.get("file_type", "csv") != "csv":
        raise ZohoError("INVALID_DATA", "only csv is supported here", {"api_name": "file_type"})
    fields = query.get("fields") or [f for f, meta in found.fields.items() if _exportable(meta) and f != "id"]
    for name in fields:
        try:
            state.catalog.resolve(module, _path(name))
        except (ResolveError, ValueError):
            raise ZohoError("INVALID_DATA", "the field is not supported", {"api_name": name}) from None
    criteria = None
    if query.get("criteria"):
        _within_caps(query["criteria"])
        criteria = _criteria(state, module, query["criteria"])
    job_id = str(4_150_868_900_000_000_000 + len(state.jobs) + 1)
    now = dt.datetime.now(state.store.tz).replace(microsecond=0).isoformat()
    job = Job(job_id, module, list(fields), criteria, page, query, time.monotonic(), now)
    with state.lock:
        outcomes = state.config.bulk_outcomes
        if outcomes:
            job.outcome = outcomes[min(len(state.jobs), len(outcomes) - 1)]
        state.jobs[job_id] = job
    details = {
        "id": job_id,
        "operation": "read",
        "state": "ADDED",
        "created_by": _user(state),
        "created_time": now,
    }
    body_out = {
        "data": [
            {
                "status": "success",
                "code": "ADDED_SUCCESSFULLY",
                "message": "Added successfully.",
                "details": details,
            }
        ],
        "info": {},
    }
    return JSONResponse(body_out, status_code=201)


def status(state: SandboxState, job_id: str) -> dict[str, Any]:
    """The job's state, and its result once COMPLETED (or Zoho's error once FAILURE)."""
    job = _job(state, job_id)
    elapsed = time.monotonic() - job.created
    seconds = state.config.bulk_seconds
    ended = {"complete": "COMPLETED", "stall": "IN PROGRESS", "fail": "FAILURE"}[job.outcome]
    phase = "ADDED" if elapsed < seconds * 0.2 else "IN PROGRESS" if elapsed < seconds else ended
    item: dict[str, Any] = {
        "id": job.id,
        "operation": "read",
        "state": phase,
        "query": job.query,
        "created_by": _user(state),
        "created_time": job.created_time,
        "file_type": "csv",
    }
    if phase == "COMPLETED":
        item["result"] = _finish(state, job)
    elif phase == "FAILURE":
        # The shape of Zoho's job-details reply and callback for a failed job (reference §7).
        error = {"status": "error", "code": "INTERNAL_ERROR", "message": "the export failed", "details": {}}
        item["result"] = {"error_message": error}
    return {"data": [item]}


def download(state: SandboxState, job_id: str) -> Response:
    """The zipped CSV of a completed job, within the org's downloads a minute (:func:`_admit`)."""
    job = _job(state, job_id)
    if status(state, job_id)["data"][0]["state"] != "COMPLETED" or job.archive is None:
        raise ZohoError("INVALID_REQUEST", "the job has not completed yet", {"id": job_id})
    _admit(state)
    headers = {"Content-Disposition": f'attachment; filename="{job.id}.zip"'}
    return Response(job.archive, media_type="application/zip", headers=headers)


def _admit(state: SandboxState) -> None:
    """Count a download against the org's ``bulk_downloads`` a ``bulk_download_seconds``
    (Zoho: "Only 10 requests for download are allowed for a one-minute interval", HTTP 429
    past them, v8 bulk-read limitations), whatever job it is of; past them, 429.

    The sandbox's choices where Zoho's page is silent: the minute slides (a download goes
    through once the oldest of the last ``bulk_downloads`` is a minute old), a refused
    download is not counted (retrying does not push the minute back), and the refusal is
    the 429 body of Zoho's v8 OAS (its one 429 example: ``retry_after``, ``limit``,
    ``window``), ``retry_after`` the whole seconds until a download goes through again."""
    limit, window = state.config.bulk_downloads, state.config.bulk_download_seconds
    if not limit:
        return
    now = time.monotonic()
    with state.lock:
        times = state.downloads
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= limit:
            wait = max(1, math.ceil(times[0] + window - now))
            raise ZohoError(
                "TOO_MANY_REQUESTS",
                DOWNLOADS_REFUSED,
                {"retry_after": wait, "limit": limit, "window": _seconds(window)},
                status=429,
            )
        times.append(now)


def _seconds(window: float) -> int | float:
    """A window as Zoho's 429 says it: whole seconds (60), a fraction only when it has one."""
    return int(window) if window == int(window) else window


# ---- the work -----------------------------------------------------------------------------


def _finish(state: SandboxState, job: Job) -> dict[str, Any]:
    with state.lock:
        if job.result is not None:
            return job.result
    size = state.config.bulk_page_rows
    refs = [_path(name) for name in job.fields]
    select = Select(
        tuple(Column(ref) for ref in refs),
        Source(job.module),
        job.criteria or IsNull(FieldRef(("id",)), negated=True),
        limit=Limit(size, (job.page - 1) * size),
    )
    compiled = compile_select(state.store, select)
    sql, params = compiled.sql()
    rows = list(state.store.query(sql, params))
    more = len(rows) > size
    rows = rows[:size]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["id", *job.fields])
    outputs = compiled.outputs
    for row in rows:
        writer.writerow([_csv(state, o.field, row[o.index], o.key == "id") for o in outputs])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{job.id}.csv", text.getvalue())
    result: dict[str, Any] = {
        "page": job.page,
        "per_page": size,
        "count": len(rows),
        "download_url": f"/crm/bulk/v8/read/{job.id}/result",
        "more_records": more,
    }
    if more:
        token = secrets.token_hex(16)
        with state.lock:
            state.page_tokens[token] = (job.id, job.page + 1)  # the job whose query goes on
        result["next_page_token"] = token
    with state.lock:
        job.archive = archive.getvalue()
        job.result = result
    return result


def _csv(state: SandboxState, field: Field, value: Any, is_id: bool) -> str:
    """A stored value as Zoho's CSV writes it: ids for lookups, ``;`` for multi-selects."""
    if value is None:
        return ""
    if is_id:
        return str(value)
    kind = field.value_type
    if kind is FieldType.BOOLEAN:
        return "true" if value else "false"
    if kind is FieldType.DATETIME:
        return state.store.local(value)
    if kind in JSON_TYPES:
        return json.dumps(json.loads(value), separators=(",", ":"))
    return str(value)


def _exportable(field: Field) -> bool:
    return field.type not in (FieldType.SUBFORM, FieldType.MULTISELECTLOOKUP, FieldType.IMAGEUPLOAD)


def _path(name: Any) -> FieldRef:
    if not isinstance(name, str) or not name:
        raise ValueError(name)
    select = parse(f"select '{name}' from X")  # the same path reader COQL uses
    column = select.columns[0]
    assert isinstance(column, Column) and isinstance(column.expr, FieldRef)
    return column.expr


def _query_and_page(state: SandboxState, query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The job's query and page. With a ``page_token`` (Zoho's docs send it alone,
    ``{"query": {"page_token": "..."}}``), the query of the job the token came from, at its
    next page; a token this sandbox never issued is refused, and so is one sent with another
    module, other fields or other criteria than its job's."""
    token = query.get("page_token")
    if not token:
        page = query.get("page", 1)
        if not isinstance(page, int) or page < 1:
            raise ZohoError("INVALID_DATA", "invalid page", {"api_name": "page"})
        return query, page
    found = state.page_tokens.get(str(token))
    origin = state.jobs.get(found[0]) if found is not None else None
    if found is None or origin is None:
        raise ZohoError("INVALID_DATA", "the page token is invalid or expired", {"api_name": "page_token"})
    kept = {k: v for k, v in origin.query.items() if k not in ("page", "page_token")}
    for key in ("module", "fields", "criteria", "cvid"):
        if key in query and query[key] != kept.get(key):
            raise ZohoError(
                "INVALID_DATA", f"the {key} differs from that of the page token's job", {"api_name": key}
            )
    return {**kept, "page": found[1]}, found[1]


def _within_caps(node: Any) -> None:
    """Refuse criteria past Zoho's caps: more than 25 comparisons, more than 200 values."""
    leaves = list(_leaves(node))
    if len(leaves) > MAX_CRITERIA:
        raise ZohoError(
            "CRITERIA_LIMIT_EXCEEDED",
            "the number of criteria exceeds the maximum limit",
            {"max_limit": MAX_CRITERIA},
            status=400,
        )
    values = sum(len(v) if isinstance(v, list) else 1 for v in (leaf.get("value") for leaf in leaves))
    if values > MAX_CRITERIA_VALUES:
        raise ZohoError(
            "VALUE_LIMIT_EXCEEDED_IN_CRITERIA",
            f"the number of values provided in the bulk read criteria exceeds the maximum limit of {MAX_CRITERIA_VALUES}",
            {"max_limit": MAX_CRITERIA_VALUES},
            status=400,
        )


def _leaves(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict) and isinstance(node.get("group"), list):
        for part in node["group"]:
            yield from _leaves(part)
    elif isinstance(node, dict):
        yield node  # (a malformed leaf is _criteria's to refuse)


def _criteria(state: SandboxState, module: str, node: Any) -> Condition:
    """Bulk-read criteria JSON (leaf or ``group``) as a COQL condition tree, each leaf checked
    against its field (:func:`_criterion_field`).

    A leaf names its field as ``{"field": {"api_name": ...}}`` (the v8 OAS's only form, and
    Zoho's v8 docs') or as ``{"api_name": ...}`` (the v2 docs' and Kaizen #12's form; the v8
    Python SDK's Criteria has both attributes). Both are taken, and so is a lone leaf without
    a ``group``: whether real Zoho v8 still accepts the ``api_name`` form and a lone leaf is
    UNVERIFIED (the v8 OAS would refuse both), so taking them here proves nothing about Zoho.
    """
    if not isinstance(node, dict):
        raise ZohoError("INVALID_CRITERIA", "the criteria is invalid", {})
    if "group" in node:
        operator = str(node.get("group_operator", "")).lower()
        parts = node.get("group")
        if operator not in ("and", "or") or not isinstance(parts, list) or not parts:
            raise ZohoError("INVALID_CRITERIA", "the criteria group is invalid", {"group_operator": operator})
        conditions = [_criteria(state, module, p) for p in parts]
        result = conditions[0]
        for cond in conditions[1:]:
            result = And(result, cond) if operator == "and" else Or(result, cond)
        return result
    name = node.get("api_name") or (node.get("field") or {}).get("api_name")
    comparator, value = node.get("comparator"), node.get("value")
    if not name or not comparator:
        raise ZohoError("INVALID_CRITERIA", "the criteria is invalid", {"api_name": name})
    ref = _criterion_field(state, module, name, comparator, value)
    if comparator in COMPARATORS:
        if value == EMPTY:
            return IsNull(ref, negated=comparator == "not_equal")
        return Comparison(ref, COMPARATORS[comparator], _value(value))
    if comparator in ("in", "not_in"):
        items = value if isinstance(value, list) else [value]
        return In(ref, tuple(_value(v) for v in items), negated=comparator == "not_in")
    if comparator in ("between", "not_between"):
        if not isinstance(value, list) or len(value) != 2:
            raise ZohoError("INVALID_CRITERIA", "between takes two values", {"api_name": name})
        return Between(ref, _value(value[0]), _value(value[1]), negated=comparator == "not_between")
    patterns = {"contains": "%{}%", "not_contains": "%{}%", "starts_with": "{}%", "ends_with": "%{}"}
    pattern = patterns[comparator].format(str(value).replace("%", ""))
    return Like(ref, String(pattern), negated=comparator == "not_contains")


_KNOWN = frozenset(
    {
        *COMPARATORS,
        "in",
        "not_in",
        "between",
        "not_between",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
    }
)


def _criterion_field(state: SandboxState, module: str, name: Any, comparator: Any, value: Any) -> FieldRef:
    """The path a leaf names, once its field and comparator pass what Zoho refuses at creation
    (not later, when the job runs): a comparator bulk read does not know (``INVALID_CRITERIA``),
    a field the module lacks (``INVALID_DATA``, as for ``fields``), a field the org's metadata
    marks ``filterable: false`` (``FIELD_IN_CRITERIA_NOT_SUPPORTED``: Zoho's own word that the
    field cannot be filtered, reference §6.1; that bulk read honours it is INFERRED), and a
    comparator its type does not take (``FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE``,
    reference §7). A lookup path (``Owner.last_name``) is taken and its last field checked:
    Zoho's own Kaizen #12 bulk-read example filters on ``Owner.last_name`` and
    ``Account_Name.Phone``, and nothing in the reference says v8 refuses it."""
    if comparator not in _KNOWN:
        raise ZohoError("INVALID_CRITERIA", "the comparator is not supported", {"comparator": comparator})
    try:
        ref = _path(name)
        resolved = state.catalog.resolve(module, ref)
    except (ResolveError, ValueError):
        raise ZohoError("INVALID_DATA", "the field is not supported", {"api_name": name}) from None
    field = resolved.field
    if not resolved.complete:
        return ref  # a hop into a module whose fields are unknown: nothing to check it with
    if not field.filterable:
        raise ZohoError(
            "FIELD_IN_CRITERIA_NOT_SUPPORTED",
            "the field is not supported in criteria",
            {"api_name": name, "comparator": comparator, "value": value, "type": field.data_type},
        )
    supported = SUPPORTED.get(field.value_type)
    if supported is not None and comparator not in supported:
        raise ZohoError(
            "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE",
            f"the comparator {comparator} is not supported for the field {name}",
            {"comparator": comparator, "api_name": name, "supported": list(supported)},
        )
    return ref


def _value(value: Any) -> Value:
    if isinstance(value, bool):
        return String("true" if value else "false")
    if isinstance(value, int):
        return Number(value)
    if isinstance(value, float):
        from decimal import Decimal

        return Number(Decimal(repr(value)))
    return String(str(value))


def _job(state: SandboxState, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    if job is None:
        raise ZohoError("RESOURCE_NOT_FOUND", "the requested resource does not exist", {"id": job_id})
    return job  # type: ignore[no-any-return]


def _user(state: SandboxState) -> dict[str, str]:
    user = state.store.info("current_user") or "0"
    return {"id": user, "name": "Sandbox Admin"}
