"""Credits: what a call costs, the budgets it is held on, the org's credits left today, and
one call's charge from the moment it is asked for to Zoho's answer.

Apart from :mod:`coqlkit.transport.client` because it is the client's bookkeeping, not its
sending: no call goes out from here, nothing waits, and nothing logs. The client holds a
:class:`_Charge` for each call (its ``request``), its own :class:`CreditBudget` (the
profile's ``credit_budget``) and one :class:`DailyCredits`; the names are re-exported from
:mod:`coqlkit.transport.client`, where they were.
"""

from __future__ import annotations

import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from coqlkit.errors import CreditBudgetExceeded, DailyLimitReached
from coqlkit.transport._errors import daily_limit, envelope

if TYPE_CHECKING:
    from coqlkit.transport.client import AsyncZohoClient

__all__ = [
    "BULK_CREDITS",
    "CreditBudget",
    "DailyCredits",
    "coql_credits",
]

BULK_CREDITS = 50  # "Bulk Read Initialize" (reference §9; UNVERIFIED for CRM v8)
_LIMIT = re.compile(r"\blimit\s+(\d+)(?:\s*,\s*(\d+))?(?:\s+offset\s+\d+)?\s*;?\s*$", re.I)


def coql_credits(query: str) -> int:
    """What a COQL call costs, by its LIMIT: 1 (up to 200 rows), 2 (1,000), 3 (2,000).

    >>> coql_credits("select id from Leads where id is not null"), coql_credits("... limit 500 offset 10")
    (1, 2)
    """
    m = _LIMIT.search(query)
    rows = 200 if m is None else int(m.group(2) or m.group(1))
    return 1 if rows <= 200 else 2 if rows <= 1000 else 3


@dataclass
class CreditBudget:
    """Credits a piece of work may spend; :meth:`reserve` refuses before anything is sent."""

    limit: int
    spent: int = 0
    name: str = "the budget"  # as a refusal names it ("the query's budget (max_credits)")
    #: Its latest refusals (pages asked for together may each be refused, and a read stops
    #: at whichever comes first): :meth:`refused` tells them from any other error.
    refusals: deque[CreditBudgetExceeded] = field(default_factory=lambda: deque(maxlen=64), repr=False)

    @property
    def left(self) -> int:
        return self.limit - self.spent

    def refused(self, exc: BaseException) -> bool:
        """Whether ``exc`` is one of this budget's (latest) refusals."""
        return any(exc is r for r in self.refusals)

    def reserve(self, credits: int, what: str = "this call") -> None:
        if credits > self.left:
            refusal = CreditBudgetExceeded(
                f"{what} would cost {credits} credit{'s' if credits != 1 else ''}; "
                f"{self.name} has {self.left} of {self.limit} left",
                needed=credits,
                left=self.left,
            )
            self.refusals.append(refusal)
            raise refusal
        self.spent += credits

    def refund(self, credits: int) -> None:
        self.spent = max(0, self.spent - credits)

    def on_wire(self, out: bool) -> None:
        """An attempt of the call holding credits here went out (True), or is over: answered,
        or its request never left (False). Nothing here; a caller's budget may track it."""

    def correct(self, credits: int) -> None:
        """A sent call cost ``credits`` more (or, negative, fewer) than it reserved: Zoho has
        charged it, so this may take the budget past its limit."""
        self.spent = max(0, self.spent + credits)


