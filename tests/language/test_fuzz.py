"""Fuzzing the front door: no text makes coqlkit fail in any way but a ``CoqlSyntaxError``.

Properties:

* **arbitrary text** (any unicode, and text biased to COQL's characters and keywords):
  ``coqlkit.parse`` returns a ``Select`` or raises ``CoqlSyntaxError``, never another exception.
  A syntax error points inside the text (``1 <= line <= lines``, ``1 <= column <= len(line) + 1``)
  and reads as a compiler message: ``line:column: error[SYNTAX_ERROR]: ...`` (or Zoho's ``INVALID_QUERY``
  for a LIMIT that is no count), the offending line quoted, and a caret line under the column;
  ``.expected`` names tokens, never grammar rules.
* **mutated queries**: ~30 realistic queries over the demo org (each valid: it parses, and the
  validator finds no error in it), mutated at random (characters and whole tokens deleted,
  inserted, duplicated, swapped, re-cased; keywords, quotes, parentheses, commas and operators
  inserted). Whatever comes out: ``parse`` raises only ``CoqlSyntaxError``; when it parses,
  ``validate(select, Catalog.demo())`` returns a list of diagnostics, ``render`` returns text or
  raises ``RenderError``/``ParameterError``, and ``lint_text`` returns one report per statement.
  Nothing raises anything else.
* **built queries**: ASTs built in code over the demo org's module and field names are
  validated (and rendered, and their text linted) without an exception.

The end of the file keeps the bugs these properties found as regression tests.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import coqlkit
from coqlkit import Catalog, CoqlSyntaxError, ParameterError, RenderError, Select
from coqlkit.errors import EXCERPT_WIDTH
from coqlkit.language import Comparison, Number, _build
from coqlkit.lint import lint_text
from coqlkit.validate import Diagnostic, Severity
from tests.language.strategies import BASE_SETTINGS, selects

CATALOG = Catalog.demo()
DEMO_MODULES = st.sampled_from(sorted(m.api_name for m in CATALOG))
DEMO_FIELDS = st.sampled_from(sorted({"id", *(f for m in CATALOG for f in m.fields)}))

#: Realistic queries over the demo org, in the liberal input dialect (comments, ``;``, flat chains,
#: ``LIMIT m, n``, bare words, parameters and ``*`` included).
QUERIES: tuple[str, ...] = (
    "select Last_Name, Email from Leads where Lead_Status = 'Contacted'",
    "select Last_Name, First_Name, Company from Leads where Email like '%zylker%' limit 10",
    "SELECT Last_Name FROM Leads WHERE Annual_Revenue > 100000 AND Lead_Source = 'Web Download' "
    "ORDER BY Last_Name ASC",
    "select Full_Name, Account_Name.Account_Name from Contacts "
    "where Account_Name.Industry = 'Systems Integrator'",
    "select Deal_Name, Amount, Stage from Deals where Stage in ('Qualification', 'Needs Analysis') "
    "order by Amount desc limit 50 offset 100",
    "select Deal_Name from Deals where Closing_Date between '2024-01-01' and '2024-12-31'",
    "select COUNT(id) from Deals where Amount >= 5000 group by Stage",
    "select Stage, SUM(Amount) as total, AVG(Probability) from Deals where id is not null "
    "group by Stage order by SUM(Amount) desc",
    "select Account_Name, 'External' from Accounts where 'External' is not null",
    "select Account_Name, Parent_Account.Account_Name from Accounts "
    "where Parent_Account.Parent_Account is null",
    "select Subject, 'What_Id->Leads.Last_Name' from Tasks where 'What_Id->Leads.Last_Name' like 'Sm%'",
    "select Subject, Status from Tasks "
    "where (Status = 'Completed' or Priority = 'High') and Due_Date < '2024-06-01'",
    "select Event_Title, Start_DateTime from Events where Start_DateTime >= '2024-05-28T09:30:00+05:30'",
    "select Product_Name, Unit_Price from Products "
    "where Unit_Price between 10.5 and 99.99 and Product_Active = 'true'",
    "select Last_Name from Contacts where Account_Name in "
    "(select id from Accounts where Industry = 'Service Provider')",
    "select Subject, Grand_Total from Quotes "
    "where Quote_Stage != 'Closed Lost' order by Grand_Total desc limit 200",
    "select Campaign_Name, Budgeted_Cost from Campaigns "
    "where Status = 'Active' and (Type = 'Webinar' or Type = 'Email')",
    "select Case_Number, Subject from Cases "
    "where Priority = 'High' and Status not in ('Closed', 'Escalated')",
    "select Vendor_Name, Email from Vendors where Email is not null limit 5",
    "select first_name, last_name from Users where status = 'active'",
    "select MAX(Amount), MIN(Amount) from Deals where Stage = 'Closed Won'",
    "select Last_Name from Leads where Last_Name not like '%test%' and Email_Opt_Out = 'false'",
    "select Owner.first_name, Deal_Name from Deals where Owner.email = 'asha@zylker.com'",
    "select Subject, Invoice_Date from Invoices where Invoice_Date > '2024-01-01' and Status = 'Created' "
    "order by Invoice_Date",
    "select Call_Type, Call_Duration_in_seconds from Calls where Call_Duration_in_seconds > 60",
    "select Last_Name from Leads -- the newest\nwhere Created_Time > '2024-01-01T00:00:00+00:00' limit 10;",
    "select Last_Name from Leads where Last_Name = 'O''Brien' and City = 'Chennai' and No_of_Employees > 10",
    "select count(id) from Leads where Lead_Source = Advertisement limit 20, 10",
    "select Deal_Name from Deals where Stage = :stage and Amount > :min",
    "select * from Leads where Last_Name like 'A%'",
    "select Last_Name from Leads /* only web */ where Lead_Source = 'Web Download' offset 400",
    "select Quantity, Product_Name.Product_Name from Quoted_Items where Quantity > 1.5",
)

# ---- text generators ---------------------------------------------------------------------------

KEYWORDS = (
    "select", "SELECT", "from", "where", "and", "or", "not", "like", "in", "between", "is", "null",
    "group by", "order by", "limit", "offset", "as", "asc", "desc", "except", "having", "join",
    "count", "COUNT", "sum", "update", "delete",
)  # fmt: skip
PUNCTUATION = (
    "'", '"', "''", "(", ")", ",", ".", "*", ";", "=", "!=", "<>", "<", ">=", "==", "!", "->", "#",
    ":", "--", "/*", "*/", "\\", "`", "%", "$", "-", "+",
)  # fmt: skip
WORDS = (
    "Leads", "Deals", "Last_Name", "Email", "Amount", "External", "Order", "id", ":p", "!Leads.",
    "#4150868", "1", "-2", "3.5", "1e3", "2024-01-01", "'x'", "'O''Brien'", "\n", "\t", " ",
)  # fmt: skip
PIECES = (*KEYWORDS, *PUNCTUATION, *WORDS)
COQL_CHARS = "abcdefgnorstwABCDEFGLNOSTW_$0123456789 \t\n'\"().,*;=!<>-+:#/%\\`"

#: A token as the mutator sees it: a string, a comment, a word, a run of blanks, one other character.
TOKEN = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|--[^\n]*|/\*.*?\*/|\w+|\s+|.", re.S)

coql_like_text = st.one_of(
    st.text(alphabet=COQL_CHARS, max_size=80),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet=COQL_CHARS, max_size=3)), max_size=25).map(
        " ".join
    ),
    st.lists(st.sampled_from(PIECES), max_size=25).map("".join),
)

MUTATIONS = (
    "delete_char",
    "insert_char",
    "duplicate_char",
    "swap_chars",
    "delete_token",
    "insert_token",
    "duplicate_token",
    "swap_tokens",
    "move_token",
    "recase_token",
)
mutation_steps = st.lists(
    st.tuples(
        st.sampled_from(MUTATIONS),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.one_of(st.sampled_from(PIECES), st.characters()),
    ),
    min_size=1,
    max_size=6,
)


def mutate(text: str, steps: Sequence[tuple[str, int, int, str]]) -> str:
    """Apply each step; positions are taken modulo the length, so every step applies."""
    for kind, i, j, piece in steps:
        if kind.endswith("_char"):
            chars = list(text) or [" "]
            a = i % len(chars)
            if kind == "delete_char":
                del chars[a]
            elif kind == "insert_char":
                chars.insert(i % (len(chars) + 1), piece[:1])
            elif kind == "duplicate_char":
                chars.insert(a, chars[a])
            else:
                b = (a + 1) % len(chars)
                chars[a], chars[b] = chars[b], chars[a]
            text = "".join(chars)
            continue
        tokens = TOKEN.findall(text) or [" "]
        a, b = i % len(tokens), j % len(tokens)
        if kind == "delete_token":
            del tokens[a]
        elif kind == "insert_token":
            tokens.insert(i % (len(tokens) + 1), f" {piece} " if j % 2 else piece)
        elif kind == "duplicate_token":
            tokens.insert(a, tokens[a])
        elif kind == "swap_tokens":
            tokens[a], tokens[b] = tokens[b], tokens[a]
        elif kind == "move_token":
            tokens.insert(b, tokens.pop(a))
        else:
            tokens[a] = (str.upper, str.lower, str.swapcase, str.title)[j % 4](tokens[a])
        text = "".join(tokens)
    return text


# ---- checks ------------------------------------------------------------------------------------

CARET_LINE = re.compile(r"[ \t]*\^+")
#: What ``.expected`` may hold: tokens as a person writes them, never a grammar rule's name.
TOKEN_NAMES = frozenset(_build.DISPLAY.values())


def check_syntax_error(err: CoqlSyntaxError, text: str) -> None:
    """A syntax error is inside the text and reads as ``line:col: error[SYNTAX_ERROR]: ...`` with a caret.

    Lines are counted at ``\n`` only, as the lexer counts them. The one other code a
    ``CoqlSyntaxError`` may carry is Zoho's ``INVALID_QUERY`` for a LIMIT/OFFSET that is no count.
    """
    lines = text.split("\n")
    if err.code != "SYNTAX_ERROR":
        assert err.code == "INVALID_QUERY" and "given seems to be invalid" in err.description, err
    assert 1 <= err.line <= len(lines), (err.line, len(lines))
    assert 1 <= err.column <= len(lines[err.line - 1]) + 1, (err.column, lines[err.line - 1])
    message = str(err)
    assert message.startswith(f"{err.line}:{err.column}: error[{err.code}]: "), message
    assert err.description and err.description in message
    assert CARET_LINE.fullmatch(message.split("\n")[2]), message
    check_excerpt(err, lines[err.line - 1].rstrip("\r"))
    assert set(err.expected) <= TOKEN_NAMES, err.expected


def check_excerpt(err: CoqlSyntaxError, line: str) -> None:
    """The quoted line is the source line, or for a long one a window of it marked with
    ``…``; either way the caret stands under the error's column."""
    shown = excerpt_line(err)
    if len(line) <= EXCERPT_WIDTH:
        assert shown == line, str(err)
        return
    body = shown.removeprefix("…").removesuffix("…")
    assert body in line and len(body) == EXCERPT_WIDTH, str(err)
    assert unicodedata.category(body[0]) not in ("Mn", "Me"), str(err)  # no mark cut from its letter
    caret = str(err).split("\n")[2].index("^") - 2
    if err.column <= len(line):
        # The caret stands under the error's character as a terminal shows the line: after
        # the display width of what comes before it (a combining mark takes none).
        at = len(shown) - len(shown.removeprefix("…")) + err.column - 1 - line.index(body)
        assert shown[at] == line[err.column - 1], str(err)
        assert caret == display_width(shown[:at]), str(err)


