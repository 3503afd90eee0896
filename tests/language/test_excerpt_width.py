"""The caret under the problem is placed as a terminal shows the line: East Asian wide and
fullwidth characters and emoji take two columns, combining marks and zero-width characters
none, a tab stays a tab."""

from __future__ import annotations

import pytest

from coqlkit.errors import excerpt


@pytest.mark.parametrize(
    ("value", "columns"),
    [
        ("東京", 4),  # East Asian wide: two columns each
        ("ＡＢ", 4),  # fullwidth
        ("😀😀", 4),  # emoji are wide
        ("e\u0301", 1),  # a combining accent takes no column
        ("a\u200bb", 2),  # nor does a zero-width space
        ("x", 1),
    ],
)
def test_the_caret_is_placed_by_display_width(value: str, columns: int) -> None:
    text = f"where City = '{value}' and Emial = 'x'"
    column = text.index("Emial") + 1
    caret = excerpt(text, 1, column, column + 5).split("\n")[1]
    assert caret == "  " + " " * (len("where City = ''") + columns + len(" and ")) + "^^^^^"


def test_the_caret_under_wide_characters_spans_their_width() -> None:
    text = "select a from Leads where 東京 = 1"
    column = text.index("東京") + 1
    assert excerpt(text, 1, column, column + 2).split("\n")[1] == "  " + " " * (column - 1) + "^^^^"


def test_a_tab_stays_a_tab_under_the_caret() -> None:
    text = "select a\tfrom 東 where"
    assert (
        excerpt(text, 1, 17, 22).split("\n")[1] == "  " + " " * 8 + "\t" + " " * 5 + " " * 2 + " " + "^^^^^"
    )
