"""Zoho's own Python SDK (``zohocrmsdk8-0``) against the sandbox, configured as a user would
configure it for any Zoho data centre: its own ``DataCenter.Environment`` (API base, accounts
token URL, upload base), an ``OAuthToken`` with the refresh token, a ``FileStore`` and a
``Logger`` under a temporary directory. The SDK must not be able to tell the sandbox from Zoho
(reference §12, §15): every answer is parsed into its own classes, and compared here with what
plain httpx gets from the sandbox for the same request.

The SDK keeps process-wide state (``Initializer``): it is initialised once for this module and
reset afterwards. Every HTTP request it makes goes through ``requests.Session.send``, which is
wrapped (not changed) so that the tests can see what went over the wire.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import platform
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store import FileStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import ParameterMap, bulk_read, coql, fields
from zohocrmsdk.src.com.zoho.crm.api.dc import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.modules import MinifiedModule
from zohocrmsdk.src.com.zoho.crm.api.util import APIResponse, Choice, Constants

from coqlkit.sandbox.server import Sandbox
from tests.sandbox.conftest import Api

# ---- the SDK, initialised once for the module ----------------------------------------------


@dataclass
class Call:
    """One HTTP exchange the SDK made (through ``requests``)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | str | None
    response: requests.Response

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class Sdk:
    token: OAuthToken
    store: Path
    log: Path
    calls: list[Call] = field(default_factory=list)
    # The sandbox's request-log entries written while the SDK initialised itself.
    startup: list[dict[str, Any]] = field(default_factory=list)


def new_entries(
    sandbox: Sandbox, before: list[dict[str, Any]], expect: int, calls: list[Call]
) -> list[dict[str, Any]]:
    """The sandbox's request-log entries not in ``before`` (a snapshot of the log) that are
    the SDK's ``calls`` (a call another test left in flight on the shared sandbox may be
    logged meanwhile: it is not the SDK's).

    The sandbox logs a request once its response has gone out, so the client may read the
    answer a moment before the entry is there: wait (briefly) for ``expect`` entries.
    """
    assert sandbox.state is not None
    seen = {id(entry) for entry in before}
    deadline = time.monotonic() + 2
    while True:
        sent = {(c.method, urlsplit(c.url).path) for c in calls}
        entries = [
            entry
            for entry in list(sandbox.state.requests)
            if id(entry) not in seen and (entry["method"], entry["path"]) in sent
        ]
        if len(entries) >= expect or time.monotonic() > deadline:
            return entries
        time.sleep(0.005)


def log_snapshot(sandbox: Sandbox) -> list[dict[str, Any]]:
    assert sandbox.state is not None
    return list(sandbox.state.requests)


@pytest.fixture(scope="module")
def sdk(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sdk]:
    home = tmp_path_factory.mktemp("zoho-sdk")
    sdk_logger = logging.getLogger("SDKLogger")
    handlers, level = list(sdk_logger.handlers), sdk_logger.level
    calls: list[Call] = []
    original_send = requests.Session.send

    def send(
        session: requests.Session, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        response = original_send(session, request, **kwargs)
        calls.append(
            Call(str(request.method), str(request.url), dict(request.headers), request.body, response)
        )
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "send", send)
        # The SDK's own way to reach a non-preset data centre: a custom Environment.
        environment = DataCenter.Environment(
            sandbox.base_url, f"{sandbox.base_url}/oauth/v2/token", sandbox.base_url
        )
        token = OAuthToken(
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            refresh_token=sandbox.refresh_token,
        )  # find_user=True, the default: GET /crm/v8/users?type=CurrentUser and /crm/v8/org at start-up
        state = Sdk(token, home / "sdk_tokens.csv", home / "sdk.log", calls)
        before = log_snapshot(sandbox)
        try:
            Initializer.initialize(
                environment=environment,
                token=token,
                store=FileStore(str(state.store)),
                resource_path=str(home),
                logger=Logger.get_instance(Logger.Levels.INFO, str(state.log)),
            )
            state.startup = new_entries(sandbox, before, expect=3, calls=calls)
            yield state
        finally:
            # Leave no SDK state behind for other modules: no initializer, no open log file.
            Initializer.initializer = None
            Initializer.LOCAL.init = None
            for handler in list(sdk_logger.handlers):
                if handler not in handlers:
                    sdk_logger.removeHandler(handler)
                    handler.close()
            sdk_logger.setLevel(level)


