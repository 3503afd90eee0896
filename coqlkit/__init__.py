"""coqlkit: Zoho CRM's COQL as if it were a database.

The stable API::

    >>> import coqlkit
    >>> q = coqlkit.parse("select Last_Name, Email from Leads where Lead_Status = :status")
    >>> coqlkit.render(coqlkit.bind(q, {"status": "Contacted"}))
    "select Last_Name, Email from Leads where Lead_Status = 'Contacted'"
    >>> [d.code for d in coqlkit.validate(q, coqlkit.Catalog.demo())]
    ['SYNTAX_ERROR']

Running queries::

    >>> with coqlkit.connect(sandbox=True) as conn:                  # doctest: +SKIP
    ...     table = conn.query("select Last_Name, Email from Leads").to_arrow()

Importing coqlkit loads only the language core (lark): the transport, Arrow and the
front ends (``connect``, ``connect_async``, ``Connection``, ``Result``) are imported when
first used. ``%load_ext coqlkit`` loads the Jupyter magics.
"""

# concurrent.futures.thread registers an exit hook when first imported, which Python refuses
# once the main thread has returned: a thread that calls coqlkit.connect() then (whose lazy
# import of coqlkit.api needs it) failed. Imported with coqlkit instead (a few ms).
import concurrent.futures.thread  # noqa: F401
import logging
from typing import TYPE_CHECKING, Any

from coqlkit.catalog import Catalog, Field, FieldType, Module
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
from coqlkit.language import bind, parse, render
from coqlkit.language.ast import Select
from coqlkit.validate import Diagnostic, ErrorLevel, Severity, validate

# A library's log is its caller's to show: without a handler of the caller's, Python's
# last-resort handler would print coqlkit's warnings (a bulk job outlasting its polls, a
# download tried again) to standard error in a service or a notebook. They are also in
# stats.notes; COQLKIT_LOG (the command) or a handler of yours shows the log.
logging.getLogger("coqlkit").addHandler(logging.NullHandler())

__version__ = "0.1.0"

# Imported on first use (they load pyarrow and httpx).
_LAZY = {
    "AsyncConnection": "coqlkit.api",
    "AsyncResult": "coqlkit.api",
    "Connection": "coqlkit.api",
    "Result": "coqlkit.api",
    "connect": "coqlkit.api",
    "connect_async": "coqlkit.api",
}

if TYPE_CHECKING:
    # What type checkers and IDEs see: the lazy names as they are, not as a __getattr__'s Any
    # (which also let any misspelt name pass, coqlkit.conect() among them).
    from coqlkit.api import AsyncConnection, AsyncResult, Connection, Result, connect, connect_async
else:

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'coqlkit' has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones among them before their first use (for completion)."""
    return sorted({*globals(), *_LAZY})


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext coqlkit``: the ``%coql_connect``, ``%coql`` and ``%%coql`` magics."""
    import importlib

    importlib.import_module("coqlkit.notebook").load_ipython_extension(ipython)


__all__ = [
    "AmbiguousLookupWarning",
    "ApiError",
    "AsyncConnection",
    "AsyncResult",
    "AuthError",
    "Catalog",
    "CatalogError",
    "ConfigError",
    "Connection",
    "ConsistencyWarning",
    "CoqlError",
    "CoqlSyntaxError",
    "CoqlWarning",
    "CreditBudgetExceeded",
    "DailyLimitReached",
    "Diagnostic",
    "ErrorLevel",
    "Field",
    "FieldType",
    "Module",
    "OptionError",
    "OrgBusy",
    "ParameterError",
    "PartialResultWarning",
    "PlanError",
    "QueryWarning",
    "RateLimited",
    "RenderError",
    "Result",
    "Select",
    "Severity",
    "TransportError",
    "ValidationError",
    "ZohoApiError",
    "bind",
    "connect",
    "connect_async",
    "load_ipython_extension",
    "parse",
    "render",
    "validate",
]
