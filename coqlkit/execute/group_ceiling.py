"""Pages of groups with no end known, and what runs when they reach Zoho's ceiling.

A GROUP BY of no LIMIT whose grouped fields can take any number of values (text, a lookup,
a number) is read as pages of groups of unknown number, with no COUNT probe: most such
queries have few groups, and cost a call or two. Zoho pages groups no further than 100,000
(offset + limit). The pages are held until they end (rows handed on cannot be taken back);
should they reach the ceiling with a full last page that Zoho does not say is the last
(``more_records: false`` says so: exactly as many groups as the ceiling, every one in, and
nothing more is spent), the records that match are counted then (one credit), their read
planned from that count as the planner would (keyset pages or a bulk read, the cost model
choosing: :func:`~coqlkit.plan.planner.grouped_here`) within what the query's budget, the
connection's and the org's credits today still leave, and the records are read and grouped
here instead. A read that does not fit is refused
before it is sent, the error saying what was spent and how to run the query; so is the
COUNT, when what is left cannot pay for it and the cheapest read of as many records as
the ceiling's groups (it would be spent for nothing).

The pages fetch every grouped field, those the query does not select too (the planner
projects them away above this step, and gives back its alias to a column fetched under
its own name beside a grouped field its alias is named like): a group is told apart from
another by all of them, and the records grouped here yield the same columns.

A lazy reader (``iter(result)``, DB-API ``fetchone``), which may want only the first rows,
gets the groups as they come instead, as from any pages: should they reach the ceiling,
the records grouped here follow, less the groups already handed on.

What ran at the ceiling is kept in the stats (:attr:`RunStats.later
<coqlkit.execute.RunStats.later>`): EXPLAIN ANALYZE shows it under the pages.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pyarrow as pa

from coqlkit.errors import CreditBudgetExceeded, DailyLimitReached, PlanError
from coqlkit.execute import finish
from coqlkit.execute.day import DEAREST, RestOfRead
from coqlkit.execute.scan import group_keys, metered
from coqlkit.language.ast import Select
from coqlkit.plan.explain import Actual, AtCeiling
from coqlkit.plan.groups import group_columns, with_grouped_fields
from coqlkit.plan.options import PlanOptions
from coqlkit.plan.planner import Plan, grouped_here, total
from coqlkit.plan.steps import OffsetPages, Step
from coqlkit.transport import AsyncZohoClient, CreditBudget

if TYPE_CHECKING:
    from coqlkit.execute.executor import RunStats

__all__ = ["GroupCeiling", "reach"]

Batches = AsyncGenerator[pa.RecordBatch, None]

#: What a COUNT costs: one call without a LIMIT, Zoho's 200-row tier.
COUNT_CREDITS = 1


def reach(pages: OffsetPages) -> int:
    """How many groups pages that reach Zoho's ceiling deliver: those from the query's
    OFFSET (their first page's) up to the ceiling."""
    start = pages.pages[0].offset if pages.pages else 0
    return max(1, pages.ceiling - start)


class GroupCeiling:
    """Pages of groups of a plan's read, held (or streamed to a lazy reader), and the
    records counted, read and grouped here should they reach Zoho's ceiling.

    ``run`` runs a step of the read (its figures in ``stats``); ``spent`` says what the read
    has spent so far; ``count`` is the COUNT of the query's records (its COQL); ``budget``
    the query's own, ``day`` the plan's rest against the org's credits today.
    """

    def __init__(
        self,
        client: AsyncZohoClient,
        plan: Plan,
        stats: RunStats,
        *,
        run: Callable[[Step, int], Batches],
        spent: Callable[[], int],
        count: str,
        budget: CreditBudget | None,
        day: RestOfRead | None,
    ) -> None:
        self.client = client
        self.plan = plan
        self.stats = stats
        self.run = run
        self.spent = spent
        self.count = count
        self.budget = budget
        self.day = day

    def held(self, step: OffsetPages, groups: Batches, ahead: int) -> Batches:
        """The pages' groups, held until they end; the records grouped here at the ceiling."""
        instead = functools.partial(self.records, step, ahead)
        return finish.groups_or_records(groups, instead, reach(step), self.stats.notes, note=False)

    async def streamed(self, step: OffsetPages, groups: Batches, ahead: int) -> Batches:
        """The pages' groups as they come, so that a reader who stops early spends what it
        read, as with any pages. At the ceiling, the groups handed on cannot be taken back:
        the records grouped here follow, less those groups (every group once; in the query's
        ORDER BY when it has one, the rest sorted by the same rules after those Zoho gave)."""
        # A group is told apart by every grouped field: the pages fetch those the query does
        # not select, and so do the records grouped here (both dropped after this step).
        keys = group_columns(step.columns, step.query.group_by)
        delivered: set[tuple[object, ...]] = set()
        rows = 0
        try:
            async with contextlib.aclosing(groups):
                async for batch in groups:
                    rows += batch.num_rows
                    if keys is not None:
                        delivered.update(group_keys(batch, keys))
                    yield batch
        except PlanError:
            if rows < reach(step) or keys is None:  # (None: the groups handed on cannot be told apart)
                raise
        else:
            return
        async with contextlib.aclosing(self.records(step, ahead)) as rest:
            async for batch in rest:
                mask = [k not in delivered for k in group_keys(batch, keys)]
                if not all(mask):
                    batch = batch.filter(pa.array(mask, pa.bool_()))
                if batch.num_rows:
                    yield batch

    async def records(self, step: OffsetPages, ahead: int) -> Batches:
        """The pages reached the ceiling: the records that match, counted now (one credit),
        read as the planner picks from that count within what is left, grouped and
        aggregated here, sorted and sliced as the query says. Refused before the COUNT, or
        before the read, when it cannot be paid for: the error says what was spent."""
        pages = self.stats.actual(step)
        reached = (
            f"the pages of groups reached Zoho's {step.ceiling:,}-group ceiling (it pages them no "
            f"further) after {_plural(pages.calls, 'call')} · {_plural(pages.credits, 'credit')}"
        )
        self.affordable(step, reached)
        counted = Actual()
        found = await metered(counted, self.budget, functools.partial(self.client.coql, self.count))
        value = next(iter(found.records[0].values()), 0) if found.records else 0
        records = int(value or 0)
        at = AtCeiling(self.count, records, counted)
        self.stats.later[id(step)] = at  # its COUNT is spent, and counted
        read = self.planned(reached, records)
        self.stats.later[id(step)] = replace(at, read=read)
        est = total(read)
        self.stats.notes.append(
            f"the groups reached Zoho's {step.ceiling:,}-group ceiling (it pages them no further) after "
            f"{_plural(pages.credits, 'credit')}: a COUNT found {records:,} records, read instead "
            f"({_plural(est.calls, 'call')} · {_plural(est.credits, 'credit')} planned) and grouped "
            "here; strategy='bulk' groups the records here from the start, without the pages of groups"
        )
        if self.day is not None and est.calls_bound == "exact":
            # The read's rest is known for sure now: weighed against the day as it goes.
            self.day.needs = self.client.credits_used - self.day.start + est.credits
            self.day.call = max(self.day.call, DEAREST)
        async with contextlib.aclosing(self.run(read, ahead)) as batches:
            async for batch in batches:
                yield batch

    def affordable(self, step: OffsetPages, reached: str) -> None:
        """Refuse before the COUNT when what is left cannot pay for it and the cheapest read
        of the fewest records there can be: as many as the groups, ``step.ceiling`` at least
        (an OFFSET's groups are groups too), or when no way can read them. The COUNT would
        be spent for nothing."""
        room = self.room()
        least = step.ceiling
        options = self.options(None if room is None else room[0] - COUNT_CREDITS, room)
        assert self.plan.catalog is not None  # (the executor runs pages of groups so only with one)
        try:
            read = grouped_here(self.select, self.plan.catalog, options, rows=least)
        except PlanError as exc:
            raise PlanError(
                f"{reached}, and their records cannot be read to group them here: {exc}; stopped "
                f"there, {_plural(self.spent(), 'credit')} spent, no COUNT made"
            ) from None
        floor = total(read).credits
        if room is None or COUNT_CREDITS + floor <= room[0]:
            return
        spent = self.spent()
        raise _refusal(
            room,
            f"{reached}; counting the records to read and group them here costs {COUNT_CREDITS} "
            f"credit, and reading them at least {_plural(floor, 'credit')} more ({_names(read)}, the "
            f"cheapest way, for {least:,} records, the fewest that make so many groups), and "
            f"{room[1]}: stopped there, {_plural(spent, 'credit')} spent, no COUNT made; run it with "
            "strategy='bulk' (its records read in bulk and grouped here), with a budget of at least "
            f"{spent + COUNT_CREDITS + floor:,}, or with a WHERE that matches fewer records",
            COUNT_CREDITS + floor,
        )

    @property
    def select(self) -> Select:
        """The query grouped here: the plan's, with the grouped fields it does not select
        (its pages fetched them: the records grouped here yield the same columns)."""
        return with_grouped_fields(self.plan.select)

    def options(self, credits: int | None, room: tuple[int, str, bool] | None) -> PlanOptions:
        """The plan's options for a read at the ceiling that may spend ``credits`` (None: any)."""
        options = replace(self.plan.options, max_credits=None, day_left=None, budget_total=None)
        if credits is None or room is None:
            return options
        credits = max(0, credits)
        return replace(options, max_credits=credits, day_left=credits if room[2] else None)

    def planned(self, reached: str, records: int) -> Step:
        """The read of ``records`` records, grouped here, planned within what is left; a
        refusal saying what was spent when it does not fit."""
        plan = self.plan
        assert plan.catalog is not None  # (the executor runs pages of groups so only with one)
        room = self.room()
        options = self.options(None if room is None else room[0], room)
        found = f"{reached}, and a COUNT found {records:,} records"
        try:
            read = grouped_here(self.select, plan.catalog, options, rows=records)
        except PlanError as exc:
            raise PlanError(f"{found}, which cannot be read to group them here: {exc}") from None
        est = total(read)
        if room is None or est.credits <= room[0]:
            return read
        spent = self.spent()
        raise _refusal(
            room,
            f"{found}: reading them to group them here would cost {_plural(est.credits, 'credit')} "
            f"more ({_names(read)}, the cheapest way), and {room[1]}: refused before the read, "
            f"{_plural(spent, 'credit')} spent (the pages of groups and the COUNT); "
            f"run it with strategy='bulk'{self.bulk_cost(records)}, with a budget of at least "
            f"{spent + est.credits:,}, or with a WHERE that matches fewer records",
            est.credits,
        )

    def room(self) -> tuple[int, str, bool] | None:
        """What the read may still spend, the tightest of the query's budget (max_credits),
        the connection's (credit_budget) and the org's credits left today: (credits, how
        that is said, whether it is the day's); None: nothing limits it."""
        found: list[tuple[int, str, bool]] = []
        for budget in (self.budget, self.client.budget):
            if budget is not None:
                day = budget is self.budget and self.plan.options.day_left is not None
                found.append(
                    (budget.left, f"{budget.name} has {budget.left:,} of {budget.limit:,} left", day)
                )
        day_left = self.client.org_credits_left
        if day_left is not None:
            found.append((day_left, f"the org has {max(0, day_left):,} credits left today", True))
        return min(found, key=lambda f: f[0]) if found else None

    def bulk_cost(self, records: int) -> str:
        """`` (the records counted, read in bulk and grouped here from the start: 105
        credits for these)``; empty when they cannot be read in bulk."""
        plan = self.plan
        assert plan.catalog is not None
        options = replace(plan.options, strategy="bulk", max_credits=None, day_left=None, budget_total=None)
        try:
            est = total(grouped_here(self.select, plan.catalog, options, rows=records))
        except PlanError:
            return ""
        polls = f" + about {est.polls:,} status polls" if est.polls else ""
        return (
            " (the records counted, read in bulk and grouped here from the start: "
            f"{_plural(est.credits + COUNT_CREDITS, 'credit')}{polls} for these)"
        )


def _refusal(room: tuple[int, str, bool], message: str, needed: int) -> CreditBudgetExceeded:
    left = max(0, room[0])
    if room[2]:
        return DailyLimitReached(message, needed=needed, left=left)
    return CreditBudgetExceeded(message, needed=needed, left=left)


def _plural(number: int, noun: str) -> str:
    return f"{number:,} {noun if number == 1 else noun + 's'}"


def _names(step: Step) -> str:
    """The steps of ``step`` that call Zoho, as EXPLAIN names them (``keyset pages``)."""
    return " + ".join(dict.fromkeys(s.name for s in _leaves(step)))


def _leaves(step: Step) -> list[Step]:
    return [step] if not step.children else [leaf for child in step.children for leaf in _leaves(child)]