def stored_row(sdk: Sdk) -> dict[str, str]:
    """The FileStore's one row (a CSV file: id, user_name, ..., access_token, ..., api_domain)."""
    with sdk.store.open(newline="") as stored:
        (row,) = list(csv.DictReader(stored))
    return dict(row)


def body(select_query: str) -> coql.BodyWrapper:
    wrapper = coql.BodyWrapper()
    wrapper.set_select_query(select_query)
    return wrapper


def run_coql(select_query: str) -> APIResponse:
    response = coql.CoqlOperations().get_records(body(select_query))
    assert response is not None, "the SDK could not read the sandbox's answer (see its log)"
    return response


def choice(value: Any) -> Any:
    return value.get_value() if isinstance(value, Choice) else value


# ---- 1. start-up and a COQL query ----------------------------------------------------------


def test_sdk_starts_up_against_the_sandbox(sdk: Sdk, sandbox: Sandbox, api: Api) -> None:
    # The token exchange, then the two calls find_user makes, all answered without error.
    startup = [(e["method"], e["path"], e["query"], e["status"]) for e in sdk.startup]
    assert startup == [
        ("POST", "/oauth/v2/token", "", 200),
        ("GET", "/crm/v8/users", "type=CurrentUser", 200),
        ("GET", "/crm/v8/org", "", 200),
    ]
    # The SDK swallows errors in those two calls; the user signature shows they were read.
    user = api.get("/crm/v8/users", type="CurrentUser").json()["users"][0]
    org = api.get("/crm/v8/org").json()["org"][0]
    signature = sdk.token.get_user_signature()
    assert signature is not None and signature.get_name() == f"{user['email']}:{org['zgid']}"
    # Persisted in the FileStore under tmp_path, with the sandbox as api_domain.
    row = stored_row(sdk)
    assert row["user_name"] == signature.get_name() and row["refresh_token"] == sandbox.refresh_token
    assert sandbox.state is not None and row["access_token"] in sandbox.state.tokens
    assert row["api_domain"] == sandbox.base_url


def test_coql_records_match_the_raw_answer(sdk: Sdk, api: Api) -> None:
    query = (
        "select Last_Name, Email, Account_Name, Owner, Created_Time from Contacts "
        "where Account_Name is not null order by id limit 5"
    )
    response = run_coql(query)
    assert response.get_status_code() == 200
    wrapper = response.get_object()
    assert isinstance(wrapper, coql.ResponseWrapper)
    raw = api.coql(query).json()
    records = wrapper.get_data()
    assert len(records) == len(raw["data"]) == 5
    for record, expected in zip(records, raw["data"], strict=True):
        assert isinstance(record.get_id(), int) and str(record.get_id()) == expected["id"]
        assert record.get_key_value("Last_Name") == expected["Last_Name"]
        assert record.get_key_value("Email") == expected["Email"]
        for lookup in ("Account_Name", "Owner"):
            value = record.get_key_value(lookup)
            assert (value["id"], value["name"]) == (expected[lookup]["id"], expected[lookup]["name"])
        created = record.get_key_value("Created_Time")
        assert isinstance(created, dt.datetime) and created.tzinfo is not None
        assert created == dt.datetime.fromisoformat(expected["Created_Time"])
    info = wrapper.get_info()
    assert info.get_more_records() is raw["info"]["more_records"] is True
    assert info.get_count() == raw["info"]["count"] == 5


