"""Whether the rest of a read can still be paid for with the org's credits left today.

Zoho says how many of the org's daily credits are left (``X-API-CREDITS-REMAINING``) only
once half of them are used, so a read is often planned without the figure (the planner
weighs a plan against it when it is known: ``prepare``). When it first comes mid-read, a
read whose remaining pages cost more than that went on sending them until Zoho refused
one for the day: the org's last credits spent, every other integration of the org left
without any until the rolling 24 hours give some back, and the read's rows thrown away
all the same (an export keeps its old file). :class:`RestOfRead` weighs, after each
answer, what the plan still needs against what the org has left, and stops the read
before it sends more when it cannot finish.

Only when sure: a plan whose cost is known (its calls are exact: a row count, or a LIMIT
inside one call). A read that goes on until a page comes back short may need less than
its floor or more, and is left to run: the client still refuses any one call the org
cannot pay for. Credits that come back during the read (the day is a rolling 24 hours)
are not counted on: a read that would need them is stopped, as Zoho's figure says.
"""

from __future__ import annotations

from coqlkit.errors import DailyLimitReached
from coqlkit.plan.planner import Plan, total
from coqlkit.transport import AsyncZohoClient

__all__ = ["RestOfRead"]


class RestOfRead:
    """What a plan still needs, against the org's credits left today (:meth:`check`).

    ``needs``: the credits of the plan's steps, all told (None: not known, and nothing is
    ever stopped); ``spent``: the credits spent before them (the COUNT probe, subqueries).
    What the steps have sent is the client's ``credits_used`` since: calls sent, whether
    answered or not. Another query's calls on the same client count as this read's, and
    a lost answer sent again counts twice: both make the rest look smaller, which errs on
    the side of letting the read go on.
    """

    def __init__(self, client: AsyncZohoClient, needs: int | None, spent: int = 0) -> None:
        self.client = client
        self.needs = needs
        self.spent = spent
        self.start = client.credits_used
        self.refusal: DailyLimitReached | None = None  # the error check() raised

    @classmethod
    def of(cls, plan: Plan, client: AsyncZohoClient) -> RestOfRead:
        est = total(plan.root)
        return cls(client, est.credits if est.calls_bound == "exact" else None, plan.spent[1])

    @property
    def rest(self) -> int | None:
        """The credits of the plan's calls not sent yet (None: not known)."""
        if self.needs is None:
            return None
        return max(0, self.needs - (self.client.credits_used - self.start))

    def check(self) -> None:
        """Raise :class:`DailyLimitReached` when the org's credits left today, by Zoho's last
        figure, cannot pay for the rest of the plan; remembered in :attr:`refusal`."""
        rest, left = self.rest, self.client.org_credits_left
        if rest is None or left is None or rest <= left:
            return
        self.refusal = DailyLimitReached(
            self.message(rest, left, self.spent + self.client.credits_used - self.start),
            needed=rest,
            left=max(0, left),
        )
        raise self.refusal

    def stopped(self, rows: int, spent: int) -> DailyLimitReached:
        """The refusal once the read has stopped: with the rows it read, and ``spent``, the
        credits it spent, the calls already sent when it stopped (Zoho charges them) included.

        >>> from types import SimpleNamespace
        >>> client = SimpleNamespace(credits_used=0, org_credits_left=None)
        >>> day = RestOfRead(client, needs=376, spent=1)  # type: ignore[arg-type]
        >>> client.credits_used, client.org_credits_left = 150, 150
        >>> try:
        ...     day.check()
        ... except DailyLimitReached as exc:
        ...     print(exc.needed, exc.left)
        226 150
        >>> print(day.stopped(rows=100_000, spent=157))  # doctest: +ELLIPSIS
        the read cannot finish today: the rest of it needs 226 credits, and the org has 150 left...
        """
        assert self.refusal is not None
        needed, left = self.refusal.needed, self.refusal.left
        return DailyLimitReached(self.message(needed, left, spent, rows), needed=needed, left=left)

    @staticmethod
    def message(rest: int, left: int, spent: int, rows: int | None = None) -> str:
        """What stopped the read, what it needed, had, read and spent, and what to do."""
        read = "" if rows is None else f"{rows:,} {'row' if rows == 1 else 'rows'} and "
        return (
            f"the read cannot finish today: the rest of it needs {rest:,} credits, and the org has "
            f"{max(0, left):,} left by what Zoho last said (X-API-CREDITS-REMAINING); stopped after "
            f"{read}{spent:,} {'credit' if spent == 1 else 'credits'} (the calls already out "
            "included), before sending more, rather than spend the org's last credits on a read "
            "Zoho would refuse halfway (LIMIT_REACHED), leaving its other integrations none "
            "(credits come back as the day's rolling 24 hours move on: run it again later, when "
            "it is planned against the figure, a bulk read if one fits; or narrow it)"
        )
