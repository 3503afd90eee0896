"""Bulk read: a job goes ADDED → IN PROGRESS → COMPLETED and yields a zipped CSV, page by page."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from typing import Any

import pytest

from tests.sandbox.conftest import Api


def create(api: Api, query: dict[str, Any]) -> str:
    reply = api.http.post("/crm/bulk/v8/read", json={"query": query})
    assert reply.status_code == 201, reply.text
    (item,) = reply.json()["data"]
    assert (item["status"], item["code"], item["details"]["state"]) == (
        "success",
        "ADDED_SUCCESSFULLY",
        "ADDED",
    )
    return str(item["details"]["id"])


def wait(api: Api, job: str) -> dict[str, Any]:
    seen = []
    for _ in range(100):
        item = api.http.get(f"/crm/bulk/v8/read/{job}").json()["data"][0]
        seen.append(item["state"])
        if item["state"] == "COMPLETED":
            assert "IN PROGRESS" in seen or "ADDED" in seen
            return dict(item)
        time.sleep(0.05)
    raise AssertionError(seen)


def rows(api: Api, job: str) -> list[dict[str, str]]:
    reply = api.http.get(f"/crm/bulk/v8/read/{job}/result")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/zip"
    assert reply.headers["content-disposition"] == f'attachment; filename="{job}.zip"'
    with zipfile.ZipFile(io.BytesIO(reply.content)) as zf:
        assert zf.namelist() == [f"{job}.csv"]
        text = zf.read(f"{job}.csv").decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_a_job_with_criteria_matches_coql(api: Api) -> None:
    job = create(
        api,
        {
            "module": {"api_name": "Leads"},
            "fields": ["Last_Name", "Lead_Status", "Owner", "Annual_Revenue", "Owner.last_name"],
            "criteria": {
                "group_operator": "and",
                "group": [
                    {"field": {"api_name": "Lead_Status"}, "comparator": "equal", "value": "Contacted"},
                    {"api_name": "Annual_Revenue", "comparator": "greater_than", "value": 100000},
                ],
            },
        },
    )
    done = wait(api, job)
    result = done["result"]
    got = rows(api, job)
    assert result["count"] == len(got) and result["more_records"] is False
    assert list(got[0]) == ["id", "Last_Name", "Lead_Status", "Owner", "Annual_Revenue", "Owner.last_name"]
    assert all(r["Lead_Status"] == "Contacted" and float(r["Annual_Revenue"]) > 100000 for r in got)
    assert all(r["Owner"].isdigit() for r in got)  # lookups are ids in the CSV
    expected = api.rows(
        "select Last_Name from Leads where Lead_Status = 'Contacted' and Annual_Revenue > 100000 limit 2000"
    )
    assert sorted(r["id"] for r in got) == sorted(r["id"] for r in expected)


def test_pages_follow_next_page_token(api: Api) -> None:
    # The session sandbox pages bulk results by 1,000 (Zoho: 200,000) to keep the test small.
    first = wait(api, create(api, {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}))
    assert first["result"]["more_records"] is True and first["result"]["per_page"] == 1000
    ids: list[str] = []
    job = first["id"]
    result = first["result"]
    while True:
        ids += [r["id"] for r in rows(api, job)]
        if not result["more_records"]:
            break
        job = create(
            api,
            {
                "module": {"api_name": "Leads"},
                "fields": ["Last_Name"],
                "page_token": result["next_page_token"],
            },
        )
        result = wait(api, job)["result"]
    total = api.rows("select COUNT(id) from Leads where id is not null")[0]["COUNT(id)"]
    assert len(ids) == len(set(ids)) == total


def test_the_next_page_by_its_token_alone_keeps_the_query(api: Api) -> None:
    """Zoho's docs ask for the next page with ``{"query": {"page_token": ...}}`` only: the
    token's job holds the module, fields and criteria."""
    criteria = {"api_name": "Lead_Status", "comparator": "not_equal", "value": "Junk Lead"}
    query = {"module": {"api_name": "Leads"}, "fields": ["Last_Name", "Lead_Status"], "criteria": criteria}
    first = wait(api, create(api, query))
    assert first["result"]["more_records"] is True
    ids = [r["id"] for r in rows(api, first["id"])]
    result = first["result"]
    while result["more_records"]:
        job = create(api, {"page_token": result["next_page_token"]})
        done = wait(api, job)
        result = done["result"]
        assert done["query"]["module"] == {"api_name": "Leads"} and result["page"] > 1
        got = rows(api, job)
        assert list(got[0]) == ["id", "Last_Name", "Lead_Status"]
        assert all(r["Lead_Status"] != "Junk Lead" for r in got)
        ids += [r["id"] for r in got]
    expected = api.rows("select COUNT(id) from Leads where Lead_Status != 'Junk Lead'")[0]["COUNT(id)"]
    assert len(ids) == len(set(ids)) == expected


