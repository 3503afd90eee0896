"""`coqlkit lint` of Deluge scripts: what review D2 found wrong in checking a script as Zoho
reads it (findings 2 to 5).

- a query the script builds in steps (``q = q + " where ..."``) is checked whole, not on its
  first part;
- a variable that holds its own quotes (``d = "'" + date + "'"``) is not reported unquoted,
  and an expression not known to lack them gets a warning, not an error;
- a message that starts with "Select" is prose unless it reads as COQL or is given to Zoho;
- only the reserved words Zoho is known to refuse unquoted are errors, the rest of coqlkit's
  long list a warning.

Queries are posted raw to a sandbox (coqlkit's model of Zoho), as Deluge's invokeurl does.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from coqlkit.catalog import Catalog
from coqlkit.cli import main
from coqlkit.lint import StatementReport, lint_deluge
from coqlkit.sandbox.server import Sandbox
from coqlkit.validate import Severity
from tests.sandbox.conftest import Api


@pytest.fixture(scope="module")
def raw() -> Iterator[Api]:
    """A client posting COQL unchanged to a sandbox of its own."""
    with Sandbox(records=300, seed=7) as sandbox:
        api = Api(sandbox)
        yield api
        api.close()


def by_severity(report: StatementReport, severity: Severity) -> list[str]:
    return [d.message for d in report.diagnostics if d.severity is severity]


def exit_status(script: str, monkeypatch: pytest.MonkeyPatch, *options: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    return main(["lint", "--deluge", "-q", *options, "-"])


# --- finding 2: a query built in steps -----------------------------------------------------

STEPS = """\
query = "select Last_Name, Email from Leads";
query = query + " where Lead_Status = 'Contacted'";
query = query + " limit 200";
resp = zoho.crm.coql(query);
base = "select Last_Name from Leads where ";
base += "Lead_Source = 'Web Download'";
resp = zoho.crm.coql(base + " limit 5");
"""


@pytest.mark.parametrize("catalog", [Catalog.demo(), None], ids=["demo", "no metadata"])
def test_a_query_built_in_steps_is_checked_whole(
    raw: Api, catalog: Catalog | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: `no WHERE clause: Zoho refuses a query without one` (hint: add a second WHERE) on
    the first, `unexpected end of query` on the second; exit 1."""
    reports = lint_deluge(STEPS, catalog)
    assert [r.statement.text for r in reports] == [
        "select Last_Name, Email from Leads where Lead_Status = 'Contacted' limit 200",
        "select Last_Name from Leads where Lead_Source = 'Web Download' limit 5",
    ]
    assert [r.diagnostics for r in reports] == [(), ()]
    assert exit_status(STEPS, monkeypatch, *(["--demo"] if catalog else [])) == 0
    for report in reports:  # what the script sends, Zoho runs
        assert raw.coql(report.statement.text).status_code in (200, 204)


def test_what_a_step_joins_on_is_checked_where_it_is_written(raw: Api) -> None:
    """A missing blank, a misspelt field or a flat chain in a later step is found in that step."""
    script = """\
q = "select Last_Name from Leads";
q = q + "where City = 'a'";
r = zoho.crm.coql(q);
s = "select Last_Name from Leads";
s = s + " where City = 'a' and State = 'b' and Zip_Code = 'c' and Emial = 'x' limit 5";
r = zoho.crm.coql(s);
"""
    glued, chained = lint_deluge(script, Catalog.demo())
    (error,) = [d for d in glued.diagnostics if d.is_error]
    assert (error.message, error.line, error.column) == (
        "Deluge joins 'Leads' and 'where' with no blank between: Zoho reads 'Leadswhere'",
        1,
        script.splitlines()[0].index("Leads") + 1,
    )
    assert raw.coql(glued.statement.text).json()["code"] == "SYNTAX_ERROR"
    assert {(d.line, d.message) for d in chained.diagnostics if d.is_error} == {
        (5, "more than two conditions at one level: Zoho wants them bracketed in pairs"),
        (5, "Leads has no field Emial"),
    }


