"""How the planner weighs plans: the org's limits, the expected latency, the credit budget."""

from __future__ import annotations

from dataclasses import dataclass

from coqlkit.catalog.limits import (
    BULK_READ_CREDITS,
    BULK_READ_PAGE_ROWS,
    DEFAULT_CONCURRENCY,
    MAX_LIMIT,
    MAX_OFFSET_ROWS,
)

__all__ = ["PlanOptions"]


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
