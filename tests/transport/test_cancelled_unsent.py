"""A call cancelled before httpx wrote a byte of it is not counted as charged (chaos review
7, #6), against the sandbox over real HTTP. The client counts a call as spent when it hands
the request to httpx, and took it back only when httpx's trace said the request was begun
and not finished: a call cancelled earlier (waiting for a free connection of the pool)
had no trace at all, and was counted, though the sandbox never saw it (a read stopped by
the day's credits counted 3 to 12 credits more than the org was charged)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from coqlkit.sandbox.server import Sandbox
from coqlkit.transport import AsyncZohoClient, FileTokenStore
from tests.transport.conftest import settings_for


def crm(sandbox: Sandbox) -> list[dict[str, Any]]:
    assert sandbox.state is not None
    return [e for e in sandbox.state.requests if e["path"].startswith("/crm/")]


def test_a_call_cancelled_while_waiting_for_a_connection_costs_nothing(
    org_db: str, store: FileTokenStore
) -> None:
    with Sandbox(records=400, db=org_db) as sandbox:
        state = sandbox.state
        assert state is not None

        async def main() -> tuple[int, int]:
            async with AsyncZohoClient(settings_for(sandbox, store, COQLKIT_CONCURRENCY=1)) as zoho:
                await zoho.org()  # a token, and one call charged
                # The pool's one connection taken by an answer not yet read to its end: it
                # stands for a connection the pool has not given back yet (the client's own
                # slots let the next call out meanwhile).
                async with zoho._http.stream("GET", f"{zoho.api_base}/crm/v8/org"):
                    call = asyncio.ensure_future(zoho.org())
                    await asyncio.sleep(0.3)  # sent to httpx, waiting for the connection
                    assert not call.done() and zoho.sends == 2
                    call.cancel()
                    await asyncio.gather(call, return_exceptions=True)
                return zoho.credits_used, zoho.unanswered_credits

        used, unanswered = asyncio.run(main())
        org = [e for e in state.requests if e["path"] == "/crm/v8/org"]
        assert len(org) == 2 and state.credits_used == 2  # the first call, and the stream's
        assert (used, unanswered) == (1, 0)  # the stream went round the client's count


class _CancelAt(httpx.AsyncHTTPTransport):
    """httpx's own transport, which cancels the calling task when its trace says ``event``
    began (once): the cancellation lands at the first await after it, as a reader's does
    when it stops."""

    def __init__(self, event: str) -> None:
        super().__init__()
        self.event, self.armed = event, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        traced = request.extensions.get("trace")
        if self.armed and traced is not None:
            task = asyncio.current_task()
            assert task is not None

            async def trace(event: str, info: dict[str, Any]) -> None:
                await traced(event, info)
                if self.armed and event.endswith(self.event):
                    self.armed = False
                    task.cancel()

            request.extensions = {**request.extensions, "trace": trace}
        return await super().handle_async_request(request)


def test_a_call_cancelled_as_its_body_was_written_is_counted_as_zoho_charges_it(
    org_db: str, store: FileTokenStore
) -> None:
    """The body handed to the socket, the cancellation raised at the await after it: httpx's
    trace says the body's sending failed, yet the whole request went, and Zoho ran and
    charged it. It was taken as never sent (the client counted 3 credits fewer than the
    sandbox charged, for a page cancelled so)."""
    with Sandbox(records=400, db=org_db) as sandbox:
        state = sandbox.state
        assert state is not None
        transport = _CancelAt(".send_request_body.started")

        async def main() -> int:
            async with AsyncZohoClient(settings_for(sandbox, store), transport=transport) as zoho:
                await zoho.org()
                transport.armed = True
                call = asyncio.ensure_future(
                    zoho.coql("select Last_Name from Leads where id is not null limit 2000")
                )
                await asyncio.gather(call, return_exceptions=True)
                assert call.cancelled()
                for _ in range(50):  # the sandbox runs it all the same
                    if len(crm(sandbox)) == 2:
                        break
                    await asyncio.sleep(0.05)
                return zoho.credits_used

        used = asyncio.run(main())
        assert [(e["path"], e["credits"]) for e in crm(sandbox)] == [
            ("/crm/v8/org", 1),
            ("/crm/v8/coql", 3),
        ]
        assert used == state.credits_used == 4
