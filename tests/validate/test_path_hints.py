"""Hints for field paths: a path that goes on past its end, and SQL's table prefix."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, parse, validate


def hint_of(text: str, catalog: Catalog) -> tuple[str, str | None]:
    (d,) = validate(parse(text), catalog)
    return d.message, d.hint


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("Owner.role.reporting_to.name", "the path ends at Owner.role.reporting_to: remove .name"),
        ("Owner.profile.id.x", "the path ends at Owner.profile.id: remove .x"),
    ],
)
def test_a_path_past_its_end_does_not_suggest_what_was_written(demo: Catalog, path: str, hint: str) -> None:
    for text in (f"select {path} from Leads", f"select Last_Name from Leads where {path} = 'x'"):
        message, found = hint_of(text, demo)
        assert "goes past" in message
        assert found == hint


def test_a_wrong_key_still_gets_a_did_you_mean(demo: Catalog) -> None:
    assert hint_of("select Owner.role.nmae from Leads", demo)[1] == "did you mean name?"


def test_a_table_prefix_is_named_with_the_field_to_write(demo: Catalog) -> None:
    assert hint_of("select Leads.Last_Name from Leads", demo) == (
        "Leads has no field Leads",
        "write Last_Name (COQL has no table prefixes; !Leads.Last_Name also works)",
    )
    assert hint_of("select Last_Name from Leads where leads.Lead_Status = 'x'", demo)[1] == (
        "write Lead_Status (COQL has no table prefixes; !Leads.Lead_Status also works)"
    )
    assert hint_of("select Leads.Emial from Leads", demo)[1] == (
        "COQL has no table prefixes: name the field alone; did you mean Email?"
    )


def test_the_module_prefix_coql_has_is_valid(demo: Catalog) -> None:
    assert validate(parse("select !Leads.Last_Name from Leads"), demo) == []
