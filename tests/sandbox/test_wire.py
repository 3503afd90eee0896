"""The wire format: OAuth, metadata, users, org, records and COQL as Zoho answers them."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from coqlkit.sandbox.server import Sandbox
from tests.sandbox.conftest import Api, token

ID = re.compile(r"\d{19}\Z")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}\Z")


# ---- OAuth --------------------------------------------------------------------------------


def test_refresh_grant_answers_like_zoho(sandbox: Sandbox) -> None:
    reply = httpx.post(
        f"{sandbox.base_url}/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": sandbox.refresh_token,
        },
    )
    body = reply.json()
    assert reply.status_code == 200
    assert set(body) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert body["api_domain"] == sandbox.base_url and body["expires_in"] == 3600


def test_authorization_code_grant_is_single_use(sandbox: Sandbox) -> None:
    consent = httpx.get(
        f"{sandbox.base_url}/oauth/v2/auth",
        params={"client_id": sandbox.client_id, "redirect_uri": "http://localhost:9/cb", "state": "s1"},
    )
    assert consent.status_code == 302
    location = httpx.URL(consent.headers["location"])
    code = location.params["code"]
    assert location.params["state"] == "s1"
    form = {
        "grant_type": "authorization_code",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "code": code,
        "redirect_uri": "http://localhost:9/cb",
    }
    first = httpx.post(f"{sandbox.base_url}/oauth/v2/token", data=form).json()
    assert first["refresh_token"].startswith("1000.") and first["access_token"]
    again = httpx.post(f"{sandbox.base_url}/oauth/v2/token", data=form).json()
    assert again == {"error": "invalid_code"}
    # The refresh token minted by the code works like the demo one.
    refreshed = httpx.post(
        f"{sandbox.base_url}/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "refresh_token": first["refresh_token"],
        },
    ).json()
    assert "access_token" in refreshed


def test_client_credentials_and_multipart_form(sandbox: Sandbox) -> None:
    # Zoho's Node SDK posts its token requests as multipart/form-data.
    reply = httpx.post(
        f"{sandbox.base_url}/oauth/v2/token",
        files={
            "grant_type": (None, "client_credentials"),
            "client_id": (None, sandbox.client_id),
            "client_secret": (None, sandbox.client_secret),
            "scope": (None, "ZohoCRM.coql.READ"),
            "soid": (None, "ZohoCRM.4150868"),
        },
    ).json()
    assert reply["scope"] == "ZohoCRM.coql.READ" and "refresh_token" not in reply


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (
            {"grant_type": "refresh_token", "client_id": "x", "client_secret": "y", "refresh_token": "z"},
            "invalid_client",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "1000.nope"}, "invalid_code"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
def test_token_errors(sandbox: Sandbox, form: dict[str, str], error: str) -> None:
    form.setdefault("client_id", sandbox.client_id)
    form.setdefault("client_secret", sandbox.client_secret)
    assert httpx.post(f"{sandbox.base_url}/oauth/v2/token", data=form).json() == {"error": error}


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "AUTHENTICATION_FAILURE"),
        ("Bearer abc", "AUTHENTICATION_FAILURE"),
        ("Zoho-oauthtoken 1000.nope", "INVALID_TOKEN"),
    ],
)
def test_crm_calls_need_a_live_token(sandbox: Sandbox, header: str | None, code: str) -> None:
    headers = {"Authorization": header} if header else {}
    reply = httpx.get(f"{sandbox.base_url}/crm/v8/org", headers=headers)
    assert reply.status_code == 401
    assert reply.json()["code"] == code and reply.json()["status"] == "error"


def test_access_tokens_expire(tmp_path_factory: pytest.TempPathFactory) -> None:
    with Sandbox(records=200, db=str(tmp_path_factory.mktemp("ttl") / "o.sqlite3"), token_ttl=1) as short:
        headers = {"Authorization": f"Zoho-oauthtoken {token(short.base_url, short)}"}
        assert httpx.get(f"{short.base_url}/crm/v8/org", headers=headers).status_code == 200
        time.sleep(1.2)
        stale = httpx.get(f"{short.base_url}/crm/v8/org", headers=headers)
        assert (stale.status_code, stale.json()["code"]) == (401, "INVALID_TOKEN")


# ---- metadata, users, org, records ------------------------------------------------------------


def test_metadata_is_zohos_own_json(api: Api) -> None:
    modules = api.get("/crm/v8/settings/modules").json()["modules"]
    assert {m["api_name"] for m in modules} >= {"Leads", "Contacts", "Accounts", "Deals", "Quotes", "Users"}
    events = api.get("/crm/v8/settings/modules/Events").json()["modules"][0]
    assert events["module_name"] == "Meetings"
    fields = api.get("/crm/v8/settings/fields", module="Leads").json()["fields"]
    status = next(f for f in fields if f["api_name"] == "Lead_Status")
    assert status["data_type"] == "picklist" and status["pick_list_values"]
    # A query string ending in '&', as Zoho's Node SDK sends it, is fine.
    assert api.http.get("/crm/v8/settings/fields?module=Deals&").status_code == 200
    bad = api.get("/crm/v8/settings/fields", module="Nope")
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_MODULE")
    missing = api.get("/crm/v8/settings/fields")
    assert missing.json()["code"] == "REQUIRED_PARAM_MISSING"


def test_current_user_and_org(api: Api) -> None:
    (user,) = api.get("/crm/v8/users", type="CurrentUser").json()["users"]
    assert ID.match(user["id"]) and "@" in user["email"]
    assert set(user["role"]) == {"name", "id"} and set(user["profile"]) == {"name", "id"}
    everyone = api.get("/crm/v8/users", type="AllUsers").json()
    assert everyone["info"]["count"] >= 10
    (org,) = api.get("/crm/v8/org").json()["org"]
    assert org["zgid"] and org["time_zone"] == "America/Los_Angeles"


def test_record_listing_and_one_record(api: Api) -> None:
    page = api.get("/crm/v8/Leads", fields="Last_Name,Owner,Created_Time", per_page=5, page=2).json()
    assert page["info"] == {
        "per_page": 5,
        "count": 5,
        "page": 2,
        "sort_by": "id",
        "sort_order": "asc",
        "more_records": True,
    }
    first = page["data"][0]
    assert set(first) == {"id", "Last_Name", "Owner", "Created_Time"}
    assert set(first["Owner"]) == {"name", "id"} and DATETIME.match(first["Created_Time"])
    one = api.get(f"/crm/v8/Leads/{first['id']}").json()["data"][0]
    assert one["id"] == first["id"] and one["Last_Name"] == first["Last_Name"] and "Email" in one
    assert api.get("/crm/v8/Leads/1").status_code == 204
    assert api.get("/crm/v8/Leads").json()["code"] == "REQUIRED_PARAM_MISSING"
    assert api.get("/crm/v8/Nope", fields="a").json()["code"] == "INVALID_MODULE"


def test_unknown_path(api: Api) -> None:
    reply = api.get("/crm/v9/whatever/else/here")
    assert (reply.status_code, reply.json()["code"]) == (404, "INVALID_URL_PATTERN")


# ---- COQL ---------------------------------------------------------------------------------


def test_coql_page_shape(api: Api) -> None:
    reply = api.coql(
        "select Last_Name, Owner, Account_Name, Account_Name.Account_Name as acct, Created_Time, Email_Opt_Out "
        "from Contacts where Account_Name is not null order by Created_Time desc limit 3"
    )
    body = reply.json()
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    assert body["info"] == {"count": 3, "more_records": True}
    row = body["data"][0]
    assert set(row) == {"id", "Last_Name", "Owner", "Account_Name", "acct", "Created_Time", "Email_Opt_Out"}
    assert ID.match(row["id"]) and set(row["Account_Name"]) == {"name", "id"}
    assert row["acct"] == row["Account_Name"]["name"]
    assert DATETIME.match(row["Created_Time"]) and isinstance(row["Email_Opt_Out"], bool)
    times = [r["Created_Time"] for r in body["data"]]
    assert times == sorted(times, reverse=True)


def test_coql_body_is_json_whatever_the_content_type(api: Api) -> None:
    # Zoho's SDKs send the COQL body with no Content-Type at all.
    raw = json.dumps({"select_query": "select Last_Name from Leads where id is not null limit 1"})
    reply = api.http.post("/crm/v8/coql", content=raw.encode(), headers={"Content-Type": ""})
    assert reply.status_code == 200 and len(reply.json()["data"]) == 1


def test_no_rows_is_204_with_an_empty_body(api: Api) -> None:
    reply = api.coql("select Last_Name from Leads where Last_Name = 'No Such Person Anywhere'")
    assert (reply.status_code, reply.content) == (204, b"")


def test_coql_needs_post_and_a_query(api: Api) -> None:
    got = api.http.get("/crm/v8/coql")
    assert (got.status_code, got.json()["code"]) == (400, "INVALID_REQUEST_METHOD")
    empty = api.http.post("/crm/v8/coql", json={})
    assert empty.json() == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "select_query"},
        "message": "required field not found",
        "status": "error",
    }


def test_values_are_encoded_as_zoho_does(api: Api) -> None:
    (row,) = api.rows(
        "select Languages_Spoken, Annual_Revenue, No_of_Employees, Customer_Number, Tag "
        "from Leads where Languages_Spoken is not null and Annual_Revenue is not null limit 1"
    )
    assert isinstance(row["Languages_Spoken"], list) and all(
        isinstance(v, str) for v in row["Languages_Spoken"]
    )
    assert isinstance(row["Annual_Revenue"], (int, float))
    assert row["Customer_Number"] is None or isinstance(row["Customer_Number"], str)  # bigint: a string


def test_aggregates_have_no_id_and_zohos_keys(api: Api) -> None:
    rows = api.rows(
        "select Lead_Source, COUNT(id), SUM(Annual_Revenue) as total from Leads where id is not null group by Lead_Source"
    )
    assert all(set(r) == {"Lead_Source", "COUNT(id)", "total"} for r in rows)
    assert (
        sum(r["COUNT(id)"] for r in rows)
        == api.rows("select COUNT(id) from Leads where id is not null")[0]["COUNT(id)"]
    )


def test_include_meta_fields(api: Api) -> None:
    body = api.coql(
        "select Last_Name, Lead_Status from Leads where id is not null limit 1", include_meta=["fields"]
    ).json()
    assert body["fields"]["Lead_Status"]["data_type"] == "picklist"
    bad = api.coql("select Last_Name from Leads where id is not null", include_meta=["layouts"]).json()
    assert bad["code"] == "INVALID_DATA" and bad["details"]["supported_values"] == ["fields"]


def test_polymorphic_and_user_paths(api: Api) -> None:
    rows = api.rows(
        "select Subject, What_Id, 'What_Id->Accounts.Account_Name', Owner.profile.name, Owner.role.id "
        "from Tasks where What_Id is not null limit 50"
    )
    assert rows and all(set(r["What_Id"]) == {"id"} for r in rows)
    assert all(isinstance(r["Owner.profile.name"], str) and ID.match(r["Owner.role.id"]) for r in rows)
    named = [r for r in rows if r["What_Id->Accounts.Account_Name"] is not None]
    assert named and len(named) < len(rows)  # only the tasks about an account have one


def test_not_in_a_subquery_with_empty_values_still_matches(api: Api) -> None:
    # Most accounts have no parent: the subquery's nulls must not empty `not in`.
    query = (
        "select Last_Name from Contacts where Account_Name not in "
        "(select Parent_Account from Accounts where Parent_Account is null or Parent_Account is not null)"
    )
    assert len(api.rows(query)) > 0
