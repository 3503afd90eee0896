"""Whether the rest of a read can still be paid for with the org's credits left today.

Zoho says how many of the org's daily credits are left (``X-API-CREDITS-REMAINING``) only
once half of them are used, so a read is often planned without the figure (the planner
weighs a plan against it when it is known: ``prepare``). When it first comes mid-read, a
read whose remaining pages cost more than that went on sending them until Zoho refused
one for the day: the org's last credits spent, every other integration of the org left
without any until the rolling 24 hours give some back, and the read's rows thrown away
all the same (an export keeps its old file). :class:`RestOfRead` weighs what the read
still asks for against what the org has left, and the scan sends nothing more once it
cannot be paid for: the pages already answered are still delivered, and the refusal is
raised when the consumer asks for a page that was never sent. A bulk read weighs itself
the same way (:func:`left_today`, used by :mod:`.bulk`): the downloads it owes and the jobs
still to come, each a creation, a status poll and a download.

What is weighed depends on how the read is consumed. A read taken whole (``to_arrow()``,
an export) is weighed after each answer by its plan's rest, but only when that is known
for sure: a plan whose calls are exact, made from a fresh row count (or a LIMIT inside one
call). A read that goes on until a page comes back short may need less than its floor or
more, and a count remembered from an earlier read may be stale (records deleted since):
neither is stopped on a guess, and the client still refuses any one call the org cannot
pay for. A lazy read (``iter(result)``, DB-API ``fetchone``, the CLI writing to a pipe)
may want only its first rows: it is weighed by the pages it asks for as it asks for them,
never by the whole plan.

The figure is taken on the safe side for this decision, the opposite of the client's
per-call check: calls sent after the call whose answer brought the figure, before the
figure came, and the calls still out, may not be counted in it, so they are taken off it
too (at the most one of the read's calls costs; a call out may be taken off twice). Credits that come back during the read (the day is a rolling 24
hours) are not counted on: a read that would need them is stopped, as Zoho's figure says.
"""

from __future__ import annotations

from coqlkit.errors import DailyLimitReached
from coqlkit.plan.planner import Plan, total
from coqlkit.plan.steps import KeysetPages, OffsetPages
from coqlkit.transport import AsyncZohoClient, coql_credits

__all__ = ["RestOfRead", "left_today", "page_credits"]

#: What the dearest COQL call costs (2,000 rows).
DEAREST = 3


def page_credits(rows: int) -> int:
    """What a COQL page of ``rows`` rows costs (Zoho charges by the LIMIT).

    >>> page_credits(200), page_credits(1_000), page_credits(2_000)
    (1, 2, 3)
    """
    return coql_credits(f"limit {rows}")


def left_today(client: AsyncZohoClient, call: int) -> int | None:
    """The org's credits left today on the safe side (:attr:`RestOfRead.left`): Zoho's last
    figure less the calls sent since it came, less ``call`` (the most one of the read's calls
    costs) for each call it may not count; None when Zoho has not said (or said long ago).

    A bulk read (:mod:`.bulk`) weighs what it still needs for certain against this as it
    goes: the downloads owed, and each job to come (its creation, a status poll and its
    download), ``call`` being a job's creation while one is out.
    """
    left = client.org_credits_left
    if left is None:
        return None
    daily = client.daily
    uncounted = max(0, daily.sends_then - daily.order) + client.in_flight
    return left - uncounted * call