class DailyCredits:
    """The org's credits left today: Zoho's last ``X-API-CREDITS-REMAINING``, less the calls
    this client sent after the figure came.

    Calls waiting for a slot hold nothing: each is checked again as it is sent (a call
    waiting behind others was refused, with "0 left", for credits that calls queued ahead
    of it held and never spent when the read stopped; and the figure a read's planner saw
    shrank by another read's queue). Calls in flight when the figure came are taken as
    counted in it (Zoho charges a call when it runs it, before the answer travels back), so
    the estimate errs, by those calls at most, on the side of letting a call go: Zoho still
    has the last word (a 429 for the day, which costs nothing). A figure
    older than :attr:`fresh` seconds is not trusted (the day's credits are a rolling 24
    hours: they come back), and :attr:`left` is None again until a new one comes. Zoho sends
    the figure only once half the day's credits are used: until then (or until it refuses a
    call for the day) :attr:`left` is None, and nothing is refused before it is sent.
    """

    def __init__(self, fresh: float = 300.0) -> None:
        self.fresh = fresh
        self.figure: int | None = None  # what Zoho said (or, after a refusal for the day, implied)
        self.at = 0.0  # when (time.monotonic())
        self.epoch = 0  # one more with each figure: which sends it already counts
        self.order = -1  # the send number of the call whose answer gave the figure
        self.sends_then = -1  # the client's sequence when the figure came: those were in flight
        self.sent = 0  # credits of calls sent since the figure

    @property
    def left(self) -> int | None:
        """What Zoho's figure leaves once the calls sent since are charged (None: no figure,
        or a stale one). Fewer than a refused call's cost: that 429 was for the day's
        credits (:func:`daily_limit`).

        >>> daily = DailyCredits()
        >>> daily.saw(12, order=1, sends=1); daily.sent = 3
        True
        >>> daily.left
        9
        """
        if self.figure is None or time.monotonic() - self.at > self.fresh:
            return None
        return self.figure - self.sent

    def check(self, credits: int, what: str) -> None:
        left = self.left
        if left is not None and credits > left:
            raise DailyLimitReached(
                f"{what} would cost {credits} credits, and the org has {max(0, left):,} left "
                "today by what Zoho last said: refused before sending, as Zoho would refuse it "
                "(LIMIT_REACHED; credits come back as the day's rolling 24 hours move on)",
                needed=credits,
                left=max(0, left),
            )

    def saw(self, figure: int, order: int, sends: int) -> bool:
        """A figure from the answer to the call sent ``order``-th, ``sends`` calls having been
        sent by now; whether it was taken. Calls in flight together may be run by Zoho in
        any order: the answer of one already sent when the current figure came is an older
        view when it says more is left (it ran first), a newer one when it says less."""
        if self.figure is not None and order <= self.sends_then and figure >= self.figure - self.sent:
            return False
        self.figure, self.at, self.order, self.sends_then = figure, time.monotonic(), order, sends
        self.epoch += 1
        self.sent = 0
        return True

    def refused(self, credits: int, order: int, sends: int) -> None:
        """Zoho refused a call of ``credits`` for the day (``LIMIT_REACHED``, or a 429
        ``TOO_MANY_REQUESTS`` that says so): fewer than that are left."""
        left = self.left
        self.saw(credits - 1 if left is None else min(left, credits - 1), max(order, self.order), sends)