def test_a_step_that_cannot_be_followed_raises_none_of_the_errors_it_may_cure() -> None:
    """Joined on in a block (which may not run) or changed by a method, the query's end is
    not known: no `no WHERE`, no incomplete condition, no 200-row note; an info says so."""
    script = """\
q = "select Last_Name from Leads";
if (status != null) { q = q + " where Lead_Status = '" + status + "' limit 5"; }
r = zoho.crm.coql(q);
base = "select Last_Name from Leads where ";
if (a) { base = base + "City = 'x'"; } else { base = base + "City = 'y'"; }
r = zoho.crm.coql(base + " limit 5");
t = "select Last_Name from Leads";
t = t.trim();
r = zoho.crm.coql(t);
start = "select Last_Name from Leads";
u = start + " where City = 'a' limit 5";
r = zoho.crm.coql(u);
"""
    reports = lint_deluge(script, Catalog.demo())
    assert len(reports) == 4
    for report in reports:
        assert report.ok
        assert [d.severity for d in report.diagnostics] == [Severity.INFO]
        (note,) = report.diagnostics
        assert "not followed, so the rest is not checked" in note.message
        assert "where id is not null" not in str(note.hint)


def test_a_query_given_to_zoho_before_a_step_is_checked_as_it_was_then(raw: Api) -> None:
    script = """\
q = "select Last_Name from Leads where id is not null";
first = zoho.crm.coql(q);
q = q + " limit 5";
"""
    (report,) = lint_deluge(script, Catalog.demo())
    assert report.statement.text == "select Last_Name from Leads where id is not null"
    assert by_severity(report, Severity.INFO) == ["no LIMIT: Zoho returns the first 200 rows"]
    assert len(raw.rows(report.statement.text)) == 200


# --- finding 3: a value that holds its quotes ----------------------------------------------

QUOTED = """\
d = "'" + zoho.currentdate.toString("yyyy-MM-dd") + "'";
q = "select Deal_Name from Deals where Closing_Date = " + d + " limit 200";
resp = zoho.crm.coql(q);
"""


