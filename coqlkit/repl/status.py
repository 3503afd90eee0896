"""The shell's statuses, which are also the exit codes of ``coqlkit query`` and ``export``.

====  ==============================================================
0     ok
1     the query is wrong (syntax, validation, a plan or Zoho refused it)
2     usage or configuration
3     connection or authentication; a failure on Zoho's side (5xx) the retries did not outlast
4     timeout
5     stopped by the credit budget
6     a read came back short: records were deleted or changed meanwhile
7     the file could not be written (a full disk, an I/O error)
8     the org is busy: Zoho refused even one call at a time (429) for a minute
130   interrupted (Ctrl-C)
143   terminated (SIGTERM; 129: SIGHUP)
====  ==============================================================

:func:`exit_code` maps an error to its status; :class:`Terminated` is the signal that
ends the shell, :class:`ShortRead` the export whose read came back short.
"""

from __future__ import annotations

from coqlkit import export
from coqlkit.errors import (
    ApiError,
    AuthError,
    ConfigError,
    CoqlError,
    CreditBudgetExceeded,
    OrgBusy,
    RateLimited,
    TransportError,
)

__all__ = ["EXIT_CODES", "ShortRead", "Terminated", "exit_code"]

EXIT_CODES = {
    "ok": 0,
    "query": 1,
    "usage": 2,
    "connection": 3,
    "timeout": 4,
    "budget": 5,
    "short": 6,
    "io": 7,
    "interrupted": 130,
    "terminated": 143,
}


class Terminated(KeyboardInterrupt):
    """A termination signal (SIGTERM, SIGHUP) raised where the program is, so that it
    cleans up as Ctrl-C does; but it ends the shell, not only the statement."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def status(self) -> int:
        return 128 + self.signum


class ShortRead(CoqlError):
    """An export read fewer rows than the COUNT probe found: records were deleted or
    changed during the read (offset pages shift). The target is left as it was."""

    code = "SHORT_READ"


def exit_code(exc: BaseException) -> int:
    """The exit status for an error (see the module's table)."""
    if isinstance(exc, Terminated):
        return exc.status
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, ShortRead):
        return 6
    if isinstance(exc, export.ExportError):
        return 7
    if isinstance(exc, OSError):
        return 2
    if isinstance(exc, CreditBudgetExceeded) or (
        isinstance(exc, RateLimited) and exc.code == "LIMIT_REACHED"
    ):
        return 5
    if isinstance(exc, TransportError) and exc.code == "TIMEOUT":
        return 4
    if isinstance(exc, OrgBusy):
        return 8
    if isinstance(exc, (TransportError, AuthError, RateLimited)):
        return 3
    if isinstance(exc, ApiError) and exc.status is not None and exc.status >= 500:
        return 3  # Zoho's own failure, still there after the retries: not the query's fault
    if isinstance(exc, ConfigError):
        return 2
    if isinstance(exc, (CoqlError, ApiError)):
        return 1
    raise exc  # not ours: a bug, let it show
