"""A sandbox bulk-read job that never completes, or fails (review 8, big #2): the sandbox's
``bulk_outcomes`` (``--bulk-outcomes``) give each job, in creation order, how it ends, so
that a client's deadline and its handling of a FAILURE are tried over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coqlkit.cli import main
from coqlkit.sandbox.config import SandboxConfig
from coqlkit.sandbox.server import Sandbox
from tests.sandbox.conftest import RECORDS, Api

QUERY = {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    db = tmp_path_factory.mktemp("outcomes") / "org.sqlite3"
    with Sandbox(
        records=RECORDS, db=str(db), bulk_seconds=0.2, bulk_outcomes=("complete", "stall", "fail")
    ) as box:
        client = Api(box)
        yield client
        client.close()


def states(api: Api, job: str, seconds: float = 0.6) -> list[str]:
    """The job's states, polled every 50 ms for ``seconds`` (three times its bulk_seconds)."""
    seen: list[str] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        seen.append(api.http.get(f"/crm/bulk/v8/read/{job}").json()["data"][0]["state"])
        time.sleep(0.05)
    return seen


def create(api: Api) -> str:
    reply = api.http.post("/crm/bulk/v8/read", json={"query": QUERY})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["data"][0]["details"]["id"])


def test_jobs_end_as_the_outcomes_say_the_last_for_the_rest(api: Api) -> None:
    first, stalled, failed, also_failed = (create(api) for _ in range(4))
    assert states(api, first)[-1] == "COMPLETED"
    seen = states(api, stalled)
    assert seen[-1] == "IN PROGRESS" and "COMPLETED" not in seen
    reply = api.http.get(f"/crm/bulk/v8/read/{stalled}/result")
    assert reply.json()["code"] == "INVALID_REQUEST"  # nothing to download
    for job in (failed, also_failed):
        assert states(api, job)[-1] == "FAILURE"
        item = api.http.get(f"/crm/bulk/v8/read/{job}").json()["data"][0]
        error = item["result"]["error_message"]
        assert (error["status"], error["code"]) == ("error", "INTERNAL_ERROR")
        assert "download_url" not in item["result"]


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="not 'hang'"):
        SandboxConfig(bulk_outcomes=("complete", "hang"))


def test_the_cli_flag_is_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["sandbox", "serve", "--db", str(tmp_path / "x.db"), "--bulk-outcomes", "complete,hang"])
    assert code == 2
    assert "not 'hang'" in capsys.readouterr().err
