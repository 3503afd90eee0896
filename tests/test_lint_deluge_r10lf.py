"""`coqlkit lint` of Deluge scripts checks the text Zoho gets, as the script sends it.

A script sends its query to Zoho as written, with none of the rewriting coqlkit does for
the queries it runs: what coqlkit's dialect lets a person write (no WHERE, COUNT(*), a
comment...) and Zoho's limits of one call are errors there. Each verdict is checked
against the sandbox over HTTP, the query posted raw, as Deluge's ``invokeurl`` posts it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from coqlkit.catalog import Catalog
from coqlkit.cli import main
from coqlkit.lint import StatementReport, lint_deluge, lint_text
from coqlkit.sandbox.server import Sandbox
from coqlkit.validate import Severity
from tests.sandbox.conftest import Api

RECORDS = 500  # Leads: more than the 200 rows Zoho returns without LIMIT, past an offset of 100


@pytest.fixture(scope="module")
def raw() -> Iterator[Api]:
    """A client posting COQL unchanged to a sandbox of its own (coqlkit's model of Zoho)."""
    with Sandbox(records=RECORDS, seed=42) as sandbox:
        api = Api(sandbox)
        yield api
        api.close()


def one(script: str, catalog: Catalog | None = None) -> StatementReport:
    (report,) = lint_deluge(script, catalog if catalog is not None else Catalog.demo())
    return report


def errors(report: StatementReport) -> list[str]:
    return [d.message for d in report.diagnostics if d.severity is Severity.ERROR]


MANY_IN = ", ".join(f"'v{i}'" for i in range(51))
FIFTY_ONE = ", ".join(
    [
        "Last_Name",
        "First_Name",
        "Email",
        "Phone",
        "Mobile",
        "Fax",
        "Website",
        "Company",
        "Designation",
        "City",
        "State",
        "Zip_Code",
        "Street",
        "Country",
        "Description",
        "Industry",
        "Rating",
    ]
    * 3
)

# (a query as a script writes it, the error the linter reports, the code Zoho answers with)
REFUSED = [
    ("select Last_Name from Leads", "no WHERE clause: Zoho refuses a query without one", "SYNTAX_ERROR"),
    (
        "select Last_Name from Leads where City = 'a' and State = 'b' and Zip_Code = 'c'",
        "more than two conditions at one level: Zoho wants them bracketed in pairs",
        "SYNTAX_ERROR",
    ),
    ("select COUNT(*) from Leads where id is not null", "COUNT(*): Zoho refuses it", "SYNTAX_ERROR"),
    (
        "select count(id) from Leads where id is not null",
        "count(id): Zoho takes an aggregate's name in upper case only",
        "INVALID_DATA",
    ),
    (
        "select Last_Name from Leads where Created_Time > 2024-01-31T09:00:00+05:30 limit 5",
        "an unquoted date: Zoho refuses it",
        "SYNTAX_ERROR",
    ),
    (
        "select Last_Name from Leads where id is not null limit 5;",
        "a ';' ending the query: Zoho refuses it",
        "SYNTAX_ERROR",
    ),
    (
        "select Last_Name from Leads where id is not null -- newest first",
        "a comment inside the query: Zoho refuses it",
        "SYNTAX_ERROR",
    ),
    (
        "select Last_Name from Leads where id is not null /* newest */ limit 1",
        "a comment inside the query: Zoho refuses it",
        "SYNTAX_ERROR",
    ),
    ("select * from Leads where id is not null limit 5", "SELECT *: Zoho refuses it", "SYNTAX_ERROR"),
    (
        "select Account_Name, External from Accounts where External = 'x' limit 5",
        "External is a reserved word: Zoho refuses it unquoted as a name",
        "SYNTAX_ERROR",
    ),
    (
        "select Last_Name from Leads where id = :leadId",
        ":leadId is a coqlkit parameter: Zoho refuses it",
        "SYNTAX_ERROR",
    ),
    (
        "select Last_Name from Leads where id is not null limit 5000",
        "LIMIT 5000 is more than the 2000 rows one call returns",
        "LIMIT_EXCEEDED",
    ),
    (
        "select Last_Name from Leads where id is not null limit 200 offset 100000",
        "offset + limit = 100200 passes Zoho's 100,000 row ceiling",
        "LIMIT_EXCEEDED",
    ),
    (
        f"select Last_Name from Leads where Last_Name in ({MANY_IN}) limit 5",
        "51 values in IN: Zoho takes 50",
        "LIMIT_EXCEEDED",
    ),
    (
        f"select {FIFTY_ONE} from Leads where id is not null limit 5",
        "51 columns: Zoho takes 50 a call",
        "LIMIT_EXCEEDED",
    ),
]


@pytest.mark.parametrize(("query", "message", "code"), REFUSED, ids=[m for _, m, _ in REFUSED])
def test_what_a_script_would_send_and_zoho_refuses_is_an_error(
    raw: Api, query: str, message: str, code: str
) -> None:
    """Was: `20 queries: 20 ok, 0 with errors`, with infos saying what coqlkit would do."""
    report = one(f'rows = zoho.crm.coql("{query}");\n')
    assert report.statement.text == query
    assert message in errors(report), report.diagnostics
    found = next(d for d in report.diagnostics if d.message == message)
    assert found.hint and "a Deluge script sends the query as written" in found.hint
    reply = raw.coql(query)
    assert (reply.status_code, reply.json()["code"]) == (400, code)


def test_the_hints_are_what_zoho_takes(raw: Api) -> None:
    """Each hint of an error, followed, gives a query Zoho runs."""
    fixed = {
        "select Last_Name from Leads where City = 'a' and State = 'b' and Zip_Code = 'c'": (
            "write (City = 'a' and State = 'b') and Zip_Code = 'c'"
        ),
        "select count(id) from Leads where id is not null": "write COUNT(id)",
        "select COUNT(*) from Leads where id is not null": "write COUNT(id)",
        "select Last_Name from Leads where Created_Time > 2024-01-31T09:00:00+05:30 limit 5": (
            "quote it: '2024-01-31T09:00:00+05:30'"
        ),
    }
    sent = {
        "select Last_Name from Leads where City = 'a' and State = 'b' and Zip_Code = 'c'": (
            "select Last_Name from Leads where (City = 'a' and State = 'b') and Zip_Code = 'c'"
        ),
        "select count(id) from Leads where id is not null": "select COUNT(id) from Leads where id is not null",
        "select COUNT(*) from Leads where id is not null": "select COUNT(id) from Leads where id is not null",
        "select Last_Name from Leads where Created_Time > 2024-01-31T09:00:00+05:30 limit 5": (
            "select Last_Name from Leads where Created_Time > '2024-01-31T09:00:00+05:30' limit 5"
        ),
    }
    for query, hint in fixed.items():
        (found,) = [d for d in one(f'q = "{query}";').diagnostics if d.is_error]
        assert found.hint is not None and found.hint.startswith(hint), found.hint
        assert raw.coql(sent[query]).status_code in (200, 204)
        assert not [d for d in one(f'q = "{sent[query]}";').diagnostics if d.is_error]


TAKEN = [
    "select Last_Name from Leads where id is not null limit 40, 20",
    "select Last_Name from Leads where Lead_Source = Advertisement limit 5",
    "select Last_Name from Leads where (City = 'a' and State = 'b') and Zip_Code = 'c' limit 5",
    "select Account_Name, 'External' from Accounts where 'External' = 'x' limit 5",
    "select COUNT(id) from Leads where id is not null",
    "select Last_Name from Leads where id is not null limit 2000",
    "select Last_Name from Leads where id is not null limit 2000 offset 98000",
]


@pytest.mark.parametrize("query", TAKEN)
def test_what_zoho_takes_as_written_is_no_error(raw: Api, query: str) -> None:
    report = one(f'rows = zoho.crm.coql("{query}");')
    assert report.ok and not [d for d in report.diagnostics if d.severity is not Severity.INFO], (
        report.diagnostics
    )
    assert raw.coql(query).status_code in (200, 204)


def test_without_limit_a_note_says_zoho_returns_200_rows(raw: Api) -> None:
    """coqlkit reads every row of a query without LIMIT; a script gets Zoho's first 200."""
    for query, where in (
        ("select Last_Name from Leads where id is not null", "select"),
        ("select Last_Name from Leads where id is not null offset 100", "offset 100"),
    ):
        script = f'q = "{query}";'
        (note,) = one(script).diagnostics
        assert note.severity is Severity.INFO
        assert note.message.startswith(("no LIMIT: Zoho returns the first 200 rows", "OFFSET without LIMIT"))
        assert note.column == script.index(where) + 1
        assert len(raw.rows(query)) == 200 < RECORDS - 100
    # An aggregate without GROUP BY is one row: no note.
    assert one('q = "select COUNT(id) from Leads where id is not null";').diagnostics == ()


def test_coql_files_keep_coqlkits_dialect() -> None:
    """A .coql file is run by coqlkit, which rewrites and plans it: notes, not errors."""
    text = "select Last_Name from Leads limit 5000;\nselect count(*) from Leads where a = 1 and b = 2 and c = 3;\n"
    reports = lint_text(text, Catalog.demo())
    assert [r.ok for r in reports] == [True, False]  # the second: no field a, b, c (not the dialect)
    assert [d.severity for d in reports[0].diagnostics] == [Severity.INFO]
    assert not any("Zoho refuses" in d.message for r in reports for d in r.diagnostics)


# --- a '+' gluing two words --------------------------------------------------------------


def test_a_missing_blank_at_a_plus_is_reported_where_it_is(
    raw: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: `0 queries: 0 ok, 0 with errors`, exit 0 (no word FROM was left)."""
    script = tmp_path / "glued.dg"
    text = (
        'q = "select Last_Name, Email" +\n'
        "    \"from Leads where Lead_Status = 'Contacted' limit 5\";\n"
        "resp = zoho.crm.coql(q);\n"
        't = "select Last_Name, Email from" + "Leads where City = \'x\' limit 5";\n'
    )
    script.write_text(text)
    code = main(["lint", "--demo", "-q", str(script)])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0] == (
        f"{script}:1:24: error[SYNTAX_ERROR]: Deluge joins 'Email' and 'from' with no blank between: "
        "Zoho reads 'Emailfrom'"
    )
    assert f"{script}:4:30: error[SYNTAX_ERROR]: Deluge joins 'from' and 'Leads'" in out
    assert "hint: end the first string with a blank, or start the next one with one" in out
    reports = lint_deluge(text, Catalog.demo())
    assert [len(r.diagnostics) for r in reports] == [1, 1]  # the glue, not the parse error it causes
    for report in reports:
        reply = raw.coql(report.statement.text)
        assert (reply.status_code, reply.json()["code"]) == (400, "SYNTAX_ERROR")


def test_a_word_split_across_strings_on_purpose_is_no_glue() -> None:
    report = one('q = "select Last_" + "Name from Leads where Lead_Status = \'Cont" + "acted\' limit 5";')
    assert report.statement.text == "select Last_Name from Leads where Lead_Status = 'Contacted' limit 5"
    assert report.diagnostics == ()


# --- messages that start with "Select ... from" ------------------------------------------

PROSE = """\
info "Select a record from the list first";
alert "Selected " + cnt + " records from Leads";
sendmail
[
\tfrom :zoho.adminuserid
\tto :"ops@zylker.com"
\tsubject :"Select your plan from our offers"
\tmessage :"select one option from the menu"
]
"""


@pytest.mark.parametrize("catalog", [Catalog.demo(), None], ids=["demo", "no metadata"])
def test_a_message_that_starts_with_select_is_not_a_query(
    catalog: Catalog | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: three errors `a module takes no alias in COQL` under `list`, `offers`, `menu`."""
    assert lint_deluge(PROSE, catalog) == []
    monkeypatch.setattr("sys.stdin", io.StringIO(PROSE))
    assert main(["lint", "--deluge", "-q", *(["--demo"] if catalog else []), "-"]) == 0


def test_what_is_sent_as_a_query_is_checked_whatever_it_reads_like() -> None:
    """Given to zoho.crm.coql or as a select_query (itself or by its variable), a string is
    a query: the same words are errors there."""
    script = """\
a = zoho.crm.coql("select one option from the menu");
m = Map();
m.put("select_query", "Select a record from the list first");
body = {"select_query": "select your plan from our offers"};
q = "select Last_Name from the list";
r = zoho.crm.coql(q);
"""
    reports = lint_deluge(script, None)
    assert [r.statement.line for r in reports] == [1, 3, 4, 5]
    assert all(not r.ok for r in reports)


def test_a_from_as_coql_writes_it_is_a_query_with_or_without_metadata() -> None:
    script = """\
a = "select Last_Name from Leads where City = 'x' limit 5";
b = "select id from " + moduleName + " where id is not null";
c = "select Last_Name from Leeds where id is not null limit 5";
d = "select Last_Name from Leads l";
"""
    assert [r.statement.line for r in lint_deluge(script, None)] == [1, 2, 3]
    with_demo = lint_deluge(script, Catalog.demo())
    assert [r.statement.line for r in with_demo] == [1, 2, 3, 4]  # Leads is a module of the org
    assert errors(with_demo[2]) == ["the org has no module Leeds"]
    assert errors(with_demo[3]) == ["a module takes no alias in COQL"]


# --- expressions joined in without quotes ------------------------------------------------

UNQUOTED = """\
q = "select Last_Name from Leads where Email = " + email + " limit 5";
r = "select Last_Name from Leads where Created_Time > " + since.toString("yyyy-MM-dd'T'HH:mm:ss+05:30") + " limit 5";
s = "select Last_Name from Leads where Lead_Source = " + src + " limit 5";
t = "select Deal_Name from Deals where Amount > " + minAmount + " and Account_Name = " + accountId + " limit 5";
u = "select Last_Name from Leads where Email = '" + email + "' limit 5";
"""


def test_an_expression_joined_unquoted_into_a_text_or_date_comparison(raw: Api) -> None:
    """Was: an info `its value is not checked` on each, and `5 queries: 5 ok`."""
    found = [
        [(d.severity.value, d.line, d.column, d.message, d.hint) for d in r.diagnostics]
        for r in lint_deluge(UNQUOTED, Catalog.demo())
    ]
    lines = UNQUOTED.splitlines()
    assert found[0] == [
        (
            "warning",
            1,
            lines[0].index("email") + 1,
            "Deluge joins email without quotes into a comparison with Email (email): "
            "Zoho reads its value as COQL: any value but one plain word is refused unless it "
            "holds its quotes",
            """quote it: '" + email + "' (if its value has no quotes of its own)""",
        )
    ]
    # A date Deluge formats with no quote: an error (a bare variable is a warning, see
    # test_lint_deluge_r10lf2.py).
    assert found[1] == [
        (
            "error",
            2,
            lines[1].index("since") + 1,
            """Deluge joins since.toString("yyyy-MM-dd'T'HH:mm:ss+05:30") without quotes into a """
            "comparison with Created_Time (datetime): COQL writes a datetime in quotes, so Zoho "
            "refuses every value",
            """quote it: '" + since.toString("yyyy-MM-dd'T'HH:mm:ss+05:30") + "'""",
        )
    ]
    assert [(d[0], d[3]) for d in found[2]] == [
        (
            "warning",
            "Deluge joins src without quotes into a comparison with Lead_Source (picklist): "
            "Zoho reads its value as COQL: any value but one plain word is refused unless it "
            "holds its quotes",
        )
    ]
    # A number and a lookup's id go unquoted; a quoted expression is the value it is.
    assert [(d[0], d[3]) for d in found[3]] == [
        ("info", "Deluge joins minAmount into the query here: its value is not checked"),
        ("info", "Deluge joins accountId into the query here: its value is not checked"),
    ]
    assert [d[0] for d in found[4]] == ["info"]
    # What Zoho makes of the values such scripts join in, unquoted and quoted as the hint says.
    for built, quoted in (
        ("Email = patricia@zylker.com", "Email = 'patricia@zylker.com'"),
        ("Created_Time > 2024-01-01T00:00:00+05:30", "Created_Time > '2024-01-01T00:00:00+05:30'"),
        ("Lead_Source = Web Download", "Lead_Source = 'Web Download'"),
    ):
        assert raw.coql(f"select Last_Name from Leads where {built} limit 5").status_code == 400
        assert raw.coql(f"select Last_Name from Leads where {quoted} limit 5").status_code in (200, 204)