def test_coql_last_page_says_no_more_records(sdk: Sdk, api: Api) -> None:
    total = api.rows("select COUNT(id) from Contacts where Last_Name like 'Sa%'")[0]["COUNT(id)"]
    assert 0 < total < 2000
    wrapper = run_coql("select Last_Name from Contacts where Last_Name like 'Sa%' limit 2000").get_object()
    assert isinstance(wrapper, coql.ResponseWrapper)
    assert len(wrapper.get_data()) == wrapper.get_info().get_count() == total
    assert wrapper.get_info().get_more_records() is False


# ---- 2. a COQL error ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("select No_Such_Field from Leads where id is not null", "INVALID_QUERY"),
        ("select Last_Name from Leads", "SYNTAX_ERROR"),
    ],
    ids=["unknown-field", "no-where-clause"],
)
def test_coql_errors_are_the_sdks_api_exception(sdk: Sdk, api: Api, query: str, code: str) -> None:
    response = run_coql(query)
    error = response.get_object()
    assert isinstance(error, coql.APIException)
    raw = api.coql(query)
    assert response.get_status_code() == raw.status_code == 400
    expected = raw.json()
    assert choice(error.get_code()) == expected["code"] == code
    assert choice(error.get_status()) == "error"
    assert choice(error.get_message()) == expected["message"]
    assert error.get_details() == expected["details"] and error.get_details()


# ---- 3. field metadata ----------------------------------------------------------------------


@pytest.mark.parametrize("module", ["Leads", "Contacts"])
def test_field_metadata_matches_the_raw_json(sdk: Sdk, api: Api, module: str) -> None:
    params = ParameterMap()
    params.add(fields.GetFieldsParam.module, module)
    response = fields.FieldsOperations().get_fields(params)
    assert response is not None and response.get_status_code() == 200
    wrapper = response.get_object()
    assert isinstance(wrapper, fields.ResponseWrapper)
    raw = api.get("/crm/v8/settings/fields", module=module).json()["fields"]
    got = wrapper.get_fields()
    assert [f.get_api_name() for f in got] == [f["api_name"] for f in raw]
    picklists = 0
    for sdk_field, expected in zip(got, raw, strict=True):
        name = expected["api_name"]
        assert str(sdk_field.get_id()) == str(expected["id"]), name
        assert sdk_field.get_data_type() == expected["data_type"], name
        assert sdk_field.get_json_type() == expected.get("json_type"), name
        values = [
            (v.get_display_value(), v.get_actual_value()) for v in sdk_field.get_pick_list_values() or ()
        ]
        raw_values = [(v["display_value"], v["actual_value"]) for v in expected.get("pick_list_values") or ()]
        assert values == raw_values, name
        picklists += bool(values)
        if (expected.get("lookup") or {}).get("module"):
            assert (
                sdk_field.get_lookup().get_module().get_api_name() == expected["lookup"]["module"]["api_name"]
            )
    assert picklists >= 2  # the comparison above did compare picklist values


# ---- 4. bulk read ---------------------------------------------------------------------------

BULK_FIELDS = ["Last_Name", "Email", "Account_Name", "Created_Time"]


def bulk_job_request() -> bulk_read.BodyWrapper:
    module = MinifiedModule()
    module.set_api_name("Contacts")
    last_name = fields.MinifiedField()
    last_name.set_api_name("Last_Name")
    criteria = bulk_read.Criteria()
    criteria.set_field(last_name)
    criteria.set_comparator(Choice("starts_with"))
    criteria.set_value("S")
    query = bulk_read.Query()
    query.set_module(module)
    query.set_fields(list(BULK_FIELDS))
    query.set_criteria(criteria)
    request = bulk_read.BodyWrapper()
    request.set_query(query)
    request.set_file_type("csv")
    return request


