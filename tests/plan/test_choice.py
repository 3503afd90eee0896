"""What a plan says about the plans it passed over, a bulk read's uncertain status polls,
and pages of groups that fail at the offset ceiling (review planner 4, 6, 7)."""

from __future__ import annotations

import pytest

from coqlkit.catalog import Catalog
from coqlkit.errors import CreditBudgetExceeded
from coqlkit.language import parse
from coqlkit.plan import Plan, PlanOptions, plan
from coqlkit.plan.explain import choice_text
from coqlkit.plan.steps import BulkRead, KeysetPages, OffsetPages
from tests.plan._support import count_probe

THREE = "select Last_Name, Email, Lead_Status from Leads"


def probed(text: str, rows: int, **options: object) -> Plan:
    select = parse(text)
    return plan(select, Catalog.demo(), PlanOptions(**options), probe=count_probe(select, rows))  # type: ignore[arg-type]


# ---- finding 6: the budget (or the day's credits) passes over the faster plan ----------------


def test_a_budget_that_forces_a_bulk_read_says_what_it_passed_over() -> None:
    found = probed(THREE, 120_000, max_credits=64)
    assert isinstance(found.root, BulkRead)
    assert found.choice is not None and found.choice.reason == "budget"
    assert (found.choice.over, found.choice.estimate.credits) == ("keyset pages", 181)
    line = "chosen over keyset pages (181 credits, ≈ 2.4 s): over the budget of 64"
    assert choice_text(found) == line
    assert found.explain().splitlines()[4].strip() == line  # under the bulk read's title


def test_the_org_credits_left_today_are_named_when_they_decide() -> None:
    # What the executor plans with when Zoho has said 146 credits are left (the probe spent).
    found = probed(THREE, 120_000, max_credits=147, day_left=146)
    assert choice_text(found) == (
        "chosen over keyset pages (181 credits, ≈ 2.4 s): the org has 146 credits left today"
    )


def test_what_is_left_of_a_session_budget_is_named() -> None:
    found = probed(THREE, 120_000, max_credits=100, budget_total=500)
    assert (choice_text(found) or "").endswith("over the 100 credits left of the budget of 500")


def test_no_note_when_the_fastest_plan_fits() -> None:
    found = probed(THREE, 120_000, max_credits=181)
    assert isinstance(found.root, KeysetPages) and found.choice is not None
    assert found.choice.reason == "cheaper"  # the budget passed nothing over
    assert "chosen over" not in found.explain()


def test_prefer_time_names_a_plan_at_most_half_as_costly() -> None:
    found = probed("select Last_Name from Leads", 500_000)
    assert isinstance(found.root, KeysetPages) and found.estimate.credits == 751
    assert (
        choice_text(found)
        == "bulk read would cost 157 credits + about 39 status polls, ≈ 182.1 s (prefer credits)"
    )
    assert choice_text(found) in found.explain()


def test_no_cheaper_note_when_the_saving_is_small_or_credits_are_preferred() -> None:
    small = probed("select Last_Name from Leads", 60_000)  # 91 credits against 66
    assert isinstance(small.root, OffsetPages) and small.choice is None
    assert probed("select Last_Name from Leads", 500_000, prefer="credits").choice is None


# ---- finding 7: status polls are "up to", and the budget weighs the certain part --------------


def test_the_status_polls_past_the_first_are_up_to_and_apart() -> None:
    found = probed(THREE, 120_000, prefer="credits")
    est = found.estimate
    # the probe, then the job's creation (50), one poll and the download (1 each): certain
    assert (est.calls, est.credits, est.polls) == (4, 53, 13)
    head = found.explain().splitlines()[0]
    assert "4 calls · 53 credits + about 13 status polls (1 credit each)" in head