class RestOfRead:
    """What a read still asks for, against the org's credits left today (:meth:`refuses`).

    ``needs``: the credits of the plan's steps, all told, when known for sure (None: the
    rest of the plan is never weighed, only the pages a lazy read asks for); ``spent``: the
    credits spent before them (the COUNT probe, subqueries); ``call``: the most one of the
    read's calls costs. What the steps have sent is the client's ``credits_used`` since:
    calls sent, whether answered or not. Another query's calls on the same client count as
    this read's, and a lost answer sent again counts twice: both make the rest look
    smaller, which errs on the side of letting the read go on; each read on a connection is
    weighed alone.
    """

    def __init__(
        self, client: AsyncZohoClient, needs: int | None, spent: int = 0, call: int = DEAREST
    ) -> None:
        self.client = client
        self.needs = needs
        self.spent = spent
        self.call = call
        self.start = client.credits_used
        # The first refusal: sibling scans (a wide query's column groups, an IN's slices)
        # share this, and each raises this one, which execute() recognises.
        self.refusal: DailyLimitReached | None = None
        self.what = ""  # what the refusal weighed ("the rest of it needs 57 credits")
        self.asked = 0  # the credits of the pages lazy scans asked for (:meth:`grant`)

    @classmethod
    def of(cls, plan: Plan, client: AsyncZohoClient) -> RestOfRead:
        """The plan's rest is known for sure when its calls are exact and its row count
        fresh: one remembered from an earlier read is a guess (records deleted since)."""
        est = total(plan.root)
        remembered = plan.probe is not None and plan.probe.age is not None
        sure = est.calls_bound == "exact" and not remembered
        pages = [
            page.limit
            for step in plan.steps()
            if isinstance(step, (OffsetPages, KeysetPages))
            for page in step.pages
        ]
        call = max(map(page_credits, pages), default=DEAREST)
        return cls(client, est.credits if sure else None, plan.spent[1], call)

    @property
    def rest(self) -> int | None:
        """The credits of the plan's calls not sent yet (None: not known)."""
        if self.needs is None:
            return None
        return max(0, self.needs - (self.client.credits_used - self.start))

    @property
    def left(self) -> int | None:
        """The org's credits left today on the safe side: Zoho's last figure less the calls
        sent since it came (the client's ``org_credits_left``), less the calls it may not
        count (None: no figure, or a stale one). Those are the calls sent after the call
        whose answer brought it, before it came, and the calls still out (Zoho charges a
        call when it runs it: calls out together may run in either order, and one answered
        since brought a newer figure, or an older one the client left aside), each at the
        most one of the read's calls costs. Which calls out the figure counts is not known:
        a call sent since it came, counted in ``org_credits_left``, is taken off again, on
        the safe side.

        >>> from types import SimpleNamespace
        >>> daily = SimpleNamespace(order=4, sends_then=6)  # 2 sent while the 4th's answer came
        >>> client = SimpleNamespace(credits_used=0, org_credits_left=20, daily=daily, in_flight=1)
        >>> RestOfRead(client, needs=None, call=3).left  # type: ignore[arg-type]
        11
        """
        return left_today(self.client, self.call)

    def grant(self, costs: list[int]) -> int:
        """How many of the pages a lazy read is about to ask for, costing ``costs`` in
        order, the org's credits left today pay for (all of them while Zoho has not said),
        counted as asked for: the pages asked for before and not sent yet (waiting for a
        free connection) are paid from the same credits.

        >>> from types import SimpleNamespace
        >>> daily = SimpleNamespace(order=1, sends_then=1)
        >>> client = SimpleNamespace(credits_used=0, org_credits_left=10, daily=daily, in_flight=0)
        >>> day = RestOfRead(client, needs=None)  # type: ignore[arg-type]
        >>> day.grant([3, 3]), day.grant([3, 3])  # the first two not sent yet
        (2, 1)
        """
        left = self.left
        granted = len(costs)
        if left is not None:
            unsent = max(0, self.asked - (self.client.credits_used - self.start))
            paid = unsent
            for n, cost in enumerate(costs):
                paid += cost
                if paid > left:
                    granted = n
                    break
        self.asked += sum(costs[:granted])
        return granted

    def refuses(self, asked: int | None = None) -> DailyLimitReached | None:
        """The refusal when the org's credits left today cannot pay for what the read asks
        for: ``asked``, the credits of the next page a lazy read asks for, or (None) the rest
        of the plan, when known; None when it can, or when nothing is known. The first
        refusal is kept (:attr:`refusal`) and given again."""
        if self.refusal is not None:
            return self.refusal
        needs = self.rest if asked is None else asked
        left = self.left
        if not needs or left is None or needs <= left:
            return None
        self.what = (
            f"the rest of it needs {needs:,} credits"
            if asked is None
            else f"the next page it asks for needs {needs:,} credits"
        )
        self.refusal = DailyLimitReached(
            self.message(self.what, left, self.spent + self.client.credits_used - self.start),
            needed=needs,
            left=max(0, left),
        )
        return self.refusal

    def stopped(self, rows: int, spent: int) -> DailyLimitReached:
        """The refusal once the read has stopped: with the rows it delivered, and ``spent``,
        the credits it spent, the calls already sent when it stopped (Zoho charges them)
        included.

        >>> from types import SimpleNamespace
        >>> daily = SimpleNamespace(order=0, sends_then=0)
        >>> client = SimpleNamespace(credits_used=0, org_credits_left=None, daily=daily, in_flight=0)
        >>> day = RestOfRead(client, needs=376, spent=1)  # type: ignore[arg-type]
        >>> client.credits_used, client.org_credits_left = 150, 150
        >>> refusal = day.refuses()
        >>> refusal.needed, refusal.left, day.refuses() is refusal
        (226, 150, True)
        >>> print(day.stopped(rows=100_000, spent=157))  # doctest: +ELLIPSIS
        the read cannot finish today: the rest of it needs 226 credits, and the org has 150 left...
        """
        assert self.refusal is not None
        left = self.refusal.left
        return DailyLimitReached(
            self.message(self.what, left, spent, rows), needed=self.refusal.needed, left=left
        )

    @staticmethod
    def message(what: str, left: int, spent: int, rows: int | None = None) -> str:
        """What stopped the read, what it needed, had, read and spent, and what to do."""
        read = "" if rows is None else f"{rows:,} {'row' if rows == 1 else 'rows'} and "
        return (
            f"the read cannot finish today: {what}, and the org has {max(0, left):,} left by "
            "what Zoho last said (X-API-CREDITS-REMAINING), the calls already out taken off; "
            f"stopped after {read}{spent:,} {'credit' if spent == 1 else 'credits'} (the calls "
            "already out included), before sending more, rather than spend the org's last "
            "credits on a read Zoho would refuse halfway (LIMIT_REACHED), leaving its other "
            "integrations none (credits come back as the day's rolling 24 hours move on: run "
            "it again later, when it is planned against the figure, a bulk read if one fits; "
            "or narrow it)"
        )
