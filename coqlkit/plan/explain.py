"""EXPLAIN: a plan as a readable tree, with the COQL each step sends and what it costs.

::

    Plan: 12,345 rows · 8 calls · 21 credits · ≈ 0.6 s (10 calls at once, 300 ms each)
    ├─ COUNT probe · 1 call · 1 credit · 12,345 records match
    │    select COUNT(id) from Leads where Lead_Status = 'Contacted'
    └─ offset pages · 7 pages of up to 2,000 rows · 7 calls · 20 credits · 12,345 rows
         select Last_Name from Leads where Lead_Status = 'Contacted' order by id asc limit 2000 offset 0
         ... offset 12000 (7 pages; the last has limit 345)

Each step shows the COQL text it sends (the first page of a paged scan, and where its
pages end), wrapped to ``width`` columns between words: joined with single spaces, the
lines give back the exact text. A keyset window after the first adds ``id > :last_id``,
the last id of the window before. Figures without a row count are bounds: "up to" a
LIMIT's rows, "at most" the calls of pages that stop at the first short one, "at least"
those of a scan that goes on until one comes back short. A bulk read's status polls after
each job's first are "up to" as many as its expected time gives (as many as the job takes).

Under the chosen step, a line says when the budget (or the org's credits left today) made
the planner pass over a faster plan, or when a plan at most half as costly was slower
(:func:`choice_text`); pages of groups with no end known say what happens should they
reach Zoho's 100,000-group ceiling: a COUNT then, and the records read as it decides and
grouped here (what that costs for 100,001 records, just past the ceiling).

With actual figures (EXPLAIN ANALYZE) each step also shows ``actual: calls, credits, rows, time``,
and pages of groups that reached the ceiling show under them the COUNT and the read that
took over (:class:`AtCeiling`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from coqlkit.catalog.limits import BULK_READ_CREDITS
from coqlkit.language.ast import And, Comparison, FieldRef, Limit, Number, Select
from coqlkit.language.render import render, render_value
from coqlkit.plan.steps import (
    PENDING_BASE,
    Bound,
    BulkRead,
    ColumnSplit,
    GroupsOrRecords,
    InUnion,
    KeysetPages,
    LocalAggregate,
    LocalProject,
    LocalSlice,
    LocalSort,
    OffsetPages,
    Page,
    SingleCall,
    Step,
    SubqueryRead,
)

__all__ = ["Actual", "AtCeiling", "ago", "choice_text", "explain"]

#: Lines are wrapped to this many columns (a word longer than a line keeps its own line).
WIDTH = 100
_MIN_TEXT = 40  # however deep the tree, a body line keeps at least this much room
_CONTINUED = "    "  # the indent of a wrapped line's continuation
_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_GLUE = frozenset({"limit", "offset", "order", "group", "by"}) | _OPERATORS
_GLUE_AFTER = frozenset({"asc", "desc", "asc,", "desc,"}) | _OPERATORS
_LAST_ID = ":last_id"
_NONE = "no call: no record matches"
_SENTINEL = 918_273_645_546_372_819  # rendered, then replaced by :last_id


@dataclass
class Actual:
    """What a step really did (EXPLAIN ANALYZE)."""

    calls: int = 0
    credits: int = 0
    rows: int = 0
    seconds: float = 0.0
    repeats: int = 0  # records dropped as already delivered: rows shifted during the read


@dataclass(frozen=True)
class AtCeiling:
    """What ran when pages of groups reached Zoho's ceiling, planned then (EXPLAIN ANALYZE
    shows it under them): the COUNT of the records (``query``, the ``records`` it found, its
    call in ``count``) and their read, grouped here (``read``; None: refused before it ran)."""

    query: str
    records: int
    count: Actual
    read: Step | None = None


def explain(
    plan: Any,
    actuals: Mapping[int, Actual] | None = None,
    *,
    width: int | None = WIDTH,
    recount: tuple[int, int] | None = None,
    later: Mapping[int, AtCeiling] | None = None,
) -> str:
    """The plan as a tree of text lines; ``actuals`` by ``id(step)`` adds EXPLAIN ANALYZE figures.

    ``width``: wrap the COQL text (and a bulk read's fields and criteria) to this many
    columns; None keeps each on one line. ``recount``: the records and credits of a COUNT
    made after a read planned from a remembered count (EXPLAIN ANALYZE). ``later``: what
    ran at Zoho's ceiling, by ``id(step)`` of the pages of groups that reached it.

    >>> from coqlkit.catalog import Catalog
    >>> from coqlkit.language import parse
    >>> from coqlkit.plan import plan
    >>> print(plan(parse("select Last_Name from Leads limit 10"), Catalog.demo()).explain())
    Plan: up to 10 rows · 1 call · 1 credit · ≈ 0.3 s (10 calls at once, 300 ms each)
    └─ single call · 1 call · 1 credit · up to 10 rows
         select Last_Name from Leads where id is not null limit 10
    """
    total = plan.estimate
    opts = plan.options
    rows = _rows(total.rows, total.rows_bound)
    if total.rows is None and plan.probe is None and not (plan.select.aggregates or plan.select.group_by):
        pending = not all(sub.read for sub in plan.subqueries)
        rows += " (counted once the subquery is read)" if pending else " (no COUNT probe)"
    head = (
        f"Plan: {rows} · {_calls(total.calls, total.calls_bound)} · "
        f"{_credits(total.credits, total.calls_bound)}{_polls(total.polls, each=True)} · "
        f"≈ {total.seconds:.1f} s ({opts.concurrency} calls at once, {opts.latency_ms:g} ms each)"
    )
    lines = [head]
    children: list[_Node] = []
    for sub in plan.subqueries:
        cost = f"{_calls(sub.calls, 'exact')} · {_credits(sub.credits, 'exact')}"
        if not sub.read and sub.rows is None:
            title = (
                "subquery to read first when run, its values in its place · not counted (no COUNT "
                f"probe) · at least {_calls(sub.calls, 'exact')} · {_credits(sub.credits, 'exact')}"
            )
        elif not sub.read:
            title = (
                f"subquery to read first when run · {_count(sub.rows, 'record')} (Zoho uses 100 "
                f"records at most) · counted: 1 credit; the read ≈ {_calls(sub.calls - 1, 'exact')} · "
                f"{_credits(sub.credits - 1, 'exact')}"
            )
        elif sub.inlined:
            read = _count(sub.rows or 0, "value")
            if sub.records is not None and sub.records != sub.rows:
                read = f"{_count(sub.records, 'record')}, {read}"
            title = f"subquery read first · {read} (Zoho uses 100 records at most) · {cost}"
        else:
            title = f"subquery counted · {_count(sub.rows or 0, 'record')}: Zoho takes them all · {cost}"
        children.append((title, [sub.query], []))
    if plan.probe is not None and plan.probe.age is not None:
        matched = _count(plan.probe.rows or 0, "record")
        children.append(
            (
                f"COUNT remembered · no call · {matched} matched {ago(plan.probe.age)} "
                "(the last page checks it, and the read goes on past it if need be)",
                [plan.probe.query],
                [],
            )
        )
    elif plan.probe is not None:
        found = "" if plan.probe.rows is None else f" · {_count(plan.probe.rows, 'record')} match"
        children.append((f"COUNT probe · 1 call · 1 credit{found}", [plan.probe.query], []))

    title, body, kids = _step(plan.root, actuals, _notes(plan), later or {})
    skipped = plan.select.limit.rows()[1] if plan.select.limit is not None else None
    if title.startswith(_NONE) and skipped and plan.probe is not None and plan.probe.rows:
        title = f"no call: no record past offset {skipped:,}" + title[len(_NONE) :]
    children.append((title, body, kids))
    if recount is not None and plan.probe is not None:
        found_rows, spent = recount
        children.append(
            (
                f"COUNT after the read · 1 call · {_credits(spent, 'exact')} · {_count(found_rows, 'record')} "
                "match (the rows read were not the remembered figure)",
                [plan.probe.query],
                [],
            )
        )
    _tree(lines, children, "", width, _shown(plan.subqueries))
    return "\n".join(lines)


_Node = tuple[str, list[str], list[Any]]


def ago(seconds: float) -> str:
    """``12 s ago``, ``3 min ago``.

    >>> ago(0.4), ago(59.6), ago(61), ago(3599)
    ('0 s ago', '60 s ago', '1 min ago', '60 min ago')
    """
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago"


def _tree(
    lines: list[str],
    nodes: Sequence[_Node],
    prefix: str,
    width: int | None,
    shown: Callable[[str], str] | None = None,
) -> None:
    """``shown``: what a body line shows of its text (see :func:`_shown`)."""
    for index, (title, body, kids) in enumerate(nodes):
        last = index == len(nodes) - 1
        lines.append(f"{prefix}{'└─ ' if last else '├─ '}{title}")
        inner = prefix + ("   " if last else "│  ")
        for text in body:
            if shown is not None:
                text = shown(text)
            indent = len(text) - len(text.lstrip(" "))
            lead = f"{inner}  {' ' * indent}"
            room = None if width is None else max(_MIN_TEXT, width - len(lead))
            for number, piece in enumerate(wrap(text.lstrip(" "), room)):
                lines.append(f"{lead}{_CONTINUED if number else ''}{piece}".rstrip())
        _tree(lines, kids, inner, width, shown)


def wrap(text: str, width: int | None) -> list[str]:
    """``text`` in lines of at most ``width`` characters (continuations 4 fewer), broken
    only at spaces outside quoted strings: joined with single spaces, they are ``text``.

    >>> wrap("select Last_Name, First_Name from Leads where Last_Name = 'de la Cruz'", 40)
    ['select Last_Name, First_Name from Leads', "where Last_Name = 'de la Cruz'"]
    """
    words = _words(text)
    if width is None or not words:
        return [text]
    lines: list[str] = []
    line = words[0]
    for word in words[1:]:
        room = width - (len(_CONTINUED) if lines else 0)
        if len(line) + 1 + len(word) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}"
    lines.append(line)
    return lines


def _words(text: str) -> list[str]:
    """``text`` split at single spaces outside '...' and "..." (with \\ escapes) and the
    ``<N values of the subquery>`` that stand for a subquery not read yet."""
    words: list[str] = []
    start, quote, escaped = 0, "", False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quote:
            if char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "<" and text[index + 1 : index + 2].isdigit():  # <50 values of the subquery>
            quote = ">"
        elif char == " ":
            words.append(text[start:index])
            start = index + 1
    words.append(text[start:])
    if any(not w for w in words):  # runs of spaces: keep the text as it is
        return [text]
    # Kept together: a keyword and what follows it ("limit 2000", "order by id asc"), a
    # comparison ("id > :last_id") and a JSON key and its value.
    glued: list[str] = []
    for word in words:
        last = glued[-1].rsplit(" ", 1)[-1].lower() if glued else ""
        if glued and (last in _GLUE or last.endswith(":") or word.lower() in _GLUE_AFTER):
            glued[-1] = f"{glued[-1]} {word}"
        else:
            glued.append(word)
    return glued


def choice_text(plan: Any) -> str | None:
    """Why the plan is not the fastest, or that a much cheaper one exists (None: neither):
    ``chosen over keyset pages (181 credits, ≈ 2.4 s): over the budget of 64``, or
    ``bulk read would cost 53 credits + about 13 status polls, ≈ 60.9 s (prefer credits)``."""
    choice = plan.choice
    if choice is None:
        return None
    est = choice.estimate
    cost = f"{_credits(est.credits, est.calls_bound)}{_polls(est.polls)}, ≈ {est.seconds:.1f} s"
    if choice.reason == "budget":
        return f"chosen over {choice.over} ({cost}): {plan.options.limit_text()}"
    return f"{choice.over} would cost {cost} (prefer credits)"


def _notes(plan: Any) -> dict[int, list[str]]:
    """Lines to show under a step, by ``id(step)``, before its own (after them when they
    start with ``+``): why the plan was chosen (under its root); how many status polls a
    budget leaves room for; where pages of groups fail."""
    notes: dict[int, list[str]] = {}
    chosen = choice_text(plan)
    if chosen is not None:
        notes.setdefault(id(plan.root), []).append(chosen)
    opts = plan.options
    polled = False
    for step in plan.steps():
        if isinstance(step, OffsetPages) and step.ceiling_cost is not None:
            notes.setdefault(id(step), []).extend(_at_ceiling(step))
        if isinstance(step, OffsetPages) and step.most_groups is not None:
            notes.setdefault(id(step), []).append(
                f"+at most {_count(step.most_groups, 'group')} (the values of the grouped fields, or the records "
                f"that match): they end below Zoho's {opts.offset_ceiling:,}-group ceiling"
            )
        if isinstance(step, BulkRead) and not polled and opts.max_credits is not None:
            polled = True
            est = plan.estimate
            room = max(0, opts.max_credits - est.credits)
            if room < est.polls:
                whose = "the credits left today" if opts.day_left is not None else "the budget"
                spaced = (
                    f", spaced to last the job's expected {opts.bulk_job_seconds:g} s (bulk_job_seconds)"
                    if room
                    else ""
                )
                notes.setdefault(id(step), []).append(
                    f"room in {whose} for {room:,} of about {_count(est.polls, 'status poll')}{spaced}: "
                    f"a slower job stops unread: {BULK_READ_CREDITS} credits lost"
                )
    return notes


def _at_ceiling(step: OffsetPages) -> tuple[str, ...]:
    """What pages of groups with no end known do at Zoho's ceiling, and what it costs."""
    assert step.ceiling_cost is not None
    calls, credits = step.ceiling_cost
    reached = (
        f"{step.ceiling:,} groups or more (Zoho pages groups no further), after {_calls(calls)} · "
        f"{_credits(credits)}"
    )
    if step.at_ceiling is None:
        return (
            f"+fails at {reached}: their records cannot be read to group them here",
            "+fewer groups: a WHERE that matches fewer records, fewer grouped fields, or a LIMIT",
        )
    names, read_calls, read_credits, polls = step.at_ceiling
    return (
        f"+held until they end; at {reached}: a COUNT of the records (1 call · 1 credit), then the "
        "records read as the count decides, within the budget, and grouped here "
        f"(for {step.ceiling + 1:,} records, just past the ceiling: {names} · "
        f"{_calls(read_calls)} · {_credits(read_credits)}{_polls(polls)})",
        "+many groups: strategy='bulk' reads the records in bulk and groups them here from the "
        "start, without the pages of groups",
    )


def _step(
    step: Step,
    actuals: Mapping[int, Actual] | None,
    notes: Mapping[int, list[str]],
    later: Mapping[int, AtCeiling],
) -> _Node:
    est = step.estimate
    title, body = _describe(step)
    extra = notes.get(id(step), [])
    body = [n for n in extra if n[0] != "+"] + body + [n[1:] for n in extra if n[0] == "+"]
    if est.calls:
        title += f" · {_calls(est.calls, est.calls_bound)} · {_credits(est.credits, est.calls_bound)}"
        title += _polls(est.polls)
    if est.rows is not None:
        title += f" · {_rows(est.rows, est.rows_bound)}"
    actual = actuals.get(id(step)) if actuals else None
    if actual is not None:
        title += _actual(actual)
    kids = [_step(child, actuals, notes, later) for child in step.children]
    at = later.get(id(step))
    if at is not None:
        kids.append(_ceiling_node(at, actuals, notes, later))
    return title, body, kids


def _actual(actual: Actual) -> str:
    return (
        f" · actual: {_calls(actual.calls)}, {_credits(actual.credits)}, "
        f"{_count(actual.rows, 'row')}, {actual.seconds:.2f} s"
    )


def _ceiling_node(
    at: AtCeiling,
    actuals: Mapping[int, Actual] | None,
    notes: Mapping[int, list[str]],
    later: Mapping[int, AtCeiling],
) -> _Node:
    """The COUNT made at Zoho's ceiling and the read planned from it, under the pages of groups."""
    count = (
        f"COUNT · 1 call · 1 credit · {_count(at.records, 'record')} match · actual: "
        f"{_calls(at.count.calls)}, {_credits(at.count.credits)}"
    )
    kids: list[_Node] = [(count, [at.query], [])]
    title = "at the ceiling: the records counted, then read and grouped here instead"
    if at.read is None:
        title += " · refused before the read (see the error)"
    else:
        kids.append(_step(at.read, actuals, notes, later))
    return title, [], kids


def _describe(step: Step) -> tuple[str, list[str]]:
    if isinstance(step, SingleCall):
        return "single call", [render(step.query)]
    if isinstance(step, OffsetPages):
        return _offset(step)
    if isinstance(step, KeysetPages):
        return _keyset(step)
    if isinstance(step, BulkRead):
        criteria = "none" if step.criteria is None else json.dumps(step.criteria, ensure_ascii=False)
        return (
            f"bulk read · {_count(step.pages, 'job')} of up to {step.page_rows:,} records, zipped CSV",
            [f"module {step.module}; fields {', '.join(step.fields)}", f"criteria {criteria}"],
        )
    if isinstance(step, ColumnSplit):
        return f"column split · {_count(len(step.parts), 'scan')} of up to 50 columns, joined on id", []
    if isinstance(step, InUnion):
        return (
            f"IN split · {_count(len(step.parts), 'query', 'queries')} of up to {step.per_query:,} values"
            f"{' (INs of 50)' if step.per_query > 50 else ''}, rows merged in id order, each id once",
            [],
        )
    if isinstance(step, LocalSort):
        keys = ", ".join(f"{k} {'desc' if d else 'asc'}" for k, d in step.keys)
        return f"local sort by {keys} (the rows are held in memory)", [step.why] if step.why else []
    if isinstance(step, LocalSlice):
        parts = [] if step.limit is None else [f"limit {step.limit:,}"]
        parts += [f"offset {step.offset:,}"] if step.offset or step.limit is None else []
        return f"local {' '.join(parts)}", []
    if isinstance(step, GroupsOrRecords):
        calls, credits = step.ceiling
        polls = sum(s.estimate.polls for s in _walk(step.records))
        return (
            f"pages of groups, held until they end ({step.matched:,} records match: they may reach "
            "Zoho's ceiling)",
            [
                f"at 100,000 groups (Zoho pages groups no further), after {_calls(calls)} · "
                f"{_credits(credits)}, the records are read and grouped here instead (below): "
                f"at most {_credits(step.worst)}{_polls(polls)} in all",
            ],
        )
    if isinstance(step, LocalAggregate):
        return f"local aggregate by {', '.join(step.group) or '(all rows)'}", []
    if isinstance(step, LocalProject):
        return "local projection to the query's columns", []
    return step.name, []  # pragma: no cover


def _walk(step: Step) -> list[Step]:
    """``step`` and every step under it."""
    return [step, *(s for child in step.children for s in _walk(child))]


def _offset(step: OffsetPages) -> tuple[str, list[str]]:
    if not step.pages:
        return _NONE, []
    if step.open_ended:
        return "offset pages, on until one comes back short", _pages(step.query, step.pages)
    size = max(p.limit for p in step.pages)
    title = f"offset pages · {_count(len(step.pages), 'page')} of up to {size:,} rows"
    if step.verify:
        title += ", stopping at a short one, reading on past a full last one if Zoho has more"
    elif step.until_short:
        title += ", stopping at the first short one"
    return title, _pages(step.query, step.pages)


def _keyset(step: KeysetPages) -> tuple[str, list[str]]:
    windows = max(p.window for p in step.pages) + 1
    title = "keyset pages · " + ("windows" if step.open_ended else _count(windows, "window"))
    title += f" of up to {step.window_rows:,} rows in id order"
    if step.open_ended:
        title += ", on until a page comes back short"
    if step.skipped:
        title += " (the first skipped)" if step.skipped == 1 else f" (the first {step.skipped} skipped)"
    body: list[str] = []
    for first, last, pages in _window_groups(step.pages):
        span = f"window {first + 1}" if first == last else f"windows {first + 1}–{last + 1}"
        if pages[0].skip:
            what = (
                "skipped: only its last row, for its id" if first == last else "skipped: their last ids only"
            )
        elif step.open_ended:
            what = "page after page, then each next window from the last id of the one before"
        else:
            what = _count(len(pages), "page") + (" each" if first != last else "")
        body.append(f"{span} · {what}")
        body += [f"  {text}" for text in _pages(_window_query(step.query, first), pages, counted=False)]
    if any(_LAST_ID in line for line in body):
        body.append(f"{_LAST_ID} is the last id of the window before (its last page is asked for first)")
    return title, body


def _window_groups(pages: Sequence[Page]) -> list[tuple[int, int, list[Page]]]:
    """Runs of windows whose pages are alike (the first window always alone: it has no
    ``id > :last_id``): (first window, last window, the first one's pages)."""
    by_window: dict[int, list[Page]] = {}
    for page in pages:
        by_window.setdefault(page.window, []).append(page)
    groups: list[tuple[int, int, list[Page]]] = []
    for window in sorted(by_window):
        shape = [(p.offset, p.limit, p.skip) for p in by_window[window]]
        if groups and groups[-1][0] > 0 and [(p.offset, p.limit, p.skip) for p in groups[-1][2]] == shape:
            first, _, kept = groups[-1]
            groups[-1] = (first, window, kept)
        else:
            groups.append((window, window, by_window[window]))
    return groups


def _window_query(query: Select, window: int) -> Select:
    """The query a window's pages send: after the first, with ``id > :last_id`` (as the
    executor adds it: alone when there is no WHERE, else ANDed to it)."""
    if window == 0:
        return query
    after = Comparison(FieldRef(("id",)), ">", Number(_SENTINEL))
    where = after if query.where is None else And(query.where, after, parens=1)
    return replace(query, where=where)


def _pages(query: Select, pages: Sequence[Page], *, counted: bool = True) -> list[str]:
    """The first page's COQL, and where the last page starts (``counted``: and how many)."""
    if not pages:
        return []
    first = _render(replace(query, limit=Limit(pages[0].limit, pages[0].offset)))
    if len(pages) == 1:
        return [first]
    last = pages[-1]
    notes = [f"{len(pages)} pages"] if counted else []
    if last.limit != pages[0].limit:
        notes.append(f"the last has limit {last.limit}")
    return [first, f"... offset {last.offset}" + (f" ({'; '.join(notes)})" if notes else "")]


_PENDING = re.compile(rf"\b{str(PENDING_BASE)[:13]}\d{{6}}\b(?:, {str(PENDING_BASE)[:13]}\d{{6}}\b)*")
# A list of numbers in COQL, "(1, 2, 3)", or in a bulk read's JSON criteria, "[1, 2, 3]".
_NUMBERS = re.compile(r"(?<=\()\d+(?:, \d+)+(?=\))|(?<=\[)\d+(?:, \d+)+(?=\])")


def _values(count: int) -> str:
    return f"<{_count(count, 'value')} of the subquery>"


def _shown(subqueries: Sequence[SubqueryRead]) -> Callable[[str], str] | None:
    """How the COQL of a plan with subqueries read first is shown: a list of a subquery's
    values (thousands of ids, once inlined) as ``<50 values of the subquery>``, as are the
    stand-ins of one not read yet (EXPLAIN without ANALYZE). None: shown as it is."""
    pending = not all(sub.read for sub in subqueries)
    inlined = frozenset(render_value(v) for sub in subqueries for v in sub.values)
    if not pending and not inlined:
        return None

    def shown(text: str) -> str:
        if pending:
            text = _PENDING.sub(lambda found: _values(found.group(0).count(",") + 1), text)
        if inlined:
            text = _NUMBERS.sub(lambda found: _inlined(found.group(0), inlined), text)
        return text

    return shown


def _inlined(numbers: str, values: frozenset[str]) -> str:
    items = numbers.split(", ")
    return _values(len(items)) if all(item in values for item in items) else numbers


def _render(query: Select) -> str:
    return render(query).replace(f"id > {_SENTINEL}", f"id > {_LAST_ID}")


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


_PREFIX: dict[Bound, str] = {"exact": "", "at most": "at most ", "at least": "at least "}


def _rows(rows: int | None, bound: Bound) -> str:
    if rows is None:
        return "rows unknown"
    return ("up to " if bound == "at most" else "") + _count(rows, "row")


def _calls(calls: int, bound: Bound = "exact") -> str:
    return _PREFIX[bound] + _count(calls, "call")


def _credits(credits: int, bound: Bound = "exact") -> str:
    return _PREFIX[bound] + _count(credits, "credit")


def _polls(polls: int, *, each: bool = False) -> str:
    """`` + about 13 status polls``: a bulk read's polls past each job's first."""
    if not polls:
        return ""
    return f" + about {_count(polls, 'status poll')}" + (" (1 credit each)" if each else "")
