"""Starting a sandbox: in a thread on a free port, from the command line, or for any org."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from coqlkit.catalog import demo, write_snapshot
from coqlkit.sandbox.server import Sandbox
from tests.sandbox.conftest import token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_context_manager_reads_the_port_back_and_stops(tmp_path: Path) -> None:
    with Sandbox(records=200, db=str(tmp_path / "o.sqlite3")) as sandbox:
        url = sandbox.base_url
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        assert httpx.get(f"{url}/crm/v8/org").status_code == 401
        env = sandbox.environment()
        assert env["ZOHO_BASE_URL"] == url and env["ZOHO_REFRESH_TOKEN"] == sandbox.refresh_token
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/crm/v8/org", timeout=2)


@pytest.mark.parametrize("host", [None, "0.0.0.0"])
def test_serve_prints_the_environment_and_answers(tmp_path: Path, host: str | None) -> None:
    """Listening on every interface (0.0.0.0, as in a container), it prints the address this
    machine reaches it at (coqlkit sends secrets over plain http only to this machine), and a
    token's api_domain is where the client reached it."""
    port = free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [
        sys.executable,
        "-m",
        "coqlkit",
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--records",
        "200",
        "--log",
        *(["--host", host] if host else ["--token-limit", "1"]),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        while len([line for line in lines if line.startswith("export ")]) < 4:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, proc.stderr.read()  # type: ignore[union-attr]
            lines.append(line.strip())
        exports = dict(line[len("export ") :].split("=", 1) for line in lines if line.startswith("export "))
        assert exports["ZOHO_BASE_URL"] == f"http://127.0.0.1:{port}"
        assert ("every interface" in "\n".join(lines)) == (host == "0.0.0.0")
        assert set(exports) == {"ZOHO_BASE_URL", "ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"}
        base = exports["ZOHO_BASE_URL"]
        for _ in range(200):
            try:
                if httpx.get(f"{base}/crm/v8/org").status_code == 401:
                    break
            except httpx.TransportError:
                time.sleep(0.05)

        def token_at(url: str) -> dict[str, str]:
            grant = {
                "grant_type": "refresh_token",
                "client_id": exports["ZOHO_CLIENT_ID"],
                "client_secret": exports["ZOHO_CLIENT_SECRET"],
                "refresh_token": exports["ZOHO_REFRESH_TOKEN"],
            }
            return dict(httpx.post(f"{url}/oauth/v2/token", data=grant).json())

        assert token_at(base)["api_domain"] == base
        if host is None:  # --token-limit 1: one access token per refresh token in ten minutes
            again = token_at(base)
            assert again["error"] == "Access Denied" and "access_token" not in again
        if host == "0.0.0.0":  # reached at another of its addresses: the api_domain follows
            other = f"http://127.0.0.2:{port}"
            assert token_at(other)["api_domain"] == other
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "POST /oauth/v2/token" in err and exports["ZOHO_REFRESH_TOKEN"] not in err  # logged, redacted


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--fail-rate", "2", "fail_rate"),
        ("--token-limit", "-1", "token_limit"),
        ("--active-tokens", "-1", "active_tokens"),
        ("--bulk-downloads", "-1", "bulk_downloads"),
        ("--bulk-download-seconds", "-1", "bulk_download_seconds"),
    ],
)
def test_serve_refuses_bad_options(option: str, value: str, named: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coqlkit", "sandbox", "serve", option, value],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and named in result.stderr


def test_any_org_from_a_metadata_snapshot(tmp_path: Path) -> None:
    # A made-up org: one custom module with a lookup to a second, and Users.
    modules = {
        "modules": [
            {
                "api_name": "Vehicles",
                "module_name": "Vehicles",
                "plural_label": "Vehicles",
                "id": "1",
                "generated_type": "custom",
            },
            {
                "api_name": "Garages",
                "module_name": "Garages",
                "plural_label": "Garages",
                "id": "2",
                "generated_type": "custom",
            },
            {"api_name": "Users", "module_name": "Users", "plural_label": "Users", "id": "3"},
        ]
    }
    users = demo.fields_payload("Users")
    fields = {
        "Garages": {
            "fields": [{"api_name": "Name", "data_type": "text", "display_field": True, "length": 120}]
        },
        "Vehicles": {
            "fields": [
                {"api_name": "Name", "data_type": "text", "display_field": True, "length": 120},
                {"api_name": "Plate", "data_type": "text", "length": 20},
                {
                    "api_name": "Fuel",
                    "data_type": "picklist",
                    "pick_list_values": [
                        {"display_value": v, "actual_value": v} for v in ("Petrol", "Diesel", "Electric")
                    ],
                },
                {"api_name": "Mileage", "data_type": "integer"},
                {"api_name": "Bought_On", "data_type": "date"},
                {
                    "api_name": "Garage",
                    "data_type": "lookup",
                    "lookup": {"module": {"api_name": "Garages", "id": "2"}},
                },
                {
                    "api_name": "Owner",
                    "data_type": "ownerlookup",
                    "lookup": {"module": {"api_name": "Users", "id": "3"}},
                },
            ]
        },
        "Users": users,
    }
    snapshot = tmp_path / "org"
    write_snapshot(snapshot, modules, fields)
    with Sandbox(metadata=str(snapshot), records=150, db=str(tmp_path / "o.sqlite3")) as sandbox:
        headers = {"Authorization": f"Zoho-oauthtoken {token(sandbox.base_url, sandbox)}"}
        served = httpx.get(f"{sandbox.base_url}/crm/v8/settings/modules", headers=headers).json()
        assert served == json.loads((snapshot / "modules.json").read_text())
        query = {
            "select_query": "select Name, Fuel, Garage, Garage.Name, Mileage from Vehicles "
            "where Fuel in ('Diesel', 'Electric') order by Mileage desc limit 200"
        }
        rows = httpx.post(f"{sandbox.base_url}/crm/v8/coql", json=query, headers=headers).json()["data"]
        assert rows and all(r["Fuel"] in ("Diesel", "Electric") for r in rows)
        with_garage = [r for r in rows if r["Garage"] is not None]
        assert with_garage and all(r["Garage"]["name"] == r["Garage.Name"] for r in with_garage)
        mileage = [r["Mileage"] for r in rows if r["Mileage"] is not None]
        assert mileage == sorted(mileage, reverse=True)