def test_a_budget_the_certain_part_fits_runs_the_bulk_read() -> None:
    """The review: 60 credits refused a bulk read that cost 54 (estimated 64 with its polls)."""
    found = probed(THREE, 120_000, max_credits=60)
    assert isinstance(found.root, BulkRead)
    assert (
        "room in the budget for 7 of about 13 status polls, spaced to last the job's expected 60 s "
        "(bulk_job_seconds): a slower job stops unread: 50 credits lost" in " ".join(found.explain().split())
    )
    with pytest.raises(CreditBudgetExceeded) as caught:  # below the certain part: refused
        probed(THREE, 120_000, max_credits=52)
    assert caught.value.needed == 53
    assert "and about 13 status polls (1 credit each)" in str(caught.value)


def test_no_room_line_when_the_polls_fit() -> None:
    assert "room in" not in probed(THREE, 120_000, max_credits=66, prefer="credits").explain()


# ---- finding 4: pages of groups fail at the offset ceiling ----------------------------------


def test_open_ended_groups_say_what_happens_at_the_ceiling_and_what_it_costs() -> None:
    found = plan(parse("select Email, COUNT(id) from Leads group by Email"), Catalog.demo())
    step = found.root
    assert isinstance(step, OffsetPages) and step.open_ended and found.probe is None
    # a first page of 200 (1 credit), then 50 pages to 100,000 (the last of 1,800): 3 each
    assert step.ceiling_cost == (51, 151)
    # 100,001 records read and grouped here: 2 keyset windows, 50 pages of 2,000 and one of 1
    assert step.at_ceiling == ("keyset pages", 51, 151, 0)
    text = found.explain(width=None)
    assert "fails at" not in text
    assert (
        "held until they end; at 100,000 groups or more (Zoho pages groups no further), after 51 calls · "
        "151 credits: a COUNT of the records (1 call · 1 credit), then the records read as the count "
        "decides, within the budget, and grouped here (for 100,001 records, just past the ceiling: "
        "keyset pages · 51 calls · 151 credits)" in text
    )
    assert "strategy='bulk' reads the records in bulk and groups them here from the start" in text
    # The plan's figures are the pages of groups' first page, as before: no probe, no worst case.
    assert (found.estimate.calls, found.estimate.credits) == (1, 1)


def test_at_the_ceiling_prefer_credits_reads_the_records_in_bulk() -> None:
    options = PlanOptions(prefer="credits")
    step = plan(parse("select Email, COUNT(id) from Leads group by Email"), Catalog.demo(), options).root
    assert isinstance(step, OffsetPages) and step.at_ceiling == ("bulk read", 3, 52, 13)
    assert "bulk read · 3 calls · 52 credits + about 13 status polls)" in plan(
        parse("select Email, COUNT(id) from Leads group by Email"), Catalog.demo(), options
    ).explain(width=None)


def test_groups_whose_records_cannot_be_read_here_still_say_where_they_fail() -> None:
    """25 criteria leave keyset pages no room for 'id > <last id>', and a custom view cannot
    be read in bulk: past the ceiling nothing reads the records, so the pages fail there."""
    where = " and ".join(f"Company != 'c{i}'" for i in range(25))
    text = f"select Email, COUNT(id) from Leads where {where} group by Email"
    found = plan(parse(text), Catalog.demo(), PlanOptions(strategy="coql"))
    step = found.root
    assert isinstance(step, OffsetPages) and step.ceiling_cost == (51, 151) and step.at_ceiling is None
    explained = found.explain(width=None)
    assert (
        "fails at 100,000 groups or more (Zoho pages groups no further), after 51 calls · 151 credits: "
        "their records cannot be read to group them here" in explained
    )
    assert "fewer groups: a WHERE that matches fewer records, fewer grouped fields, or a LIMIT" in explained


def test_groups_from_an_offset_cost_less_to_reach_the_ceiling() -> None:
    step = plan(parse("select Email, COUNT(id) from Leads group by Email offset 50000"), Catalog.demo()).root
    assert isinstance(step, OffsetPages) and step.ceiling_cost == (26, 76)


def test_bounded_groups_say_nothing_of_the_ceiling() -> None:
    found = plan(parse("select Email, COUNT(id) from Leads group by Email limit 5000"), Catalog.demo())
    assert "fails at" not in found.explain()
