"""The sandbox's HTTP routes: Zoho CRM's v8 paths, bodies and errors, over SQLite."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from coqlkit.catalog.limits import coql_credits
from coqlkit.sandbox import bulk, coql, records
from coqlkit.sandbox.config import CLIENT_ID
from coqlkit.sandbox.errors import ZohoError
from coqlkit.sandbox.gate import INTERNAL_ERROR, Gate
from coqlkit.sandbox.state import TOKENS_THROTTLED, SandboxState

__all__ = ["build_app"]

Handler = Callable[[Request], Awaitable[Response]]
CREDITS_HEADER = "X-API-CREDITS-REMAINING"
CHARGED_HEADER = "X-API-CREDITS-CHARGED"


def build_app(state: SandboxState) -> Starlette:
    """A Starlette app serving ``state``'s org, behind the gate (latency, faults, 429s, log)."""

    def crm(
        handler: Callable[[Request], Awaitable[tuple[Any, int]]],
        credits: Callable[[Request], int] | None = None,
    ) -> Handler:
        """Authenticate, run, charge credits and answer in Zoho's shapes."""

        async def endpoint(request: Request) -> Response:
            try:
                state.authenticate(request.headers.get("authorization"))
                body, charge = await handler(request)
                remaining = state.charge(charge)
            except ZohoError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
            except ClientDisconnect:  # the client gave up (a cancelled page): nobody to answer
                return Response(status_code=499)
            headers = {CHARGED_HEADER: str(charge)}
            if remaining is not None:
                headers[CREDITS_HEADER] = str(remaining)
            if isinstance(body, Response):
                body.headers.update(headers)
                return body
            if body is None:
                return Response(status_code=204, headers=headers)
            return JSONResponse(body, status_code=200, headers=headers)

        return endpoint

    # ---- OAuth ----------------------------------------------------------------------------

    async def token(request: Request) -> Response:
        params = dict(request.query_params)
        params.update({k: str(v) for k, v in (await request.form()).items()})
        grant = params.get("grant_type")
        try:
            state.check_client(params.get("client_id"), params.get("client_secret"))
            refresh = None  # a new refresh token, for the answer (the code grant)
            owner: str | None = None  # the refresh token the access token belongs to
            if grant == "refresh_token":
                owner = params.get("refresh_token") or ""
                if owner not in state.refresh_tokens:
                    raise ZohoError("invalid_code", "invalid refresh token", status=200)
                if not state.grant(owner):  # ten in ten minutes, as Zoho's
                    return JSONResponse(TOKENS_THROTTLED, status_code=200)
            elif grant == "authorization_code":
                refresh = owner = state.use_code(params.get("code"))
            elif grant != "client_credentials":
                raise ZohoError("unsupported_grant_type", "unsupported grant type", status=200)
        except ZohoError as exc:
            return JSONResponse({"error": exc.code}, status_code=200)
        scope = (
            params.get("scope")
            or "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.coql.READ,ZohoCRM.bulk.READ"
        )
        access, ttl = state.issue(scope, owner)
        body: dict[str, Any] = {"access_token": access}
        if refresh is not None:
            body["refresh_token"] = refresh
        # Where the client reached us (the sandbox may listen on every interface: 0.0.0.0).
        here = str(request.base_url).rstrip("/")
        body.update(scope=scope, api_domain=here, token_type="Bearer", expires_in=ttl)
        return JSONResponse(body)

    async def authorize(request: Request) -> Response:
        """Self-client consent, granted at once: a one-time code, by redirect or in JSON."""
        params = request.query_params
        if params.get("client_id") != CLIENT_ID:  # the browser step knows the client id, not the secret
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        code = state.issue_code()
        redirect = params.get("redirect_uri")
        if redirect:
            query = {"code": code, "location": "us", "accounts-server": str(request.base_url).rstrip("/")}
            if params.get("state"):
                query["state"] = params["state"]
            return RedirectResponse(
                f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(query)}", status_code=302
            )
        return JSONResponse({"code": code})

    async def revoke(request: Request) -> Response:
        token_value = request.query_params.get("token") or str((await request.form()).get("token") or "")
        state.revoke(token_value)
        return JSONResponse({"status": "success"})

    # ---- metadata and users ---------------------------------------------------------------

    async def modules(request: Request) -> tuple[Any, int]:
        return state.metadata.modules, 1

    async def module(request: Request) -> tuple[Any, int]:
        name = request.path_params["name"]
        for item in state.metadata.modules.get("modules") or ():
            if name in (item.get("api_name"), str(item.get("id"))):
                return {"modules": [item]}, 1
        raise ZohoError(
            "INVALID_MODULE", "the module name given seems to be invalid", {"resource_path_index": 0}
        )

    async def fields(request: Request) -> tuple[Any, int]:
        name = request.query_params.get("module")
        if not name:
            raise ZohoError(
                "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "module"}
            )
        body = state.metadata.fields.get(name)
        if body is None:
            raise ZohoError(
                "INVALID_MODULE", "the module name given seems to be invalid", {"param": "module"}
            )
        return body, 1

    async def users(request: Request) -> tuple[Any, int]:
        return await run_in_threadpool(records.users, state, dict(request.query_params)), 1

    async def org(request: Request) -> tuple[Any, int]:
        return records.org(state), 1

    # ---- records and COQL -------------------------------------------------------------------

    async def list_records(request: Request) -> tuple[Any, int]:
        module_name = request.path_params["module"]
        return await run_in_threadpool(
            records.list_records, state, module_name, dict(request.query_params)
        ), 1

    async def one_record(request: Request) -> tuple[Any, int]:
        module_name, record_id = request.path_params["module"], request.path_params["id"]
        return await run_in_threadpool(records.one_record, state, module_name, record_id), 1

    async def run_coql(request: Request) -> tuple[Any, int]:
        raw = await request.body()  # JSON whatever the Content-Type says (Zoho's SDKs send none)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise ZohoError("INVALID_DATA", "the request body is not valid JSON", {}) from None
        if not isinstance(body, dict) or "select_query" not in body:
            raise ZohoError("MANDATORY_NOT_FOUND", "required field not found", {"api_name": "select_query"})
        request.scope["coqlkit.coql"] = str(body["select_query"])  # for the request log
        result, limit = await run_in_threadpool(coql.run, state, body)
        answer = None if result is None else Response(result, media_type="application/json")
        return answer, coql_credits(limit)

    async def coql_get(request: Request) -> Response:
        error = ZohoError("INVALID_REQUEST_METHOD", "The http request method type is not a valid one")
        return JSONResponse(error.body(), status_code=error.status)

    # ---- bulk read --------------------------------------------------------------------------

    async def bulk_create(request: Request) -> tuple[Any, int]:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise ZohoError("MEDIA_TYPE_NOT_SUPPORTED", "The Media type is not supported", {})
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise ZohoError("INVALID_DATA", "the request body is not valid JSON", {}) from None
        return bulk.create(state, body), bulk.CREATE_CREDITS

    async def bulk_status(request: Request) -> tuple[Any, int]:
        return await run_in_threadpool(bulk.status, state, request.path_params["job"]), 1

    async def bulk_result(request: Request) -> tuple[Any, int]:
        return await run_in_threadpool(bulk.download, state, request.path_params["job"]), 1

    async def not_found(request: Request) -> Response:
        error = ZohoError("INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")
        return JSONResponse(error.body(), status_code=error.status)

    routes = [
        Route("/oauth/v2/token", token, methods=["POST"]),
        Route("/oauth/v2/auth", authorize, methods=["GET", "POST"]),
        Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
        Route("/crm/v8/settings/modules", crm(modules), methods=["GET"]),
        Route("/crm/v8/settings/modules/{name}", crm(module), methods=["GET"]),
        Route("/crm/v8/settings/fields", crm(fields), methods=["GET"]),
        Route("/crm/v8/users", crm(users), methods=["GET"]),
        Route("/crm/v8/org", crm(org), methods=["GET"]),
        Route("/crm/v8/coql", crm(run_coql), methods=["POST"]),
        Route("/crm/v8/coql", coql_get, methods=["GET", "PUT", "PATCH", "DELETE"]),
        Route("/crm/bulk/v8/read", crm(bulk_create), methods=["POST"]),
        Route("/crm/bulk/v8/read/{job}", crm(bulk_status), methods=["GET"]),
        Route("/crm/bulk/v8/read/{job}/result", crm(bulk_result), methods=["GET"]),
        Route("/crm/v8/{module}", crm(list_records), methods=["GET"]),
        Route("/crm/v8/{module}/{id}", crm(one_record), methods=["GET"]),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ]
    # Starlette's own answer to an unexpected exception is a plain-text 500, which Zoho's
    # SDKs cannot read: answer in Zoho's envelope (the gate logs the exception).
    app = Starlette(routes=routes, exception_handlers={Exception: internal_error})
    return Gate(app, state)  # type: ignore[return-value]


async def internal_error(request: Request, exc: Exception) -> Response:
    """Zoho's 500 ``INTERNAL_ERROR``, for a route that failed unexpectedly."""
    return JSONResponse(INTERNAL_ERROR.body(), status_code=INTERNAL_ERROR.status)
