"""A bulk-read download that is not Zoho's zipped CSV (review 9, wire #1): a proxy's or
login page answered 200 in its place, or a body cut off. It was a bare ``BadZipFile`` from
the CSV reader (the CLI: "internal error ... a bug in coqlkit", exit 70), not tried again,
and nothing said the job's 50 credits were spent and its result kept for a day. Now it is a
:class:`TransportError` (``UNREADABLE_ANSWER``), tried again after a pause as any fault on
the way, and when it keeps coming the error says so. Against the sandbox over real HTTP,
the answers replaced on their way back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from coqlkit.errors import TransportError
from coqlkit.execute import bulk as bulk_module
from tests.execute._support import Call, Recorder, crm_log, ids_of, oracle_ids, org_db, running
from tests.execute.test_jobs_bulk_review8 import CREATE, logged, read_all

LOGIN_PAGE = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"


def pages_for_downloads(times: int, body: bytes = LOGIN_PAGE) -> Any:
    """A reply hook: the first ``times`` downloads answer 200 with ``body`` (text/html)."""
    replaced: list[Call] = []

    def reply(call: Call, response: httpx.Response) -> httpx.Response:
        if not call.path.endswith("/result") or len(replaced) >= times:
            return response
        replaced.append(call)
        return httpx.Response(200, content=body, headers={"content-type": "text/html"})

    return reply


def test_a_login_page_for_the_download_is_tried_again_and_the_rows_come() -> None:
    with running(bulk_seconds=0.1) as sandbox:
        batches, stats = read_all(sandbox, Recorder(reply=pages_for_downloads(1)), bulk_job_seconds=0.1)
        downloads = [e for e in logged(sandbox, CREATE + "/") if e[1].endswith("/result")]
        charged = sum(int(e["credits"]) for e in crm_log(sandbox))
    assert ids_of(batches) == oracle_ids(org_db())
    assert len(downloads) == 2  # the page, then the zip
    assert stats.credits == charged  # both downloads counted, as the org charged them


def test_a_download_that_keeps_being_a_page_says_what_it_is_and_that_the_result_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk_module, "DOWNLOAD_ROUNDS", 1)
    with running(bulk_seconds=0.1) as sandbox:
        with pytest.raises(TransportError) as info:
            read_all(sandbox, Recorder(reply=pages_for_downloads(100)), bulk_job_seconds=0.1)
        (job,) = {path.split("/")[5] for _, path, _ in logged(sandbox, CREATE + "/")}
        downloads = [e for e in logged(sandbox, CREATE + "/") if e[1].endswith("/result")]
    assert len(downloads) == 2  # once, and once more after a pause (DOWNLOAD_ROUNDS = 1)
    error = info.value
    assert error.code == "UNREADABLE_ANSWER" and error.status == 200
    message = str(error)
    assert message.startswith(
        f"the download of the bulk-read job {job} (GET /crm/bulk/v8/read/{job}/result) is a page of "
        f"HTML ({len(LOGIN_PAGE)} bytes), not Zoho's zipped CSV"
    ), message
    assert message.endswith(
        f"(tried 2 times); the bulk-read job {job} completed and its 50 credits are spent: Zoho "
        f"keeps its result for about a day (GET /crm/bulk/v8/read/{job}/result, 1 credit): "
        "download it then rather than run the query again (a new job, another 50 credits)"
    ), message
    assert "Sign in" not in message  # nothing of the page is quoted


def test_bytes_that_are_no_zip_are_named_so() -> None:
    with (
        running(bulk_seconds=0.1) as sandbox,
        pytest.raises(TransportError, match=r"is not a zip archive \(7 bytes\)"),
    ):
        read_all(
            sandbox,
            Recorder(reply=pages_for_downloads(100, b"PK\x03\x04cut")),
            bulk_job_seconds=0.1,
            bulk_poll_seconds=0.01,
        )
