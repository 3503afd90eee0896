"""The options of ``coqlkit.connect`` / ``connect_async`` / ``query()``, the DB-API's
``connect`` and ``coqlkit://`` URLs: how the connection calls Zoho (``concurrency``,
``timeout``, ``retries``, ``credit_budget``, ``busy_patience``) set over the profile's, the
environment's or ``settings=``; and options misspelled or of the wrong kind refused before
anything starts, with a coqlkit error that is also a ``TypeError`` and names the options
there are (lib review 6, findings 2 and 4)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

import coqlkit
from coqlkit import dbapi
from coqlkit.api import OptionError
from coqlkit.sandbox.server import Sandbox
from coqlkit.sqlalchemy import CoqlkitDialect
from coqlkit.transport import FileTokenStore, Settings, load_settings
from tests.api._support import RECORDS, RequestLog

READ = "select Last_Name from Leads"
PAGE = 300  # ten pages of the org's 3,000 Leads
HIDDEN = ("page_size", "offset_ceiling", "bulk_page_rows", "bulk_credits", "budget_total", "day_left")


@pytest.fixture
def timed(org_db: Path, sandbox: Sandbox) -> Iterator[Sandbox]:
    """The org with 40 ms a call and no slot limit of its own: ten pages overlap unless the
    client holds them back. ``sandbox`` first: it seeds the file."""
    with Sandbox(records=RECORDS, db=str(org_db), latency_ms=40, concurrency=50, token_limit=0) as running:
        yield running


def most_in_flight(sandbox: Sandbox, conn: Any, read: Any) -> int:
    """The most calls the sandbox had at once while ``read(conn)`` ran."""
    assert sandbox.state is not None
    sandbox.state.most_in_flight = 0
    read(conn)
    return sandbox.state.most_in_flight


def settings_for(sandbox: Sandbox, tmp_path: Path, **env: str) -> Settings:
    return load_settings(
        env={**sandbox.environment(), **env},
        store=FileTokenStore(tmp_path / "tokens.json"),
        path=tmp_path / "no-config.toml",
    )


# ---- how the connection calls: the arguments over the profile's --------------------------


def test_concurrency_given_to_connect_is_the_calls_in_flight(timed: Sandbox) -> None:
    def read(conn: coqlkit.Connection) -> None:
        assert conn.query(READ, page_size=PAGE).to_arrow().num_rows == RECORDS

    with coqlkit.connect(sandbox=timed) as default:
        assert most_in_flight(timed, default, read) > 1  # ten pages at once, as before
    with coqlkit.connect(sandbox=timed, concurrency=1) as polite:
        assert polite.aio.client.settings.concurrency == 1
        assert polite.aio.plan_options().concurrency == 1  # the planner's estimate follows
        assert most_in_flight(timed, polite, read) == 1
    with coqlkit.connect(sandbox=timed, concurrency=3) as three:
        assert most_in_flight(timed, three, read) == 3


def test_the_dbapi_sets_the_concurrency_too(timed: Sandbox) -> None:
    def fetch(db: dbapi.Connection) -> None:
        assert len(db.cursor().execute(READ).fetchall()) == RECORDS

    with dbapi.connect(sandbox=timed, page_size=PAGE) as db:
        assert most_in_flight(timed, db, fetch) > 2
    with dbapi.connect(sandbox=timed, page_size=PAGE, concurrency=2) as db:
        assert db.api.aio.client.settings.concurrency == 2
        assert most_in_flight(timed, db, fetch) == 2


def test_the_arguments_win_over_the_environment_and_settings(sandbox: Sandbox, tmp_path: Path) -> None:
    given = settings_for(sandbox, tmp_path, COQLKIT_CONCURRENCY="4", COQLKIT_TIMEOUT="30")
    assert (given.concurrency, given.timeout) == (4, 30.0)
    with coqlkit.connect(settings=given) as plain:
        assert plain.aio.client.settings == given  # nothing given: the environment's
    with coqlkit.connect(
        settings=given, concurrency=2, timeout=5, retries=1, credit_budget=8, busy_patience=3
    ) as conn:
        used = conn.aio.client.settings
        assert (used.concurrency, used.timeout, used.retries, used.credit_budget, used.busy_patience) == (
            2,
            5.0,
            1,
            8,
            3.0,
        )
        assert used.client_secret == given.client_secret and used.endpoints == given.endpoints
        budget = conn.aio.client.budget
        assert budget is not None and budget.limit == 8
        with pytest.raises(coqlkit.CreditBudgetExceeded):  # the budget given holds (21 credits)
            conn.query(READ, page_size=PAGE).to_arrow()
    with coqlkit.connect(settings=given, credit_budget=None) as unchanged:  # None: not given
        assert unchanged.aio.client.settings.credit_budget is None


# ---- options refused: a coqlkit error, a TypeError, what there is ----------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_credit": 5}, "takes no option 'max_credit' .*: did you mean max_credits\\?"),
        ({"sandox": True}, "takes no option 'sandox' .*: did you mean sandbox\\?"),
        ({"budget_total": 10}, "takes no option 'budget_total'"),
        ({"day_left": 10}, "takes no option 'day_left'"),
        ({"max_credits": "500"}, "max_credits is a whole number of credits, 0 or more, or None, not '500'"),
        ({"max_credits": -1}, "not -1"),
        ({"max_credits": 2.5}, "not 2.5"),
        ({"max_credits": True}, "not True"),
        ({"count_ttl": -1}, "count_ttl is a number of seconds, 0 or more, not -1"),
        ({"count_ttl": "60"}, "not '60'"),
        ({"latency_ms": float("nan")}, "latency_ms is a number of milliseconds"),
        ({"allow_bulk": "no"}, "allow_bulk is True or False, not 'no'"),
        ({"prefer": "speed"}, "prefer is 'time' or 'credits', not 'speed'"),
        ({"concurrency": 0}, "concurrency is a whole number of calls in flight, 1 or more, not 0"),
        ({"timeout": "5"}, "timeout is a number of seconds, above 0, not '5'"),
        ({"retries": -1}, "retries is a whole number of retries, 0 or more, not -1"),
        ({"credit_budget": 0}, "credit_budget is a whole number of credits, 1 or more, or None, not 0"),
        ({"tz": 5}, "tz is a time zone's name"),
        ({"settings": {"concurrency": 1}}, "settings is a coqlkit.transport.Settings, not dict"),
    ],
)
def test_a_wrong_connect_option_is_refused_before_anything_starts(
    sandbox: Sandbox, log: RequestLog, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(OptionError, match=message) as caught:
        coqlkit.connect(sandbox=sandbox, **options)
    error = caught.value
    assert isinstance(error, coqlkit.ConfigError) and isinstance(error, TypeError)
    assert log.calls() == []  # not even the org's metadata
    if "takes no option" in str(error):
        offered = str(error).split("(it takes ", 1)[1]
        assert offered.startswith("profile, sandbox, settings, metadata, cache_dir, tz, concurrency")
        assert all(name not in offered for name in HIDDEN)


def test_the_async_connect_refuses_the_same() -> None:
    with pytest.raises(coqlkit.CoqlError, match="did you mean sandbox"):
        asyncio.run(coqlkit.connect_async(sandox=True))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"chek": False},
            "query\\(\\) takes no option 'chek' \\(it takes check, probe, tz, .*did you mean check\\?",
        ),
        ({"check": "no"}, "check is True or False, not 'no'"),
        ({"probe": "false"}, "probe is True or False, not 'false'"),
        ({"probe": 0}, "probe is True or False, not 0"),
        ({"max_credits": True}, "max_credits is a whole number"),
        (
            {"concurrency": 2},
            "takes no option 'concurrency': it is the connection's, give it to connect\\(\\)",
        ),
        ({"timeout": 2}, "it is the connection's"),
        ({"budget_total": 2}, "takes no option 'budget_total'"),
    ],
)
def test_a_wrong_query_option_is_refused_before_anything_is_spent(
    conn: coqlkit.Connection, options: dict[str, Any], message: str
) -> None:
    spent = conn.credits_used
    with pytest.raises(OptionError, match=message) as caught:
        conn.query(READ, **options)
    assert isinstance(caught.value, TypeError) and conn.credits_used == spent
    if "(it takes" in str(caught.value):
        assert all(name not in str(caught.value).split("(it takes", 1)[1] for name in HIDDEN)
    with pytest.raises(OptionError, match=message.replace("query\\(\\)", "explain\\(\\)")):
        conn.explain(READ, **options)


def test_a_query_parameter_given_as_an_option_is_pointed_to_params(conn: coqlkit.Connection) -> None:
    spent = conn.credits_used
    with pytest.raises(
        OptionError, match="no option 'city': :city is a parameter of the query, its value goes in params="
    ):
        conn.query("select Last_Name from Leads where City = :city", city="Austin")
    with pytest.raises(OptionError, match="no option 'cit' \\(it takes"):  # not a parameter: no such note
        conn.query("select Last_Name from Leads where City = :city", cit="Austin")
    assert conn.credits_used == spent  # refused before anything was sent


@pytest.mark.parametrize("lazy", ["yes", 1])
def test_a_wrong_lazy_is_refused(conn: coqlkit.Connection, lazy: Any) -> None:
    result = conn.query(READ + " limit 5")
    with pytest.raises(OptionError, match="lazy is False, True or 'ramp'"):
        result.record_batches(lazy=lazy)
    assert result.record_batches(lazy="ramp").read_all().num_rows == 5  # nothing was started


def test_lazy_none_is_false(conn: coqlkit.Connection) -> None:
    """None, as code that passes an optional setting through gives it, reads as False did."""
    assert conn.query(READ + " limit 5").record_batches(lazy=None).read_all().num_rows == 5


def test_options_of_the_right_kind_are_taken(conn: coqlkit.Connection) -> None:
    """numpy's numbers are numbers; the tuning options tests use (``page_size``) still work."""
    result = conn.query(READ, max_credits=np.int64(500), latency_ms=np.float64(5), page_size=1000)
    assert result.plan.options.max_credits == 500 and type(result.plan.options.max_credits) is int
    assert result.plan.options.page_size == 1000
    assert result.to_arrow().num_rows == RECORDS


