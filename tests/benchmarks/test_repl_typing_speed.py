"""How much work a key costs the REPL on short and long buffers (skipped in the default run).

Run with ``pytest tests/benchmarks/test_repl_typing_speed.py --benchmark-only -p no:randomly -s``.

Target (review 10, the REPL on long buffers): typing at the end of a 30 KB query (a
pasted IN list of some 1,000 values, or a long WHERE) costs under 30 ms of work a key,
and a short query no more than before. Before the incremental paths a key cost about
0.12 s on a 30 KB IN list and 0.27 s on a 30 KB WHERE (0.4-0.6 s at 100 KB), 1-5 ms on a
short query: everything re-ran on the whole buffer (Pygments' lexing, the parse and the
validation of the live check, several scans and walks for completion and the toolbar).

Method: a prompt (:class:`~coqlkit.repl.app.Repl`, on a pipe) against a sandbox in this
process, its metadata in. A key is what prompt_toolkit does on it: the completions (as
you type), the highlighting of every line (with the live check's underline) and the
bottom toolbar, for the text with one more character, at the end or in the middle of the
buffer. The live check of a long statement runs in its own thread once the keys pause:
its cost is not a key's, and is reported apart (the time until its problem is in).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import coqlkit
from coqlkit.repl.app import Repl
from coqlkit.repl.config import ReplConfig
from coqlkit.sandbox.server import Sandbox
from tests.repl.test_long_buffers_r10p import _with_leads

TARGET_MS = 30.0
TYPED = " and Last_Name like 'Sm%' order by Last_Name"


def in_list(size: int) -> str:
    """``select ... where Email in ('person0@example.com', ...)``, ``size`` characters or so."""
    head = "select Last_Name, Email from Leads where Email in ("
    values: list[str] = []
    while len(head) + sum(len(v) + 2 for v in values) < size:
        values.append(f"'person{len(values)}@example.com'")
    return head + ", ".join(values) + ")"


def long_where(size: int) -> str:
    """A WHERE of one condition a line, ``size`` characters or so."""
    lines = ["select Last_Name, Email\nfrom Leads\nwhere (Last_Name = 'x'"]
    while sum(len(x) + 1 for x in lines) < size:
        i = len(lines)
        lines.append(f"   or (Last_Name = 'Smith{i}' and Annual_Revenue > {i * 100})")
    return "\n".join(lines) + ")"


@pytest.fixture(scope="module")
def repl() -> Iterator[Repl]:
    with (
        Sandbox(records=200, token_limit=0) as sandbox,
        coqlkit.connect(sandbox=sandbox) as conn,
        create_pipe_input() as keyboard,
        create_app_session(input=keyboard, output=DummyOutput()),
    ):
        yield _with_leads(Repl(conn, ReplConfig(history_size=0), label="sandbox"), seconds=30)


def key(repl: Repl, text: str, cursor: int) -> None:
    """What the prompt does on a key that made ``text`` (the cursor at ``cursor``)."""
    document = Document(text, cursor)
    list(repl.completer.get_completions(document, CompleteEvent(text_inserted=True)))
    lexer = repl.session.lexer
    assert lexer is not None
    line = lexer.lex_document(document)
    for number in range(document.line_count):
        line(number)
    repl._toolbar_at(text, cursor)


def per_key_ms(repl: Repl, base: str, where: int | None, keys: int = 24) -> float:
    """The median work of a key, typing :data:`TYPED` at ``where`` (None: the end)."""
    samples = []
    text, cursor = base, len(base) if where is None else where
    key(repl, text, cursor)  # (the buffer as pasted: its first lexing is not a key's)
    for ch in TYPED[:keys]:
        text, cursor = text[:cursor] + ch + text[cursor:], cursor + 1
        start = time.perf_counter()
        key(repl, text, cursor)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def check_ms(repl: Repl, text: str) -> float:
    """How long until the live check of ``text`` is in, from the last key."""
    start = time.perf_counter()
    while repl.checked.problems_of(text) is None:
        time.sleep(0.005)
    return (time.perf_counter() - start) * 1000


SIZES = (200, 1_000, 10_000, 30_000, 100_000)


def test_a_key_on_a_long_buffer_costs_under_30_ms(repl: Repl, benchmark) -> None:  # type: ignore[no-untyped-def]
    results: dict[str, tuple[float, float, float]] = {}
    for name, make in (("IN list", in_list), ("long WHERE", long_where)):
        for size in SIZES:
            base = make(size)
            end = per_key_ms(repl, base, None)
            middle = per_key_ms(repl, base, len(base) // 2, keys=12)
            results[f"{name} {len(base):>7,} chars"] = (end, middle, check_ms(repl, base + TYPED))
    print(f"\n{'buffer':28} {'at the end':>11} {'in the middle':>14} {'check in':>9}   (ms)")
    for name, (end, middle, check) in results.items():
        print(f"{name:28} {end:11.2f} {middle:14.2f} {check:9.1f}")
    base = in_list(30_000)
    text = base + " and"
    benchmark.extra_info.update({name: round(end, 2) for name, (end, _, _) in results.items()})
    benchmark.pedantic(
        lambda: key(repl, text + " ", len(text) + 1), setup=lambda: key(repl, text, len(text)), rounds=30
    )
    long_ends = [end for name, (end, _, _) in results.items() if "30,0" in name]
    assert max(long_ends) < TARGET_MS, results