def test_bulk_read_job_with_the_sdk(sdk: Sdk, api: Api) -> None:
    operations = bulk_read.BulkReadOperations()
    first = len(sdk.calls)
    created = operations.create_bulk_read_job(bulk_job_request())
    (sent,) = sdk.calls[first:]
    assert (sent.method, sent.path, sent.headers["Content-Type"]) == (
        "POST",
        "/crm/bulk/v8/read",
        "application/json",
    )
    assert json.loads(sent.body or b"null") == {
        "file_type": "csv",
        "query": {
            "module": {"api_name": "Contacts"},
            "fields": BULK_FIELDS,
            "criteria": {"field": {"api_name": "Last_Name"}, "comparator": "starts_with", "value": "S"},
        },
    }
    assert created is not None and created.get_status_code() == 201
    action = created.get_object()
    assert isinstance(action, bulk_read.ActionWrapper)
    (added,) = action.get_data()
    assert isinstance(added, bulk_read.SuccessResponse)
    assert (choice(added.get_status()), choice(added.get_code())) == ("success", "ADDED_SUCCESSFULLY")
    details = added.get_details()
    assert details["operation"] == "read" and choice(details["state"]) == "ADDED"
    job_id = int(details["id"])

    states: list[str] = []
    deadline = time.monotonic() + 10
    while True:
        reply = operations.get_bulk_read_job_details(job_id)
        assert reply is not None and reply.get_status_code() == 200
        wrapper = reply.get_object()
        assert isinstance(wrapper, bulk_read.ResponseWrapper)
        (job,) = wrapper.get_data()
        assert isinstance(job, bulk_read.JobDetail) and job.get_id() == str(job_id)
        states.append(choice(job.get_state()))
        if states[-1] == "COMPLETED" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert states[-1] == "COMPLETED", states
    assert set(states) <= {"ADDED", "QUEUED", "IN PROGRESS", "COMPLETED"}
    assert job.get_query().get_module().get_api_name() == "Contacts"
    result = job.get_result()
    raw_job = api.get(f"/crm/bulk/v8/read/{job_id}").json()["data"][0]
    assert result.get_count() == raw_job["result"]["count"] > 0
    assert result.get_more_records() is False and result.get_page() == 1
    assert result.get_download_url() == raw_job["result"]["download_url"]

    download = operations.download_result(job_id)
    assert download is not None and download.get_status_code() == 200
    file_wrapper = download.get_object()
    assert isinstance(file_wrapper, bulk_read.FileBodyWrapper)
    stream = file_wrapper.get_file()
    assert stream.get_name() == f"{job_id}.zip"  # read from Content-Disposition
    archive = b"".join(stream.get_stream())
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        assert zipped.namelist() == [f"{job_id}.csv"]
        text = zipped.read(f"{job_id}.csv").decode("utf-8")
    assert archive == api.get(f"/crm/bulk/v8/read/{job_id}/result").content
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert sorted(header) == sorted(["id", *BULK_FIELDS])
    assert len(rows) == result.get_count()
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert all(r["Last_Name"].startswith("S") for r in records)

    # The ids are Contacts' ids: COQL finds the same records with the same values.
    count = api.rows("select COUNT(id) from Contacts where Last_Name like 'S%'")[0]["COUNT(id)"]
    assert count == result.get_count()
    sample = records[:: max(1, len(records) // 5)][:5]
    found = api.rows(
        "select Last_Name, Email, Account_Name from Contacts where id in ({})".format(
            ", ".join(r["id"] for r in sample)
        )
    )
    by_id = {r["id"]: r for r in found}
    assert set(by_id) == {r["id"] for r in sample}
    for r in sample:
        assert by_id[r["id"]]["Last_Name"] == r["Last_Name"]
        assert (by_id[r["id"]]["Email"] or "") == r["Email"]
        account = by_id[r["id"]]["Account_Name"]
        assert (account["id"] if account else "") == r["Account_Name"]


# ---- 5. api_domain ----------------------------------------------------------------------------


def test_the_sdk_adopts_api_domain_and_stays_on_the_sandbox(sdk: Sdk, sandbox: Sandbox) -> None:
    # The pitfall (reference §12): the SDK maps a known Zoho domain to that data centre...
    real = DataCenter.get("https://www.zohoapis.com")
    assert real is not None and real.url == "https://www.zohoapis.com"
    # ...so the sandbox must name itself, which the SDK maps to no preset.
    assert DataCenter.get(sandbox.base_url) is None

    # Let the stored access token run out (the store, not the OAuthToken object, is what the
    # SDK reads before each call): the next call refreshes it first.
    store = Initializer.get_initializer().store
    stored = store.find_token_by_id(sdk.token.get_id())
    stored.set_expires_in(str(int(time.time() * 1000)))
    store.save_token(stored)
    first = len(sdk.calls)
    before = log_snapshot(sandbox)
    for _ in range(2):  # the call that refreshes, and one made after adopting the api_domain
        reply = run_coql("select Last_Name from Leads where id is not null limit 1")
        assert isinstance(reply.get_object(), coql.ResponseWrapper)
    calls = sdk.calls[first:]
    assert [(c.method, c.path) for c in calls] == [
        ("POST", "/oauth/v2/token"),
        ("POST", "/crm/v8/coql"),
        ("POST", "/crm/v8/coql"),
    ]
    refreshed = calls[0].response.json()
    assert refreshed["api_domain"] == sandbox.base_url
    row = stored_row(sdk)
    assert row["api_domain"] == sandbox.base_url  # adopted from the token response
    assert row["access_token"] == refreshed["access_token"]
    assert calls[2].headers["Authorization"] == f"Zoho-oauthtoken {refreshed['access_token']}"
    initializer = Initializer.get_initializer()
    assert initializer is not None and initializer.environment.url == sandbox.base_url
    # Every request the SDK has made in this module went to the sandbox, and the sandbox saw them.
    assert all(c.url.startswith(f"{sandbox.base_url}/") for c in sdk.calls)
    logged = [
        (e["method"], e["path"], e["status"]) for e in new_entries(sandbox, before, expect=3, calls=sdk.calls)
    ]
    assert logged == [
        ("POST", "/oauth/v2/token", 200),
        ("POST", "/crm/v8/coql", 200),
        ("POST", "/crm/v8/coql", 200),
    ]


# ---- what the SDK puts on the wire (reference §15) -----------------------------------------------


def test_what_the_sdk_sends(sdk: Sdk, sandbox: Sandbox) -> None:
    # The token exchange: a form-urlencoded POST, nothing in the query string.
    exchange = next(c for c in sdk.calls if c.path == "/oauth/v2/token")
    assert exchange.method == "POST" and urlsplit(exchange.url).query == ""
    assert exchange.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sorted(k for k, _ in parse_qsl(str(exchange.body))) == [
        "client_id",
        "client_secret",
        "grant_type",
        "refresh_token",
    ]
    # A COQL call: JSON with no Content-Type at all, the SDK's own header, the token.
    first = len(sdk.calls)
    query = "select Last_Name from Leads where id is not null limit 1"
    run_coql(query)
    (sent,) = sdk.calls[first:]
    assert (sent.method, sent.url) == ("POST", f"{sandbox.base_url}/crm/v8/coql")
    assert "Content-Type" not in sent.headers
    assert json.loads(sent.body or b"null") == {"select_query": query}
    assert sent.headers["Authorization"].startswith("Zoho-oauthtoken ")
    sdk_header = f"{platform.system()}/{platform.release()}/python-8.0/{platform.python_version()}"
    assert sent.headers["X-ZOHO-SDK"] == f"{sdk_header}:{Constants.SDK_VERSION}"
    # The SDK logs to the file it was given, with the token masked, and writes nothing to the cwd.
    text = sdk.log.read_text(encoding="utf-8")
    assert "/crm/v8/coql" in text and sent.headers["Authorization"] not in text
    assert not (Path.cwd() / "sdk_tokens.txt").exists()


def test_no_rows_is_a_204_the_sdk_reads_as_no_object(sdk: Sdk) -> None:
    response = run_coql("select Last_Name from Leads where Last_Name = 'No Such Person Anywhere'")
    assert response.get_status_code() == 204 and response.get_object() is None