# ---- the DB-API and URLs: the same options, the same checks ----------------------------------


def test_the_dbapi_refuses_with_the_same_message(sandbox: Sandbox) -> None:
    with pytest.raises(
        dbapi.InterfaceError, match=r"takes no option 'max_credit' .*did you mean max_credits"
    ) as e:
        dbapi.connect(sandbox=sandbox, max_credit=5)
    assert all(name not in str(e.value) for name in HIDDEN)
    with pytest.raises(dbapi.InterfaceError, match="timeout is a number of seconds, above 0, not -1"):
        dbapi.connect(sandbox=sandbox, timeout=-1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("coqlkit://?concurrency=0", "concurrency is a whole number of calls in flight, 1 or more, not 0"),
        ("coqlkit://?max_credits=-1", "max_credits is a whole number of credits, 0 or more, or None, not -1"),
        ("coqlkit://?timeout=0", "timeout is a number of seconds, above 0, not 0.0"),
        ("coqlkit://?budget_total=3", "unknown coqlkit:// option 'budget_total'"),
    ],
)
def test_a_url_checks_the_values_before_anything_connects(url: str, message: str) -> None:
    with pytest.raises(sa.exc.ArgumentError, match=message):
        sa.create_engine(url)


def test_a_url_takes_how_to_call_and_offers_only_the_public_options() -> None:
    found = CoqlkitDialect().create_connect_args(
        sa.make_url("coqlkit://prod?concurrency=5&timeout=30&retries=2&credit_budget=900&page_size=500")
    )
    assert found == (
        [],
        {
            "profile": "prod",
            "concurrency": 5,
            "timeout": 30.0,
            "retries": 2,
            "credit_budget": 900,
            "page_size": 500,
        },
    )
    with pytest.raises(sa.exc.ArgumentError) as caught:
        sa.create_engine("coqlkit://?colour=blue")
    known = str(caught.value).split("known: ", 1)[1]
    assert "concurrency, credit_budget, timeout, retries, busy_patience" in known
    assert all(name not in known for name in HIDDEN)