class _Charge:
    """The credits of one call, from the moment it is asked for to Zoho's answer.

    Held on the budgets from the start (a call waiting for a slot counts); checked against
    the org's credits today when asked for and again when sent (only calls sent count
    against those: :class:`DailyCredits`); spent, and
    counted in the client's ``credits_used``, when its request is sent; settled to the
    server's figure when an answer comes; given back when the request never left (a
    connection that could not be made) or the call ends before sending it.
    """

    def __init__(self, client: AsyncZohoClient, budgets: list[CreditBudget], credits: int, what: str) -> None:
        self.client, self.budgets, self.credits, self.what = client, budgets, credits, what
        self.held = False  # reserved on the budgets, not sent
        self.sent = False  # sent, its answer not in
        self.order = -1  # the client's send number of its last attempt
        self.epoch = -1  # the daily figure's epoch when it was sent
        self.charged = 0  # what the last answer cost, by the server's figure or the estimate
        self.day_left: int | None = (
            None  # the org's credits left by the client's count, after an error answer
        )
        self._hold()

    def _hold(self) -> None:
        daily = self.client.daily
        daily.check(self.credits, self.what)  # the org's credits today, as Zoho last said
        reserved: list[CreditBudget] = []
        try:
            for b in self.budgets:  # all or none
                b.reserve(self.credits, self.what)
                reserved.append(b)
        except CreditBudgetExceeded:
            for b in reserved:
                b.refund(self.credits)
            raise
        self.held = True

    def _daily_sent(self, credits: int) -> None:
        """Count ``credits`` (or, negative, take them back) as sent since the daily figure,
        unless a newer figure already counts this attempt."""
        if self.epoch == self.client.daily.epoch:
            self.client.daily.sent += credits

    def send(self) -> None:
        """The request is about to go: from now on Zoho may charge it. Refused first if the
        org's credits today no longer cover it: calls sent while it waited for a slot may
        have taken them."""
        if self.held:
            self.client.daily.check(self.credits, self.what)
        else:  # a retry after an attempt whose answer was lost (and maybe charged)
            self._hold()
        self.held, self.sent = False, True
        for b in self.budgets:
            b.on_wire(True)
        self.client.credits_used += self.credits
        self.client.sends += 1
        self.client.sequence += 1
        self.order, self.epoch = self.client.sequence, self.client.daily.epoch
        self._daily_sent(self.credits)

    def unsent(self) -> None:
        """The request never reached Zoho (no connection, or refused before the call): nothing
        spent, and no call made (``sends`` counts the calls Zoho received or may have, as its
        API-usage report does: a server down counted three calls a read never made)."""
        if self.sent:
            self.sent, self.held = False, True
            for b in self.budgets:
                b.on_wire(False)
            self.client.credits_used -= self.credits
            self.client.sends -= 1
            self._daily_sent(-self.credits)

    def answered(self, response: httpx.Response, *, unreadable: bool = False) -> None:
        """Zoho answered: what it charged, by its header, else the estimate (an error: nothing).

        ``unreadable``: a 2xx whose body cannot be read (cut off, a proxy's page): charged as
        a 2xx is (by the header, else the estimate), and held again for a retry as after an
        error answer."""
        if not self.sent:
            return
        ok = response.status_code < 400 and not unreadable
        charged = _header_int(response, "x-api-credits-charged")
        if charged is None:
            charged = self.credits if response.status_code < 300 else 0  # a 2xx is charged
        self.sent = False
        for b in self.budgets:
            b.on_wire(False)
        daily = self.client.daily
        if ok:
            self.client.credits_used += charged - self.credits
            for b in self.budgets:
                b.correct(charged - self.credits)
            self._daily_sent(charged - self.credits)
        else:  # held again for a retry (given back if none follows), plus anything charged
            self.held = True
            self.client.credits_used += charged - self.credits
            for b in self.budgets:
                b.correct(charged)
            self._daily_sent(charged - self.credits)
        self.charged = charged
        remaining = _header_int(response, "x-api-credits-remaining")
        # not an older view that came late:
        if remaining is not None and daily.saw(remaining, self.order, self.client.sequence):
            self.client.credits_remaining = remaining
        if not ok:  # this call taken back from what was sent: what is left for it
            self.day_left = daily.left
            if remaining is None and _day_spent(response, self.credits, self.day_left):
                daily.refused(self.credits, self.order, self.client.sequence)

    def release(self) -> None:
        """The call is over: give back a reservation that was never sent."""
        if self.held:
            self.held = False
            for b in self.budgets:
                b.refund(self.credits)


def _header_int(response: httpx.Response, name: str) -> int | None:
    raw = response.headers.get(name)
    return int(raw) if raw is not None and raw.strip().lstrip("-").isdigit() else None


def _day_spent(response: httpx.Response, credits: int, left: int | None) -> bool:
    """Zoho refused a call of ``credits`` for the org's credits of the day (``LIMIT_REACHED``,
    or a 429 ``TOO_MANY_REQUESTS`` whose message says so, or to which the client's count,
    ``left``, leaves fewer than it costs)."""
    if response.status_code != 429:
        return False
    body = envelope(response)
    code = str(body.get("code") or "")
    message = str(body.get("message") or "")
    return code == "LIMIT_REACHED" or daily_limit(429, code, message, credits=credits, left=left)
