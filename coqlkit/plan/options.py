"""How the planner weighs plans: the org's limits, the expected latency, the credit budget."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coqlkit.catalog.limits import (
    BULK_READ_CREDITS,
    BULK_READ_PAGE_ROWS,
    DEFAULT_CONCURRENCY,
    MAX_LIMIT,
    MAX_OFFSET_ROWS,
)

__all__ = ["PUBLIC_OPTIONS", "TUNING_OPTIONS", "Kind", "PlanOptions", "checked_options"]


@dataclass(frozen=True)
class PlanOptions:
    """What the planner knows and wants.

    ``concurrency`` and ``latency_ms`` estimate time; ``max_credits`` refuses a plan that
    would cost more; ``prefer`` is ``"time"`` (fastest; credits break ties) or ``"credits"``;
    ``strategy`` forces ``"coql"`` or ``"bulk"`` (``"auto"``: the planner's choice);
    ``bulk_job_seconds`` is how long a bulk-read job is expected to take (Zoho: about a
    minute; the sandbox: its ``--bulk-seconds``). ``count_ttl``: for how many seconds a
    COUNT probe's figure (or a read's) stands in for a new probe of the same WHERE, when
    the plan checks it as it reads (0: probe every time; see :class:`~coqlkit.execute.CountMemory`).
    """

    concurrency: int = DEFAULT_CONCURRENCY
    latency_ms: float = 300.0
    max_credits: int | None = None
    prefer: str = "time"
    strategy: str = "auto"
    allow_bulk: bool = True
    page_size: int = MAX_LIMIT
    offset_ceiling: int = MAX_OFFSET_ROWS
    bulk_page_rows: int = BULK_READ_PAGE_ROWS
    bulk_credits: int = BULK_READ_CREDITS
    bulk_job_seconds: float = 60.0
    bulk_poll_seconds: float = 5.0
    count_ttl: float = 600.0
    # ``max_credits`` is what is left of a budget of this many (a session's, some spent).
    budget_total: int | None = None
    # The org's credits left today, when they are what ``max_credits`` holds (with the
    # COUNT probe and subqueries spent added): said so when they decide the plan.
    day_left: int | None = None

    def __post_init__(self) -> None:
        if self.prefer not in ("time", "credits"):
            raise ValueError("prefer is 'time' or 'credits'")
        if self.strategy not in ("auto", "coql", "bulk"):
            raise ValueError("strategy is 'auto', 'coql' or 'bulk'")
        if self.concurrency < 1 or self.page_size < 1 or self.offset_ceiling < self.page_size:
            raise ValueError("concurrency and page size must be positive, the ceiling at least a page")
        if not self.count_ttl >= 0:  # NaN too
            raise ValueError("count_ttl is seconds, 0 or more")

    def budget_text(self) -> str:
        """``the budget is 500``; or, when ``max_credits`` is what is left of a larger budget,
        ``the budget has 15 of its 20 credits left`` (the rest spent: metadata, earlier queries)."""
        if self.budget_total is None or self.budget_total == self.max_credits:
            return f"the budget is {self.max_credits or 0:,}"
        return f"the budget has {self.max_credits or 0:,} of its {self.budget_total:,} credits left"

    def limit_text(self) -> str:
        """Why a plan that costs more than ``max_credits`` was passed over: ``over the budget
        of 64``, ``over the 15 credits left of the budget of 20``, or ``the org has 146
        credits left today``.

        >>> PlanOptions(max_credits=64).limit_text(), PlanOptions(max_credits=147, day_left=146).limit_text()
        ('over the budget of 64', 'the org has 146 credits left today')
        """
        if self.day_left is not None:
            return f"the org has {self.day_left:,} credits left today"
        if self.budget_total is None or self.budget_total == self.max_credits:
            return f"over the budget of {self.max_credits or 0:,}"
        return f"over the {self.max_credits or 0:,} credits left of the budget of {self.budget_total:,}"

    @property
    def latency(self) -> float:
        """Seconds a call takes."""
        return self.latency_ms / 1000


@dataclass(frozen=True)
class Kind:
    """What an option a caller gives must be: ``accepts(value)``, said as ``what``.

    >>> Kind.whole(0, "credits", none=True).check("max_credits", "500")
    Traceback (most recent call last):
    ValueError: max_credits is a whole number of credits, 0 or more, or None, not '500'
    >>> Kind.number(0, "seconds").check("count_ttl", 60)
    60.0
    """

    what: str
    accepts: Callable[[Any], bool]
    #: What a value accepted becomes (a numpy number: Python's; an int where seconds go: a float).
    convert: Callable[[Any], Any] | None = None

    @classmethod
    def whole(cls, least: int, unit: str, *, none: bool = False) -> Kind:
        """An int (numpy's too; not a bool, a float or a string) of at least ``least``."""
        what = f"a whole number of {unit}, {least} or more" + (", or None" if none else "")
        return cls(what, lambda v: (none and v is None) or (_integral(v) and v >= least), int)

    @classmethod
    def number(cls, least: float, unit: str, *, above: bool = False) -> Kind:
        """A real number (not a bool or a string; not NaN) of at least ``least`` (``above``: more)."""
        what = f"a number of {unit}, " + (f"above {least:g}" if above else f"{least:g} or more")
        return cls(what, lambda v: _real(v) and (v > least if above else v >= least), float)

    @classmethod
    def flag(cls) -> Kind:
        """True or False: not 0, 1, "no" or "false" (which ``bool()`` would make True)."""
        return cls("True or False", lambda v: isinstance(v, bool))

    @classmethod
    def one_of(cls, *values: str) -> Kind:
        """One of the strings ``values``."""
        what = ", ".join(map(repr, values[:-1])) + f" or {values[-1]!r}"
        return cls(what, lambda v: isinstance(v, str) and v in values)

    def check(self, name: str, value: Any) -> Any:
        """``value`` as the option holds it, or a ValueError naming ``name``."""
        if not self.accepts(value):
            raise ValueError(f"{name} is {self.what}, not {value!r}")
        return value if self.convert is None or value is None else self.convert(value)


def _integral(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Integral)


def _real(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and not math.isnan(value)


#: The planner options a caller sets, for every query (``connect()``) or one (``query()``):
#: what each must be. (``concurrency``, a PlanOptions field too, is the connection's: the
#: transport's setting, which the planner follows.)
PUBLIC_OPTIONS: Mapping[str, Kind] = {
    "allow_bulk": Kind.flag(),
    "bulk_job_seconds": Kind.number(0, "seconds"),
    "count_ttl": Kind.number(0, "seconds"),
    "latency_ms": Kind.number(0, "milliseconds"),
    "max_credits": Kind.whole(0, "credits", none=True),
    "prefer": Kind.one_of("time", "credits"),
    "strategy": Kind.one_of("auto", "coql", "bulk"),
}
#: PlanOptions fields a caller may set too, and that no message offers: Zoho's limits and
#: costs, which tests and benchmarks make smaller (``page_size=200``) to read many pages of
#: a small org. (``budget_total`` and ``day_left`` are the planner's own bookkeeping.)
TUNING_OPTIONS: Mapping[str, Kind] = {
    "page_size": Kind.whole(1, "rows"),
    "offset_ceiling": Kind.whole(1, "rows"),
    "bulk_page_rows": Kind.whole(1, "rows"),
    "bulk_credits": Kind.whole(0, "credits"),
    "bulk_poll_seconds": Kind.number(0, "seconds", above=True),
}


def checked_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` (public or tuning planner options) with each value checked: a ValueError
    names the first that is wrong; then the checks across options (a ceiling of at least a
    page) as :class:`PlanOptions` makes them. Unknown names are the caller's to refuse.

    >>> checked_options({"max_credits": 500, "prefer": "credits"})
    {'max_credits': 500, 'prefer': 'credits'}
    >>> checked_options({"check": True})
    Traceback (most recent call last):
    KeyError: 'check'
    """
    kinds = {**PUBLIC_OPTIONS, **TUNING_OPTIONS}
    values = {name: kinds[name].check(name, value) for name, value in options.items()}
    PlanOptions(**values)
    return values
