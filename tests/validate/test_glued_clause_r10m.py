"""``from Leadswhere City = 'x'``: a module's name and a clause word with no blank between
them (two strings pasted together, ``"... from Leads" + "where ..."``). It got ``a module
takes no alias in COQL`` under ``City`` (or ``expected ... found 'by'``), with a hint
about aliases. With a catalog it is the module the org lacks, and the one meant; without
one, the parser's message with a hint saying what the word may be. A module really named
so, and a real alias, keep their messages (review L, finding 7). The last tests run
``coqlkit query`` and ``conn.check`` against a sandbox, a query built with ``+`` in Deluge
too."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import coqlkit
from coqlkit import Catalog, CoqlSyntaxError, parse
from coqlkit.catalog import Module
from coqlkit.cli import main
from coqlkit.lint import lint_text
from coqlkit.sandbox.server import Sandbox
from coqlkit.validate import explain_syntax_error, label_modules

ALIAS_HINT = (
    "name fields without a prefix; reach another module through a lookup field: select <lookup>.<field> "
    "from {} (as in select Account_Name.Industry from Contacts)"
)


def parse_error(text: str) -> CoqlSyntaxError:
    with pytest.raises(CoqlSyntaxError) as info:
        parse(text)
    return info.value


def explained(text: str, catalog: Catalog | None) -> CoqlSyntaxError:
    return explain_syntax_error(parse_error(text), catalog)


GLUED = [
    ("select Last_Name from Leadswhere City = 'x'", "Leadswhere", "Leads where", " City = 'x'"),
    (
        "select Last_Name, Email from leadswhere Lead_Status is null",
        "leadswhere",
        "Leads where",
        " Lead_Status is null",
    ),
    ("select Last_Name from Leadswhere not City = 'x'", "Leadswhere", "Leads where", " not City = 'x'"),
    ("select Last_Name from Leadswhere (City = 'x')", "Leadswhere", "Leads where", " (City = 'x')"),
    (
        "select Last_Name from Leadswhere Account_Name.Industry = 'x'",
        "Leadswhere",
        "Leads where",
        " Account_Name.Industry = 'x'",
    ),
    ("select Last_Name from Leadswhere Lead Status = 'x'", "Leadswhere", "Leads where", " Lead Status = 'x'"),
    (
        "select Last_Name from Leadsorder by Last_Name limit 2;",
        "Leadsorder",
        "Leads order",
        " by Last_Name limit 2",
    ),
    (
        "select Lead_Source, COUNT(id) from Leadsgroup by Lead_Source",
        "Leadsgroup",
        "Leads group",
        " by Lead_Source",
    ),
    ("select Last_Name from Leadslimit 5", "Leadslimit", "Leads limit", " 5"),
    ("select Last_Name from Leadsoffset :skip", "Leadsoffset", "Leads offset", " :skip"),
    (
        "select Last_Name from Leadzwhere City = 'x'",
        "Leadzwhere",
        "Leads where",
        " City = 'x'",
    ),  # Leadz: Leads
]


@pytest.mark.parametrize(("text", "word", "meant", "rest"), GLUED)
def test_with_a_catalog_the_module_the_org_lacks(
    demo: Catalog, text: str, word: str, meant: str, rest: str
) -> None:
    err = explained(text, demo)
    assert err.description == f"the org has no module {word}: did you mean '{meant}'?"
    at = text.index(word) + 1
    assert (err.line, err.column, err.end_column) == (1, at, at + len(word))
    assert err.hint == f"put a blank between them: from {meant}{rest}"
    assert err.code == "SYNTAX_ERROR"


@pytest.mark.parametrize(("text", "word", "meant", "rest"), GLUED)
def test_without_a_catalog_a_hint_says_it(text: str, word: str, meant: str, rest: str) -> None:
    plain = parse_error(text)
    err = explain_syntax_error(plain, None)
    assert (err.description, err.line, err.column, err.end_column) == (
        plain.description,
        plain.line,
        plain.column,
        plain.end_column,
    )
    module, clause = word[: -len(meant.split()[1])], meant.split()[1]
    assert err.hint == (
        f"if '{word}' is {module} and {clause.upper()} run together, put a blank between them: "
        f"from {module} {clause}{rest}"
    )


def test_on_a_line_of_its_own_and_in_a_subquery(demo: Catalog) -> None:
    err = explained("select Last_Name\nfrom Leadswhere\n  City = 'x'", demo)
    assert (err.line, err.column, err.end_column) == (2, 6, 16)
    assert err.hint == "put a blank between them: from Leads where"
    text = (
        "select Last_Name from Contacts where Account_Name in (select id from Accountswhere Industry = 'x')"
    )
    err = explained(text, demo)
    assert err.description == "the org has no module Accountswhere: did you mean 'Accounts where'?"
    assert err.column == text.index("Accountswhere") + 1


ORG = Catalog(
    [Module.build("Leads"), Module.build("Leadswhere"), Module.build("Workorder"), Module.build("Subgroup")]
)


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("select Name from Leadswhere City = 'x'", "Leadswhere"),  # the org's module, then an alias
        ("select Name from leadswhere City = 'x'", "leadswhere"),
    ],
)
def test_a_module_really_named_so_keeps_the_alias_error(text: str, module: str) -> None:
    plain = parse_error(text)
    err = explain_syntax_error(plain, ORG)
    assert err.description == "a module takes no alias in COQL"
    assert (err.line, err.column, err.end_column) == (plain.line, plain.column, plain.end_column)
    assert err.hint == ALIAS_HINT.format(module)


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("select Name from Workorder wo where City = 'x'", "Workorder"),  # `order`, then no BY
        ("select Name from Subgroup s where City = 'x'", "Subgroup"),
        ("select Name from Leads l where City = 'x'", "Leads"),
        ("select Name from Leads as l where City = 'x'", "Leads"),
    ],
)
@pytest.mark.parametrize("catalog", [ORG, None], ids=["catalog", "no catalog"])
def test_a_real_alias_error_is_as_it_was(text: str, module: str, catalog: Catalog | None) -> None:
    plain = parse_error(text)
    err = explain_syntax_error(plain, catalog)
    assert (err.description, err.column, err.end_column) == (
        plain.description,
        plain.column,
        plain.end_column,
    )
    assert err.description == "a module takes no alias in COQL"
    assert err.hint == ALIAS_HINT.format(module)


def test_a_module_the_org_lacks_as_much_as_its_start() -> None:
    org = Catalog([Module.build("Leads")])
    err = explained("select Name from Zorgwhere City = 'x'", org)
    assert err.description == "a module takes no alias in COQL"
    assert err.hint == (
        "if 'Zorgwhere' is Zorg and WHERE run together, put a blank between them: from Zorg where City = 'x'"
    )


def test_label_modules_names_the_module_meant(demo: Catalog) -> None:
    err = parse_error("select Last_Name from Leadsorder by Last_Name")
    assert label_modules(err, None) == ["Leads"]
    assert label_modules(err, demo) == ["Leads"]
    real = parse_error("select Name from Workorder by Name")  # `by` after the org's Workorder
    assert label_modules(real, ORG) == []


def test_lint_of_a_coql_file(demo: Catalog) -> None:
    text = "select Last_Name from Leads limit 2;\nselect Last_Name from Leadswhere City = 'x';\n"
    first, second = lint_text(text, demo)
    assert first.ok and not second.ok
    (found,) = second.diagnostics
    assert found.message == "the org has no module Leadswhere: did you mean 'Leads where'?"
    assert (found.span.line, found.span.column, found.span.end_column) == (2, 23, 33)
    assert found.hint == "put a blank between them: from Leads where City = 'x'"


# ---- against a sandbox: `coqlkit query`, conn.check --------------------------------------

CONCAT = '"select Deal_Name from Deals where Account_Name = \'" + accountId + "\' limit 2";'


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    db = tmp_path_factory.mktemp("glued-org") / "org.sqlite3"
    with Sandbox(records=200, db=str(db), token_limit=0) as running:
        yield running


@pytest.fixture
def zoho(org: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name, value in org.environment().items():
        monkeypatch.setenv(name, value)
    return org


def run(
    *args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``coqlkit ARGS`` in this process: its exit status, standard output and error."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def test_coqlkit_query_says_the_module_meant(
    zoho: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    job = tmp_path / "job.coql"
    job.write_text("select Last_Name from Leads limit 1;\nselect Last_Name from Leadswhere City = 'x';\n")
    status, out, err = run("query", "-f", str(job), monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1
    assert out.splitlines()[0] == "id,Last_Name"  # the first query ran, as a script's do
    assert (
        f"{job}:2:23: error[SYNTAX_ERROR]: the org has no module Leadswhere: did you mean 'Leads where'?"
        in err
    )
    assert "hint: put a blank between them: from Leads where City = 'x'" in err


def test_coqlkit_query_on_a_deluge_concatenation_spends_nothing(
    zoho: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = tmp_path / "stats.json"
    status, out, err = run(
        "query", "-c", CONCAT, "--stats-json", str(stats), monkeypatch=monkeypatch, capsys=capsys
    )
    assert out == ""
    assert status == 1
    assert "1:56: error[SYNTAX_ERROR]: the query is a Deluge string built with '+'" in err
    assert (
        "select Deal_Name from Deals where Account_Name = :accountId limit 2, and --param accountId=..."
        in err
    )
    assert json.loads(stats.read_text())["credits"] == 0


def test_the_suggested_command_runs(
    zoho: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the hint says to run is taken: the query with --param."""
    query = "select Deal_Name from Deals where Account_Name = :accountId limit 2"
    given = "accountId=4150868000000225013"
    status, out, err = run("query", "-c", query, "--param", given, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 0, err
    assert out.splitlines()[0] == "id,Deal_Name"


def test_conn_check_on_a_fresh_connection(zoho: Sandbox, tmp_path: Path) -> None:
    with coqlkit.connect(sandbox=zoho, cache_dir=str(tmp_path / "cache")) as conn:
        with pytest.raises(CoqlSyntaxError) as info:
            conn.check("select Last_Name from Leadsgroup by Last_Name")
        assert info.value.description == "the org has no module Leadsgroup: did you mean 'Leads group'?"
        assert info.value.hint == "put a blank between them: from Leads group by Last_Name"
        with pytest.raises(CoqlSyntaxError) as info:
            conn.check(CONCAT)
        assert info.value.description == "the query is a Deluge string built with '+'"
        assert (info.value.line, info.value.column) == (1, 56)