def display_width(text: str) -> int:
    """Terminal columns of ``text`` (as wcwidth counts them): wide East Asian characters
    two, combining marks and format characters none."""
    return sum(
        2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 0
        if unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 1
        for ch in text
    )


def excerpt_line(err: CoqlSyntaxError) -> str:
    """The source line ``str(err)`` quotes (after the header, above the carets), without the indent."""
    shown = str(err).split("\n")
    assert CARET_LINE.fullmatch(shown[2]), shown
    return shown[1].removeprefix("  ")


def parse_or_syntax_error(text: str) -> Select | None:
    try:
        return coqlkit.parse(text)
    except CoqlSyntaxError as err:
        check_syntax_error(err, text)
        return None


def check_the_rest(select: Select, text: str) -> None:
    """Validation and rendering of a query that parsed; the rendered text parses again."""
    diagnostics = coqlkit.validate(select, CATALOG)
    assert isinstance(diagnostics, list)
    assert all(isinstance(d, Diagnostic) for d in diagnostics)
    assert all(d.format(text) for d in diagnostics)
    try:
        rendered = coqlkit.render(select)
    except (RenderError, ParameterError):
        pass
    else:
        assert isinstance(rendered, str)
        assert coqlkit.parse(rendered) is not None


def check_lint(text: str) -> None:
    reports = lint_text(text, CATALOG)
    assert isinstance(reports, list)
    for report in reports:
        for d in report.diagnostics:
            assert d.line >= 1 and d.column >= 1
            assert d.severity in Severity


