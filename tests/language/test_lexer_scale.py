"""The lexer reads a statement in time proportional to its length, whatever it holds: a
long commented-out block before a query must not stall ``coqlkit lint`` in CI (fuzz review
5, #7: each comment's line was counted from the start of the run of blanks and comments,
so 8,000 ``--`` lines took close to a second and 33,000 more than 20 s)."""

from __future__ import annotations

from coqlkit.language import _build, parse
from coqlkit.language._loader import fast_parser


class _Scanned(str):
    """Text that adds up how many characters ``count`` and ``rfind`` look at."""

    scanned = 0

    def count(self, sub: str, start: int | None = 0, end: int | None = None) -> int:  # type: ignore[override]
        _Scanned.scanned += (len(self) if end is None else end) - (start or 0)
        return super().count(sub, start, end)

    def rfind(self, sub: str, start: int | None = 0, end: int | None = None) -> int:  # type: ignore[override]
        _Scanned.scanned += (len(self) if end is None else end) - (start or 0)
        return super().rfind(sub, start, end)


def scanned(text: str) -> int:
    """Characters the lexer scans to count lines while parsing ``text``."""
    _Scanned.scanned = 0
    token = _build.comments.set([])
    try:
        fast_parser().parse(_Scanned(text))
    finally:
        _build.comments.reset(token)
    return _Scanned.scanned


QUERY = "select Last_Name from Leads where Last_Name = 'x'\n"


def old_conditions(n: int) -> str:
    return "".join(f"-- {i:05d} an old condition: and Lead_Status = 'Contacted'\n" for i in range(n))


def test_lines_of_comments_are_counted_in_one_pass() -> None:
    text = QUERY + old_conditions(3000)
    assert scanned(text) <= 5 * len(text)


def test_comments_on_one_line_are_counted_in_one_pass() -> None:
    text = QUERY.rstrip() + " /* c */" * 5000 + "\n-- end\n"
    assert scanned(text) <= 5 * len(text)


def test_comment_spans_stay_where_the_comments_are() -> None:
    text = "select a /* x\ny */ -- z\n  /* w */ from B\n" + old_conditions(3)
    spans = parse(text).comments
    assert [(s.line, s.column, s.end_line, s.end_column) for s in spans] == [
        (1, 10, 2, 5),
        (2, 6, 2, 10),
        (3, 3, 3, 10),
        (4, 1, 4, 57),
        (5, 1, 5, 57),
        (6, 1, 6, 57),
    ]
    assert [text[s.start : s.end] for s in spans][:3] == ["/* x\ny */", "-- z", "/* w */"]
