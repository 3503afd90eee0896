"""`coqlkit lint` on Deluge scripts: the COQL in their string literals, at file positions."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from coqlkit.catalog import Catalog
from coqlkit.cli import main
from coqlkit.lint import lint_deluge

RESCORE = """\
// Nightly: re-score the open leads of an account.
// (was: "select Emial from Leads" before the Email field was renamed)
void automation.rescore_leads(int accountId)
{
\t/* the hot ones first: select Lead_Status from Leads */
\thot = zoho.crm.coql("select Last_Name, Emial, Company from Leads where Lead_Status = 'Contacted' limit 200");
\turl = "https://www.zohoapis.com/crm/v8/coql"; // a string's "//" is no comment
\tbody = Map();
\tbody.put("select_query", "select Last_Name, Annual_Revenue from Leads where Lead_Status = 'Contactd' order by Annual_Revenue desc limit 2000");
\tresponse = invokeurl
\t[
\t\turl: url
\t\ttype: POST
\t\tparameters: body.toString()
\t\tconnection: "crm"
\t];
\tinfo response;
}
"""


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["lint", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def column(text: str, line: int, needle: str) -> int:
    return text.splitlines()[line - 1].index(needle) + 1


def test_a_deluge_function_reports_each_query_at_its_place_in_the_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rescore.dg"
    path.write_text(RESCORE)
    code, out, _ = lint(capsys, "--demo", str(path))
    assert code == 1
    assert (column(RESCORE, 6, "Emial"), column(RESCORE, 9, "'Contactd'")) == (41, 92)
    assert out == (
        f"{path}:6:41: error[INVALID_QUERY]: Leads has no field Emial\n"
        "  \thot = zoho.crm.coql(\"select Last_Name, Emial, Company from Leads where Lead_Status = 'Contacted' limit 200\");\n"
        "  \t                                       ^^^^^\n"
        "  hint: did you mean Email?\n"
        f"{path}:9:92: warning[INVALID_QUERY]: 'Contactd' is not a value of the picklist Lead_Status\n"
        "  …, \"select Last_Name, Annual_Revenue from Leads where Lead_Status = 'Contactd' order by Annual_Revenue desc limit 2000\");\n"
        "                                                                      ^^^^^^^^^^\n"
        "  hint: closest values: 'Contacted'\n"
        "2 queries: 1 ok, 1 with errors; 1 error, 1 warning\n"
    )


def test_json_lines_and_fail_on_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rescore.deluge"
    path.write_text(RESCORE.replace("Emial", "Email"))
    assert lint(capsys, "--demo", str(path))[0] == 0
    code, out, _ = lint(capsys, "--demo", "--fail-on", "warning", "--format", "json", str(path))
    assert code == 1
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["file"], line["ok"]) for line in lines] == [(str(path), True), (str(path), True)]
    assert lines[1]["query"].startswith("select Last_Name, Annual_Revenue from Leads")
    assert [(d["severity"], d["line"], d["column"]) for d in lines[1]["diagnostics"]] == [("warning", 9, 92)]


def test_comments_and_other_strings_are_not_queries(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = """\
// select Emial from Leads
/* "select Emial from Leads"
   select Emial from Leads */
info "Select a record first";  // text that starts with select but is no query
selected = "selected";
when = '01-Jan-2024';  // a date literal; "select Emial from Leads"
url = "https://example.com/x"; /* select */ info "select Last_Name from Leads where id is not null limit 5";
"""
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    assert lint(capsys, "--demo", "--deluge", "-") == (0, "1 query: 1 ok, 0 with errors\n", "")
    reports = lint_deluge(script, Catalog.demo())
    assert [r.statement.text for r in reports] == ["select Last_Name from Leads where id is not null limit 5"]
    assert [(r.statement.line, r.statement.column) for r in reports] == [(7, 51)]
    assert all(r.ok and not r.diagnostics for r in reports)


def test_escaped_quotes_keep_positions_true(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        'q = "select Last_Name from Leads where Last_Name = \'say \\"hi\\"\' and Emial is null limit 1";\n'
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    code, out, _ = lint(capsys, "--demo", "--deluge", "-q", "-")
    assert code == 1
    assert out.startswith(
        f"<stdin>:1:{column(script, 1, 'Emial')}: error[INVALID_QUERY]: Leads has no field Emial"
    )
    assert column(script, 1, "Emial") == 69  # column 62 of the query, after 5 characters and two \" escapes
    (report,) = lint_deluge(script, Catalog.demo())
    assert (
        report.statement.text
        == "select Last_Name from Leads where Last_Name = 'say \"hi\"' and Emial is null limit 1"
    )
    # A \n escape starts a line of the query, not of the script; \\ is one backslash.
    script = "q = \"select Last_Name\\nfrom Leads where Last_Name = 'a\\\\b' and Emial is null limit 1\";\n"
    (report,) = lint_deluge(script, Catalog.demo())
    assert (
        report.statement.text
        == "select Last_Name\nfrom Leads where Last_Name = 'a\\b' and Emial is null limit 1"
    )
    assert [(d.line, d.column) for d in report.diagnostics] == [(1, column(script, 1, "Emial"))]


def test_a_query_built_by_concatenation() -> None:
    script = """\