# ---- properties -------------------------------------------------------------------------------


@settings(BASE_SETTINGS, max_examples=300)
@given(st.text())
@example("")
@example("-- only a comment")
@example("select")
@example("select a from B where x = 'unterminated")
@example("select a from B; select c from D")
@example("^")
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    select = parse_or_syntax_error(text)
    assert select is None or isinstance(select, Select)
    check_lint(text)


@settings(BASE_SETTINGS, max_examples=400)
@given(coql_like_text)
def test_coql_like_text_parses_or_is_a_syntax_error(text: str) -> None:
    select = parse_or_syntax_error(text)
    if select is not None:
        check_the_rest(select, text)
    check_lint(text)


@pytest.mark.parametrize("query", QUERIES)
def test_seed_queries_are_valid(query: str) -> None:
    """The seeds really are valid COQL over the demo org, so mutations start from good input."""
    select = coqlkit.parse(query)
    errors = [d for d in coqlkit.validate(select, CATALOG) if d.is_error]
    assert errors == []
    assert all(r.ok for r in lint_text(query, CATALOG))


@settings(BASE_SETTINGS, max_examples=600)
@given(st.sampled_from(QUERIES), mutation_steps)
def test_mutated_queries_fail_only_as_syntax_errors(
    query: str, steps: list[tuple[str, int, int, str]]
) -> None:
    text = mutate(query, steps)
    select = parse_or_syntax_error(text)
    if select is not None:
        check_the_rest(select, text)
    check_lint(text)