def test_a_page_token_never_issued_or_of_another_query_is_refused(api: Api) -> None:
    reply = api.http.post("/crm/bulk/v8/read", json={"query": {"page_token": "0123abcd"}})
    assert (reply.status_code, reply.json()["code"]) == (400, "INVALID_DATA")
    first = wait(api, create(api, {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}))
    token = first["result"]["next_page_token"]
    other = {"module": {"api_name": "Leads"}, "fields": ["Email"], "page_token": token}
    reply = api.http.post("/crm/bulk/v8/read", json={"query": other})
    assert (reply.status_code, reply.json()["code"]) == (400, "INVALID_DATA")


def _names(count: int) -> list[str]:
    return [f"n{i:03d}" for i in range(count)]


@pytest.mark.parametrize(
    ("criteria", "code", "limit"),
    [
        (
            {"api_name": "Company", "comparator": "in", "value": _names(201)},
            "VALUE_LIMIT_EXCEEDED_IN_CRITERIA",
            200,
        ),
        (  # each IN under 200, together over it: Zoho counts "per request"
            {
                "group_operator": "or",
                "group": [
                    {"api_name": "Company", "comparator": "in", "value": _names(150)},
                    {"api_name": "City", "comparator": "in", "value": _names(51)},
                ],
            },
            "VALUE_LIMIT_EXCEEDED_IN_CRITERIA",
            200,
        ),
        (
            {
                "group_operator": "and",
                "group": [
                    {"api_name": "Annual_Revenue", "comparator": "greater_than", "value": i}
                    for i in range(26)
                ],
            },
            "CRITERIA_LIMIT_EXCEEDED",
            25,
        ),
    ],
)
def test_criteria_past_zohos_caps_are_refused(
    api: Api, criteria: dict[str, Any], code: str, limit: int
) -> None:
    query = {"module": {"api_name": "Leads"}, "fields": ["Last_Name"], "criteria": criteria}
    reply = api.http.post("/crm/bulk/v8/read", json={"query": query})
    assert reply.status_code == 400
    assert (reply.json()["code"], reply.json()["details"]) == (code, {"max_limit": limit})


def test_criteria_up_to_zohos_caps_are_taken(api: Api) -> None:
    group = [
        {"api_name": "Company", "comparator": "in", "value": _names(150)},
        {"api_name": "City", "comparator": "in", "value": _names(26)},
        *({"api_name": "Annual_Revenue", "comparator": "greater_than", "value": i} for i in range(23)),
    ]  # 25 comparisons, 200 values
    query = {
        "module": {"api_name": "Leads"},
        "fields": ["Last_Name"],
        "criteria": {"group_operator": "or", "group": group},
    }
    wait(api, create(api, query))


@pytest.mark.parametrize(
    ("comparator", "value", "check"),
    [
        ("starts_with", "Mc", lambda v: v.startswith("Mc")),
        ("contains", "son", lambda v: "son" in v.lower()),
        ("in", ["Smith", "Garcia"], lambda v: v in ("Smith", "Garcia")),
        ("not_equal", "${EMPTY}", lambda v: v != ""),
    ],
)
def test_criteria_comparators(api: Api, comparator: str, value: Any, check: Any) -> None:
    job = create(
        api,
        {
            "module": {"api_name": "Contacts"},
            "fields": ["Last_Name"],
            "criteria": {"api_name": "Last_Name", "comparator": comparator, "value": value},
        },
    )
    wait(api, job)
    assert all(check(r["Last_Name"]) for r in rows(api, job))


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (
            {"query": {"module": {"api_name": "Leads"}}},
            {"Content-Type": "text/plain"},
            415,
            "MEDIA_TYPE_NOT_SUPPORTED",
        ),
        ({"query": {"module": {"api_name": "Nope"}}}, {}, 400, "MODULE_NOT_AVAILABLE"),
        ({"query": {"module": {"api_name": "Notes"}}}, {}, 400, "MODULE_NOT_SUPPORTED"),
        ({"query": {"module": {"api_name": "Leads"}, "fields": ["Emial"]}}, {}, 400, "INVALID_DATA"),
        (
            {
                "query": {
                    "module": {"api_name": "Leads"},
                    "criteria": {"api_name": "Last_Name", "comparator": "near"},
                }
            },
            {},
            400,
            "INVALID_CRITERIA",
        ),
        ({}, {}, 400, "MANDATORY_NOT_FOUND"),
    ],
)
def test_bulk_errors(api: Api, body: dict[str, Any], headers: dict[str, str], status: int, code: str) -> None:
    import json

    reply = api.http.post(
        "/crm/bulk/v8/read", content=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    assert (reply.status_code, reply.json()["code"]) == (status, code)


def test_unknown_job(api: Api) -> None:
    reply = api.http.get("/crm/bulk/v8/read/123")
    assert (reply.status_code, reply.json()["code"]) == (404, "RESOURCE_NOT_FOUND")
