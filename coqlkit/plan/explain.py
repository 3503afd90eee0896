"""EXPLAIN: a plan as a readable tree, with the COQL each step sends and what it costs.

::

    Plan: 12,345 rows · 8 calls · 21 credits · ≈ 0.6 s (10 calls at once, 300 ms each)
    ├─ COUNT probe · 1 call · 1 credit · 12,345 records match
    │    select COUNT(id) from Leads where Lead_Status = 'Contacted'
    └─ offset pages · 7 pages of up to 2,000 rows, 10 at once · 7 calls · 20 credits · 12,345 rows
         select Last_Name from Leads where Lead_Status = 'Contacted' order by id asc limit 2000 offset 0
         ... offset 12000 (7 pages; the last has limit 345)

With actual figures (EXPLAIN ANALYZE) each step also shows ``actual: calls, credits, rows, time``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from coqlkit.language.ast import Limit, Select
from coqlkit.language.render import render
from coqlkit.plan.steps import (
    BulkRead,
    ColumnSplit,
    InUnion,
    KeysetPages,
    LocalAggregate,
    LocalProject,
    LocalSlice,
    LocalSort,
    OffsetPages,
    SingleCall,
    Step,
)

__all__ = ["Actual", "explain"]


@dataclass
class Actual:
    """What a step really did (EXPLAIN ANALYZE)."""

    calls: int = 0
    credits: int = 0
    rows: int = 0
    seconds: float = 0.0


def explain(plan: Any, actuals: Mapping[int, Actual] | None = None) -> str:
    """The plan as a tree of text lines; ``actuals`` by ``id(step)`` adds EXPLAIN ANALYZE figures."""
    total = plan.estimate
    opts = plan.options
    head = (
        f"Plan: {_rows(total.rows)} · {_calls(total.calls, total.rows)} · {_credits(total.credits, total.rows)} · "
        f"≈ {total.seconds:.1f} s ({opts.concurrency} calls at once, {opts.latency_ms:g} ms each)"
    )
    lines = [head]
    children: list[tuple[str, list[str], list[str]]] = []
    if plan.probe is not None:
        found = "" if plan.probe.rows is None else f" · {plan.probe.rows:,} records match"
        children.append((f"COUNT probe · 1 call · 1 credit{found}", [plan.probe.query], []))
    children.append(_step(plan.root, actuals))
    _tree(lines, children, "")
    return "\n".join(lines)


def _tree(lines: list[str], nodes: list[tuple[str, list[str], list[Any]]], prefix: str) -> None:
    for index, (title, body, kids) in enumerate(nodes):
        last = index == len(nodes) - 1
        lines.append(f"{prefix}{'└─ ' if last else '├─ '}{title}")
        inner = prefix + ("   " if last else "│  ")
        lines += [f"{inner}  {text}" for text in body]
        _tree(lines, kids, inner)


def _step(step: Step, actuals: Mapping[int, Actual] | None) -> tuple[str, list[str], list[Any]]:
    est = step.estimate
    title, body = _describe(step)
    cost = ""
    if est.calls:
        cost = f" · {_calls(est.calls, est.rows)} · {_credits(est.credits, est.rows)}"
    title = f"{title}{cost}"
    if est.rows is not None:
        title += f" · {est.rows:,} rows"
    actual = actuals.get(id(step)) if actuals else None
    if actual is not None:
        title += (
            f" · actual: {_calls(actual.calls, 0)}, {_credits(actual.credits, 0)}, "
            f"{actual.rows:,} rows, {actual.seconds:.2f} s"
        )
    return title, body, [_step(child, actuals) for child in step.children]


def _describe(step: Step) -> tuple[str, list[str]]:
    if isinstance(step, SingleCall):
        return "single call", [render(step.query)]
    if isinstance(step, OffsetPages):
        if not step.pages:
            return "no call: no record matches", []
        if step.until_short:
            return "offset pages until one comes back short (row count unknown)", _pages(
                step.query, step.pages
            )
        size = max(p.limit for p in step.pages)
        return f"offset pages · {len(step.pages)} pages of up to {size:,} rows", _pages(
            step.query, step.pages
        )
    if isinstance(step, KeysetPages):
        return _keyset(step)
    if isinstance(step, BulkRead):
        return (
            f"bulk read · {step.pages} job{'s' if step.pages != 1 else ''} of up to {step.page_rows:,} records, zipped CSV",
            [f"module {step.module}; fields {', '.join(step.fields)}", f"criteria {step.criteria or 'none'}"],
        )
    if isinstance(step, ColumnSplit):
        return f"column split · {len(step.parts)} scans of up to 50 columns joined on id", []
    if isinstance(step, InUnion):
        return f"IN split · {len(step.parts)} queries of up to 50 values, rows united by id", []
    if isinstance(step, LocalSort):
        keys = ", ".join(f"{k} {'desc' if d else 'asc'}" for k, d in step.keys)
        return f"local sort by {keys} (the rows are held in memory)", []
    if isinstance(step, LocalSlice):
        limit = "all" if step.limit is None else f"{step.limit:,}"
        return f"local limit {limit} offset {step.offset:,}", []
    if isinstance(step, LocalAggregate):
        return f"local aggregate by {', '.join(step.group) or '(all rows)'}", []
    if isinstance(step, LocalProject):
        return "local projection to the query's columns", []
    return step.name, []  # pragma: no cover


def _keyset(step: KeysetPages) -> tuple[str, list[str]]:
    skips = [p for p in step.pages if p.limit == 1 and p.offset == step.window_rows - 1]
    data = [p for p in step.pages if p not in skips]
    windows = step.windows
    what = "on until a page comes back short" if step.until_short else f"{len(data)} pages"
    title = (
        f"keyset pages · {windows} window{'s' if windows != 1 else ''} of up to {step.window_rows:,} rows "
        f"in id order, {what}"
    )
    body: list[str] = []
    if skips:
        plural = "s" if len(skips) != 1 else ""
        body.append(f"skips {len(skips)} window{plural} before the offset: one row each, its last id")
    first_window = data[0].window if data else 0
    body += _pages(step.query, [p for p in data if p.window == first_window])
    if windows > 1:
        body.append("each window after the first adds: and id > <the previous window's last id>")
    return title, body


def _pages(query: Select, pages: Any) -> list[str]:
    pages = list(pages)
    if not pages:
        return []
    first = render(replace(query, limit=Limit(pages[0].limit, pages[0].offset)))
    if len(pages) == 1:
        return [first]
    last = pages[-1]
    tail = f"... offset {last.offset} ({len(pages)} pages"
    tail += f"; the last has limit {last.limit})" if last.limit != pages[0].limit else ")"
    return [first, tail]


def _rows(rows: int | None) -> str:
    return "rows unknown (no COUNT probe)" if rows is None else f"{rows:,} rows"


def _calls(calls: int, rows: int | None) -> str:
    prefix = "at least " if rows is None else ""
    return f"{prefix}{calls:,} call{'s' if calls != 1 else ''}"


def _credits(credits: int, rows: int | None) -> str:
    prefix = "at least " if rows is None else ""
    return f"{prefix}{credits:,} credit{'s' if credits != 1 else ''}"