@settings(BASE_SETTINGS, max_examples=150)
@given(selects(names=DEMO_FIELDS, modules=DEMO_MODULES))
def test_validate_never_raises_on_built_queries(select: Select) -> None:
    """ASTs built in code (over the demo org's names) are validated, rendered and linted without a crash."""
    try:
        text = coqlkit.render(select)
    except RenderError:
        text = None
    diagnostics = coqlkit.validate(select, CATALOG)
    assert all(isinstance(d, Diagnostic) and d.format(text) for d in diagnostics)
    if text is not None:
        check_lint(text)


# ---- regressions ----------------------------------------------------------------------------
# Bugs the properties above found (the case is the minimal example Hypothesis gave, unless the
# docstring says otherwise), kept so they stay fixed.


@pytest.mark.parametrize(
    ("text", "line"),
    [("\x0c\n=", 2), ("select a\x0cfrom B where\n x = = 1", 2), ("select a\rfrom B\nwhere =", 2), ("\r", 1)],
)
def test_excerpt_quotes_the_error_line(text: str, line: int) -> None:
    """Was: the excerpt came from ``text.splitlines()``, so a form feed or ``\\r`` shifted it a line."""
    with pytest.raises(CoqlSyntaxError) as info:
        coqlkit.parse(text)
    assert info.value.line == line
    check_syntax_error(info.value, text)


@pytest.mark.parametrize("text", ["'", "^", "select Last_Name from Leads where ^"])
def test_expected_lists_only_tokens(text: str) -> None:
    """Was: ``'`` gave ``expected == ('SELECT', 'select_stmt', 'start')``: grammar rules leaked in."""
    with pytest.raises(CoqlSyntaxError) as info:
        coqlkit.parse(text)
    assert set(info.value.expected) <= TOKEN_NAMES, info.value.expected
    assert "select_stmt" not in str(info.value)


@pytest.mark.parametrize(
    ("clause", "code"),
    [
        ("where No_of_Employees = {}", "SYNTAX_ERROR"),
        ("where a in (1, {})", "SYNTAX_ERROR"),
        ("where a = 1e999999999999999999", "SYNTAX_ERROR"),
        ("limit {}", "INVALID_QUERY"),
        ("offset {}", "INVALID_QUERY"),
    ],
)
def test_huge_number_literal_is_a_syntax_error(clause: str, code: str) -> None:
    """Was: 4301 digits (Python's int max str digits + 1; Hypothesis' minimal digit count) raised
    ValueError from ``int()``, and ``1e999999999999999999`` (found by reading ``to_number``) parsed,
    then made validate, render and lint raise MemoryError."""
    text = "select Last_Name from Leads " + clause.format("1" * 4301)
    with pytest.raises(CoqlSyntaxError) as info:
        coqlkit.parse(text)
    assert info.value.code == code
    check_syntax_error(info.value, text)
    check_lint(text)


@pytest.mark.parametrize(
    "value",
    [Decimal("1E+999999999999999999"), Decimal("NaN"), Decimal("Infinity"), 10**5000],
    ids=["1E+999999999999999999", "NaN", "Infinity", "10**5000"],
)
def test_validate_reports_an_unrenderable_number(value: int | Decimal) -> None:
    """Was: a Number past COQL's bound, built in code, made validate raise (MemoryError, ValueError,
    OverflowError from ``int()`` in the integer check) instead of reporting it. Found by reading the
    integer check after ``1e999999999999999999`` (above) made it raise MemoryError."""
    for field in ("No_of_Employees", "Annual_Revenue", "Last_Name"):
        select = coqlkit.parse(f"select Last_Name from Leads where {field} = 1")
        assert isinstance(select.where, Comparison)
        built = replace(select, where=replace(select.where, right=Number(value)))
        assert any(d.is_error for d in coqlkit.validate(built, CATALOG)), field
