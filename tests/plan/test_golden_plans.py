"""Golden plans: ``tests/fixtures/plan/*.coql``, each a query and the EXPLAIN it must get.

The format is described in ``tests/fixtures/plan/README.md``. In short::

    -- title: past the offset ceiling: keyset windows in id order
    -- rows: 250000
    -- options: concurrency=10 latency_ms=300
    select Last_Name from Leads
    -- expect:
    -- Plan: 250,000 rows · 125 calls · 375 credits · ≈ 4.5 s (10 calls at once, 300 ms each)
    -- └─ keyset pages · ...

or, for a query the planner refuses, ``-- expect: error CreditBudgetExceeded`` and the
message. ``COQLKIT_UPDATE_GOLDEN=1 pytest tests/plan`` rewrites every expected section
from what the planner now says (read the diff before committing it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pytest

from coqlkit.errors import CoqlError
from coqlkit.language import parse
from coqlkit.plan import Plan, PlanOptions, explain, plan
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
)
from tests.plan._support import CATALOGS, count_probe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plan"
# Read when the module is collected: the autouse fixture of tests/conftest.py removes every
# COQLKIT_ variable before a test runs.
UPDATE = os.environ.get("COQLKIT_UPDATE_GOLDEN") == "1"
MIN_FIXTURES = 45

_HEADER = re.compile(r"-- (?P<key>[a-z]+): (?P<value>\S.*?)\s*")
_KEYS = ("title", "rows", "probe", "catalog", "options", "width")
_EXPECT = re.compile(r"-- expect:(?: error (?P<error>[A-Za-z]+))?\s*")
_OPTIONS = {f.name for f in fields(PlanOptions)}


class FixtureError(Exception):
    """A fixture file that does not follow the format of README.md."""


@dataclass
class Case:
    path: Path
    title: str
    query: str
    rows: int | None = None
    probe: bool = False
    catalog: str = "demo"
    options: dict[str, Any] = field(default_factory=dict)
    width: int | None = 100
    error: str | None = None  # the exception class the planner must raise
    expected: str | None = None  # the EXPLAIN text, or the error's message
    head: list[str] = field(default_factory=list)  # the file up to the expect marker


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("none", "true", "false"):
        return {"none": None, "true": True, "false": False}[lowered]
    for kind in (int, float):
        try:
            return kind(text.replace("_", ""))
        except ValueError:
            pass
    return text


def load(path: Path) -> Case:
    lines = path.read_text(encoding="utf-8").splitlines()
    header: dict[str, str] = {}
    index = 0
    while index < len(lines) and (match := _HEADER.fullmatch(lines[index])):
        key = match["key"]
        if key not in _KEYS or key in header:
            raise FixtureError(f"{path.name}:{index + 1}: unknown or repeated header {key!r}")
        header[key] = match["value"]
        index += 1
    query: list[str] = []
    while index < len(lines) and not lines[index].startswith("-- expect:"):
        if lines[index].startswith("--"):
            raise FixtureError(f"{path.name}:{index + 1}: a comment inside the query: {lines[index]!r}")
        query.append(lines[index])
        index += 1
    if "title" not in header or not "".join(query).strip():
        raise FixtureError(f"{path.name}: a fixture needs a '-- title:' and a query")
    case = Case(path, header["title"], "\n".join(query).strip(), head=lines[:index])
    rows = header.get("rows", "unknown")
    case.rows = None if rows == "unknown" else int(rows.replace("_", "").replace(",", ""))
    case.probe = header.get("probe", "no") == "yes"
    case.catalog = header.get("catalog", "demo")
    case.width = None if header.get("width") == "none" else int(header.get("width", "100"))
    for item in header.get("options", "").split():
        key, _, value = item.partition("=")
        if key not in _OPTIONS or not value:
            raise FixtureError(f"{path.name}: {item!r} is not a PlanOptions field=value")
        case.options[key] = _value(value)
    if case.catalog not in CATALOGS or (case.probe and case.rows is None):
        raise FixtureError(f"{path.name}: unknown catalog, or a probe with no row count")
    if index < len(lines):
        marker = _EXPECT.fullmatch(lines[index])
        if marker is None:
            raise FixtureError(f"{path.name}:{index + 1}: write '-- expect:' or '-- expect: error Class'")
        case.error = marker["error"]
        body = lines[index + 1 :]
        if any(line != "--" and not line.startswith("-- ") for line in body):
            raise FixtureError(f"{path.name}: every line after '-- expect:' starts with '-- '")
        case.expected = "\n".join(line[3:] for line in body)
    return case


def build(case: Case) -> Plan:
    catalog = CATALOGS[case.catalog]()
    select = parse(case.query)
    probe = count_probe(select, case.rows) if case.probe and case.rows is not None else None
    return plan(select, catalog, PlanOptions(**case.options), rows=case.rows, probe=probe)


def outcome(case: Case) -> tuple[str | None, str, Plan | None]:
    """(the error class or None, the EXPLAIN text or the error's message, the plan)."""
    try:
        found = build(case)
    except CoqlError as exc:
        return type(exc).__name__, str(exc), None
    return None, explain(found, width=case.width), found


def _rewrite(case: Case, error: str | None, text: str) -> None:
    marker = "-- expect:" + (f" error {error}" if error else "")
    body = [f"-- {line}".rstrip() if line else "--" for line in text.splitlines()]
    case.path.write_text("\n".join([*case.head, marker, *body]) + "\n", encoding="utf-8")


CASES = sorted(FIXTURES.glob("*.coql"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_plan(path: Path) -> None:
    case = load(path)
    error, text, _ = outcome(case)
    if UPDATE:
        _rewrite(case, error, text)
        return
    assert case.expected is not None, (
        f"{path.name} has no '-- expect:' section (COQLKIT_UPDATE_GOLDEN=1 adds one)"
    )
    assert (error, text) == (case.error, case.expected)


def test_the_fixtures_cover_every_step() -> None:
    """Every kind of step, and the ways a plan can end, appear in some golden plan."""
    kinds: set[type] = set()
    errors: set[str] = set()
    for path in CASES:
        error, _, found = outcome(load(path))
        if found is not None:
            kinds |= {type(step) for step in found.steps()}
        elif error is not None:
            errors.add(error)
    assert len(CASES) >= MIN_FIXTURES
    every = {
        SingleCall,
        OffsetPages,
        KeysetPages,
        BulkRead,
        ColumnSplit,
        InUnion,
        LocalSort,
        LocalSlice,
        LocalProject,
        LocalAggregate,
    }
    assert every <= kinds, every - kinds
    assert {"PlanError", "CreditBudgetExceeded"} <= errors


def test_the_loader_refuses_a_malformed_fixture(tmp_path: Path) -> None:
    bad = {
        "no_title.coql": "select Last_Name from Leads\n-- expect:\n-- x\n",
        "unknown_key.coql": "-- title: t\n-- colour: red\nselect Last_Name from Leads\n",
        "bad_option.coql": "-- title: t\n-- options: speed=11\nselect Last_Name from Leads\n",
        "comment_in_query.coql": "-- title: t\nselect Last_Name\n-- a note\nfrom Leads\n",
        "bare_expect_line.coql": "-- title: t\nselect Last_Name from Leads\n-- expect:\nPlan: ...\n",
        "probe_without_rows.coql": "-- title: t\n-- probe: yes\nselect Last_Name from Leads\n",
    }
    for name, text in bad.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(FixtureError):
            load(path)


def test_a_fixture_is_itself_valid_coql() -> None:
    """Header and expectation are '--' comments: a fixture file parses as its query."""
    for path in CASES:
        case = load(path)
        assert parse(path.read_text(encoding="utf-8")) == parse(case.query), path.name