def test_a_variable_assigned_its_quotes_is_quoted(raw: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: error `Deluge joins d without quotes ... Zoho refuses every value`, hint
    `'" + d + "'`, which sends ''2026-11-30''; exit 1."""
    (report,) = lint_deluge(QUOTED, Catalog.demo())
    assert report.ok
    assert [d.severity for d in report.diagnostics] == [Severity.INFO]
    assert report.diagnostics[0].message == "Deluge joins d into the query here: its value is not checked"
    assert exit_status(QUOTED, monkeypatch, "--demo", "--fail-on", "warning") == 0
    # What the script sends runs; the old hint, followed, doubles the quotes and is refused.
    sent = "select Deal_Name from Deals where Closing_Date = '2026-11-30' limit 200"
    assert raw.coql(sent).status_code in (200, 204)
    doubled = "select Deal_Name from Deals where Closing_Date = ''2026-11-30'' limit 200"
    assert raw.coql(doubled).status_code == 400


def test_an_expression_not_known_to_lack_quotes_is_a_warning_and_one_known_to_an_error() -> None:
    script = """\
a = "select Deal_Name from Deals where Closing_Date = " + closing + " limit 5";
b = "select Deal_Name from Deals where Closing_Date = " + zoho.currentdate + " limit 5";
c = "select Deal_Name from Deals where Closing_Date = " + day.toString("yyyy-MM-dd") + " limit 5";
"""
    unknown, today, formatted = lint_deluge(script, Catalog.demo())
    (warning,) = unknown.diagnostics
    assert (warning.severity, warning.message, warning.hint) == (
        Severity.WARNING,
        "Deluge joins closing without quotes into a comparison with Closing_Date (date): COQL "
        "writes a date in quotes: unless its value holds them, Zoho refuses it",
        """quote it: '" + closing + "' (if its value has no quotes of its own)""",
    )
    assert unknown.ok
    for report in (today, formatted):  # Deluge writes these dates with no quote
        assert by_severity(report, Severity.ERROR)[0].endswith("so Zoho refuses every value")


# --- finding 4: prose that starts with "Select" --------------------------------------------

PROSE = """\
info "Select a lead from the list where the status is open";
alert "Select a contact from Contacts";
info "Select the deals from Deals that you want to close";
info "Select records from the list where you left them";
alert "Select one from the menu, then " + name;
alert "Select one" + "from the list";
"""


@pytest.mark.parametrize("catalog", [Catalog.demo(), None], ids=["demo", "no metadata"])
def test_a_sentence_that_starts_with_select_is_no_query(
    catalog: Catalog | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was, with metadata: `a module takes no alias in COQL` (1, 3), `no WHERE clause` (2)...; exit 1."""
    assert lint_deluge(PROSE, catalog) == []
    assert exit_status(PROSE, monkeypatch, *(["--demo"] if catalog else [])) == 0


def test_a_string_that_reads_as_coql_is_still_a_query_with_or_without_metadata() -> None:
    script = """\
a = "select Last_Name, Email from Leads where id is not null limit 5";
b = "select COUNT(id) as total, Lead_Source from Leads where id is not null group by Lead_Source";
c = "select 'What_Id->Leads.Last_Name', Owner.email from Tasks where id is not null limit 5";
d = "select " + fieldList + " from Leads where id is not null limit 5";
e = "select Last_Name from Leads";
"""
    for catalog in (None, Catalog.demo()):
        reports = lint_deluge(script, catalog)
        assert [r.statement.line for r in reports] == [1, 2, 3, 4, 5]
        assert by_severity(reports[4], Severity.ERROR) == [
            "no WHERE clause: Zoho refuses a query without one"
        ]


def test_a_sentence_given_to_zoho_as_the_query_is_checked() -> None:
    """Given to zoho.crm.coql, as a select_query or as invokeurl's parameters (itself or by
    its variable), a string is a query whatever it reads like."""
    script = """\
a = zoho.crm.coql("Select a contact from Contacts");
q = "select the deals from the list";
resp = invokeurl
[
	url :"https://www.zohoapis.com/crm/v8/coql"
	type :POST
	parameters:q
];
"""
    for catalog in (None, Catalog.demo()):
        reports = lint_deluge(script, catalog)
        assert [r.statement.line for r in reports] == [1, 2]
        assert all(not r.ok for r in reports)


# --- finding 5: reserved words -------------------------------------------------------------

GUESSED = """\
q = "select Name, Language, Year, Position from Candidates_Custom where Language = 'German' limit 10";
resp = zoho.crm.coql(q);
"""


def test_a_word_only_coqlkits_long_list_calls_reserved_is_a_warning(
    raw: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: 4 errors `... is a reserved word: Zoho refuses it unquoted as a name`; exit 1."""
    (report,) = lint_deluge(GUESSED, None)
    assert report.ok
    assert by_severity(report, Severity.WARNING) == [
        f"{word} may be a reserved word: Zoho may refuse it unquoted as a name"
        for word in ("Language", "Year", "Position", "Language")
    ]
    assert report.diagnostics[0].hint is not None
    assert report.diagnostics[0].hint.startswith("quote it to be safe: 'Language'")
    assert exit_status(GUESSED, monkeypatch) == 0
    assert exit_status(GUESSED, monkeypatch, "--fail-on", "warning") == 1
    # The hint, followed, is a query Zoho runs (Users.language of the demo org).
    script = 'q = "select full_name, language from Users where id is not null limit 5";'
    (users,) = lint_deluge(script, Catalog.demo())
    assert [d.severity for d in users.diagnostics] == [Severity.WARNING]
    assert raw.coql("select full_name, 'language' from Users where id is not null limit 5").status_code == 200


def test_a_word_zoho_is_known_to_refuse_unquoted_is_still_an_error(raw: Api) -> None:
    """External (Kaizen #171) and COQL's own keywords."""
    script = """\
a = "select Account_Name, External from Accounts where id is not null limit 5";
b = "select Last_Name, Desc from Leads where id is not null limit 5";
"""
    external, keyword = lint_deluge(script, None)
    assert by_severity(external, Severity.ERROR) == [
        "External is a reserved word: Zoho refuses it unquoted as a name"
    ]
    assert by_severity(keyword, Severity.ERROR) == [
        "Desc is a reserved word: Zoho refuses it unquoted as a name"
    ]
    assert raw.coql(external.statement.text).json()["code"] == "SYNTAX_ERROR"
