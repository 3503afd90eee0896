"""Every coqlkit error and warning survives pickle and copy with its attributes: a process
pool's worker that raises one hands it to its parent, instead of breaking the pool."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import httpx
import pytest

import coqlkit
import coqlkit.errors
from coqlkit.catalog import ResolveError
from coqlkit.errors import (
    AmbiguousLookupWarning,
    ApiError,
    AuthError,
    CatalogError,
    ConfigError,
    ConsistencyWarning,
    CoqlError,
    CoqlSyntaxError,
    CoqlWarning,
    CreditBudgetExceeded,
    DailyLimitReached,
    OptionError,
    OrgBusy,
    ParameterError,
    PartialResultWarning,
    PlanError,
    QueryWarning,
    RateLimited,
    RenderError,
    TransportError,
    ValidationError,
    ZohoApiError,
)
from coqlkit.transport._errors import error_for
from coqlkit.validate import ErrorLevel


def raised(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("nothing was raised")


def answer(status: int, code: str, message: str, **details: object) -> BaseException:
    """The error the transport makes of Zoho's answer (as it makes it)."""
    body = {"code": code, "message": message, "status": "error", "details": details}
    return error_for(httpx.Response(status, json=body, headers={"Retry-After": "3"}), credits=5)


def instances() -> dict[type[BaseException], BaseException]:
    """A realistic instance of each class, made as coqlkit makes it where it can be."""
    catalog = coqlkit.Catalog.demo()
    validation = raised(
        lambda: coqlkit.validate(coqlkit.parse("select Emial from Leads"), catalog, level=ErrorLevel.RAISE)
    )
    assert isinstance(validation, ValidationError)
    return {
        CoqlError: CoqlError("something went wrong", code="SOME_CODE"),
        CoqlSyntaxError: raised(lambda: coqlkit.parse("select Last_Name from Leads wher x")),
        ValidationError: validation,
        ParameterError: raised(
            lambda: coqlkit.parse("select Last_Name from Leads where Email = :e", {"e": None})
        ),
        RenderError: RenderError("SELECT * cannot be sent yet"),
        CatalogError: CatalogError("no metadata snapshot at /tmp/x: modules.json is missing"),
        ResolveError: ResolveError(
            "Leads has no field Emial", part=0, suggestions=["Email"], hint="did you mean Email?"
        ),
        ConfigError: ConfigError("no profile 'prod' in config.toml"),
        OptionError: OptionError("connect() takes no option 'max_credit' (did you mean max_credits?)"),
        PlanError: PlanError("the NOT IN list is too long for any rewrite"),
        CreditBudgetExceeded: CreditBudgetExceeded(
            "the read needs 30 credits; 5 are left", needed=30, left=5
        ),
        DailyLimitReached: answer(
            429, "TOO_MANY_REQUESTS", "Number of API requests for the 24 hour period is exceeded"
        ),
        ApiError: ApiError("bad gateway", code="HTTP_502", status=502, details={"x": 1}),
        TransportError: TransportError("connection refused by https://www.zohoapis.com:443"),
        AuthError: answer(401, "INVALID_TOKEN", "invalid oauth token"),
        RateLimited: answer(
            429, "TOO_MANY_REQUESTS", "The number of concurrent requests has exceeded the limit"
        ),
        OrgBusy: OrgBusy("the org is busy", code="TOO_MANY_REQUESTS", status=429, retry_after=2.0),
        ZohoApiError: answer(400, "INVALID_QUERY", "column given seems to be invalid", column_name="Emial"),
        CoqlWarning: CoqlWarning("something looks odd"),
        QueryWarning: QueryWarning(validation.diagnostics, "select Emial from Leads"),
        ConsistencyWarning: ConsistencyWarning("3 records were created during the read"),
        AmbiguousLookupWarning: AmbiguousLookupWarning(
            "Account_Name", names=5, example="Lunar Capital", records=2
        ),
        PartialResultWarning: PartialResultWarning("the DataFrame holds the 50 rows shown"),
    }


EXAMPLES = instances()


def exported_classes() -> list[type[BaseException]]:
    """Every exception and warning class coqlkit and coqlkit.errors export."""
    found = {
        value
        for module in (coqlkit, coqlkit.errors)
        for name in module.__all__
        if isinstance(value := getattr(module, name), type) and issubclass(value, BaseException)
    }
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_exported_class_has_an_example() -> None:
    missing = [cls.__name__ for cls in exported_classes() if cls not in EXAMPLES]
    assert missing == []  # a new class: add a realistic instance of it to instances()
    assert all(type(error) is cls for cls, error in EXAMPLES.items())


def same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert a.args == b.args
    assert str(a) == str(b)
    assert vars(a) == vars(b)
    if isinstance(a, CoqlError):
        assert isinstance(b, CoqlError)
        assert (a.code, a.message) == (b.code, b.message)


@pytest.mark.parametrize("cls", list(EXAMPLES), ids=lambda cls: cls.__name__)
def test_round_trips_through_pickle_and_copy(cls: type[BaseException]) -> None:
    error = EXAMPLES[cls]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        same(error, pickle.loads(pickle.dumps(error, protocol)))
    same(error, copy.copy(error))
    same(error, copy.deepcopy(error))


def test_attributes_come_back() -> None:
    syntax = pickle.loads(pickle.dumps(EXAMPLES[CoqlSyntaxError]))
    assert isinstance(syntax, CoqlSyntaxError)
    assert (syntax.line, syntax.column, syntax.code) == (1, 29, "SYNTAX_ERROR")
    assert "WHERE" in syntax.expected
    day = pickle.loads(pickle.dumps(EXAMPLES[DailyLimitReached]))
    assert isinstance(day, DailyLimitReached)
    assert (day.needed, day.left, day.code, day.status, day.retry_after) == (
        5,
        0,
        "TOO_MANY_REQUESTS",
        429,
        3.0,
    )
    validation = pickle.loads(pickle.dumps(EXAMPLES[ValidationError]))
    assert isinstance(validation, ValidationError)
    assert [d.hint for d in validation.diagnostics] == ["did you mean Email?"]


def test_a_copy_keeps_a_changed_attribute() -> None:
    """The state travels as it is now, not as the constructor's arguments made it."""
    error = CreditBudgetExceeded("needs 30", needed=30, left=5)
    error.code = "LIMIT_REACHED"
    error.add_note("while reading Leads")
    back = pickle.loads(pickle.dumps(error))
    assert (back.code, back.__notes__) == ("LIMIT_REACHED", ["while reading Leads"])


def test_a_process_pool_worker_raising_a_syntax_error_delivers_it() -> None:
    """The review's case: the pool survives, the error reaches the parent whole, and the
    next job runs."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        bad = pool.submit(coqlkit.parse, "select Last_Name from Leads wher x")
        good = pool.submit(coqlkit.parse, "select Last_Name from Leads")
        with pytest.raises(CoqlSyntaxError) as caught:
            bad.result(timeout=60)
        assert (caught.value.line, caught.value.column) == (1, 29)
        assert caught.value.code == "SYNTAX_ERROR"
        assert "wher x" in str(caught.value)
        assert good.result(timeout=60).module == "Leads"