deals = zoho.crm.coql("select Deal_Name from Deals where Account_Name = '" + accountId + "' and Stage = 'Closed Wn' limit 10");
leads = zoho.crm.coql("select Last_Name, Company " +
\t"from Leads where Lead_Status in (" + statuses.toString() + ") and Emial is not null limit 10");
any = zoho.crm.coql("select id from " + moduleName + " where id = 1");
"""
    reports = lint_deluge(script, Catalog.demo())
    found = [
        sorted(((d.severity.value, d.line, d.column, d.message) for d in r.diagnostics), key=lambda d: d[1:3])
        for r in reports
    ]
    assert found == [
        [
            (
                "info",
                1,
                column(script, 1, "'\" + accountId"),
                "Deluge joins accountId into the query here: its value is not checked",
            ),
            (
                "warning",
                1,
                column(script, 1, "'Closed Wn'"),
                "'Closed Wn' is not a value of the picklist Stage",
            ),
        ],
        [
            (
                "info",
                3,
                column(script, 3, "statuses"),
                "Deluge joins statuses.toString() into the query here: its value is not checked",
            ),
            ("error", 3, column(script, 3, "Emial"), "Leads has no field Emial"),
        ],
        [
            (
                "info",
                4,
                column(script, 4, "moduleName"),
                "Deluge joins moduleName into the query here: the query's shape depends on its value, so it is not checked",
            )
        ],
    ]
    assert reports[0].statement.text == (
        "select Deal_Name from Deals where Account_Name = :accountId and Stage = 'Closed Wn' limit 10"
    )
    assert [r.ok for r in reports] == [True, False, True]


def test_a_script_without_coql_is_like_a_file_without_queries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "hello.dg"
    script.write_text('// select Emial from Leads\ninfo "hello";\nm = {"a": 1};\n')
    empty = tmp_path / "empty.coql"
    empty.write_text("-- nothing here\n")
    assert lint(capsys, "--demo", str(script)) == lint(capsys, "--demo", str(empty))
    assert lint(capsys, "--demo", str(script)) == (0, "0 queries: 0 ok, 0 with errors\n", "")


def test_coql_files_and_deluge_scripts_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "q.coql"
    plain.write_text('select Emial from Leads;\n-- "select" in a comment\nselect Last_Name from Leads;\n')
    script = tmp_path / "f.dg"
    script.write_text('r = zoho.crm.coql("select Emial from Leads where id is not null limit 5");\n')
    code, out, _ = lint(capsys, "--demo", "-q", str(plain), str(script))
    assert code == 1
    heads = [line for line in out.splitlines() if ": error[" in line]
    assert heads == [
        f"{plain}:1:8: error[INVALID_QUERY]: Leads has no field Emial",
        f"{script}:1:27: error[INVALID_QUERY]: Leads has no field Emial",
    ]
    # --deluge reads a file of any name as Deluge: the plain file's queries are no strings.
    code, out, _ = lint(capsys, "--demo", "--deluge", str(plain))
    assert (code, out) == (0, "0 queries: 0 ok, 0 with errors\n")


def test_a_label_in_where_is_named_from_the_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A field's label typed where its name goes, in a .coql file and in a Deluge script:
    the hint names the field the org labels so (Owner), not a guess from the words."""
    query = "select Last_Name from Leads where Lead Owner = '4150868000000225013'"
    plain = tmp_path / "q.coql"
    plain.write_text(query + ";\n")
    script = tmp_path / "f.dg"
    script.write_text(f'rows = zoho.crm.coql("{query}");\n')
    for path in (plain, script):
        code, out, _ = lint(capsys, "--demo", str(path))
        assert code == 1
        assert "hint: did you mean Owner? (the field labelled Lead Owner)" in out, out
