"""The Pygments lexer for COQL, and its prompt_toolkit wrapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.document import Document
from prompt_toolkit.styles import Style
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Token,
    Whitespace,
)

from coqlkit.errors import CoqlError
from coqlkit.language import parse, split_statements
from coqlkit.repl.lexer import STYLE, CoqlLexer, prompt_lexer, prompt_style

LEXER = CoqlLexer()
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "coql"


def lex(text: str) -> list[tuple[object, str]]:
    """The tokens of ``text`` without the blanks."""
    return [(t, v) for _, t, v in LEXER.get_tokens_unprocessed(text) if t is not Whitespace]


def corpus() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.coql")):
        body = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
        texts += [s.text for s in split_statements(body)]
    return texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "select Last_Name, COUNT(id) from Leads#4150 where Annual_Revenue >= 1.5e3 limit 10 offset 5",
            [
                (Keyword, "select"),
                (Name, "Last_Name"),
                (Punctuation, ","),
                (Name.Builtin, "COUNT"),
                (Punctuation, "("),
                (Name, "id"),
                (Punctuation, ")"),
                (Keyword, "from"),
                (Name.Class, "Leads"),
                (Name.Label, "#4150"),
                (Keyword, "where"),
                (Name, "Annual_Revenue"),
                (Operator, ">="),
                (Number.Float, "1.5e3"),
                (Keyword, "limit"),
                (Number.Integer, "10"),
                (Keyword, "offset"),
                (Number.Integer, "5"),
            ],
        ),
        (
            "SELECT 'Account_Name' AS 'Account id' FROM Contacts WHERE Last_Name = 'O''Brien\\'s'",
            [
                (Keyword, "SELECT"),
                (Name.Quoted, "'Account_Name'"),
                (Keyword, "AS"),
                (Name.Label, "'Account id'"),
                (Keyword, "FROM"),
                (Name.Class, "Contacts"),
                (Keyword, "WHERE"),
                (Name, "Last_Name"),
                (Operator, "="),
                (String.Single, "'"),
                (String.Single, "O"),
                (String.Escape, "''"),
                (String.Single, "Brien"),
                (String.Escape, "\\'"),
                (String.Single, "s"),
                (String.Single, "'"),
            ],
        ),
        (
            "select What_Id->Leads.Last_Name, !Tasks.Owner.role.id from Tasks",
            [
                (Keyword, "select"),
                (Name, "What_Id"),
                (Operator, "->"),
                (Name.Class, "Leads"),
                (Punctuation, "."),
                (Name, "Last_Name"),
                (Punctuation, ","),
                (Name.Namespace, "!Tasks."),
                (Name, "Owner"),
                (Punctuation, "."),
                (Name, "role"),
                (Punctuation, "."),
                (Name, "id"),
                (Keyword, "from"),
                (Name.Class, "Tasks"),
            ],
        ),
        (
            "select id from Accounts where 'External' like '%x' and Lead_Source = Advertisement"
            " or Created_Time between 2024-01-01 and 2024-01-31T09:00:00+05:30",
            [
                (Keyword, "select"),
                (Name, "id"),
                (Keyword, "from"),
                (Name.Class, "Accounts"),
                (Keyword, "where"),
                (Name.Quoted, "'External'"),
                (Operator.Word, "like"),
                (String.Single, "'"),
                (String.Single, "%x"),
                (String.Single, "'"),
                (Operator.Word, "and"),
                (Name, "Lead_Source"),
                (Operator, "="),
                (String, "Advertisement"),
                (Operator.Word, "or"),
                (Name, "Created_Time"),
                (Operator.Word, "between"),
                (Literal.Date, "2024-01-01"),
                (Operator.Word, "and"),
                (Literal.Date, "2024-01-31T09:00:00+05:30"),
            ],
        ),
        (
            "select * except (Tag) from Leads -- all\nwhere Email is not null and Owner in :owners;",
            [
                (Keyword, "select"),
                (Operator, "*"),
                (Keyword, "except"),
                (Punctuation, "("),
                (Name, "Tag"),
                (Punctuation, ")"),
                (Keyword, "from"),
                (Name.Class, "Leads"),
                (Comment.Single, "-- all"),
                (Keyword, "where"),
                (Name, "Email"),
                (Operator.Word, "is"),
                (Operator.Word, "not"),
                (Keyword.Constant, "null"),
                (Operator.Word, "and"),
                (Name, "Owner"),
                (Operator.Word, "in"),
                (Name.Variable, ":owners"),
                (Punctuation, ";"),
            ],
        ),
        (
            "select Stage, SUM(Amount) total from Deals /* by stage */ group by Stage order by total desc",
            [
                (Keyword, "select"),
                (Name, "Stage"),
                (Punctuation, ","),
                (Name.Builtin, "SUM"),
                (Punctuation, "("),
                (Name, "Amount"),
                (Punctuation, ")"),
                (Name, "total"),
                (Keyword, "from"),
                (Name.Class, "Deals"),
                (Comment.Multiline, "/*"),
                (Comment.Multiline, " by stage "),
                (Comment.Multiline, "*/"),
                (Keyword, "group"),
                (Keyword, "by"),
                (Name, "Stage"),
                (Keyword, "order"),
                (Keyword, "by"),
                (Name, "total"),
                (Keyword, "desc"),
            ],
        ),
        (
            "select id from Leads where id in (select Lead from Campaigns where Name = 'Spring')",
            [
                (Keyword, "select"),
                (Name, "id"),
                (Keyword, "from"),
                (Name.Class, "Leads"),
                (Keyword, "where"),
                (Name, "id"),
                (Operator.Word, "in"),
                (Punctuation, "("),
                (Keyword, "select"),
                (Name, "Lead"),
                (Keyword, "from"),
                (Name.Class, "Campaigns"),
                (Keyword, "where"),
                (Name, "Name"),
                (Operator, "="),
                (String.Single, "'"),
                (String.Single, "Spring"),
                (String.Single, "'"),
                (Punctuation, ")"),
            ],
        ),
    ],
    ids=[
        "clauses",
        "quoted names and escapes",
        "paths",
        "conditions",
        "star, comment, params",
        "grouping",
        "subquery",
    ],
)
def test_token_types(text: str, expected: list[tuple[object, str]]) -> None:
    assert lex(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "select a from B where c = 'never closed",
        "select a from B where c = 'ends in a backslash\\",
        'select "double ""quoted"" name" from B',
        "select a from B /* never closed",
        "select a from B where c = :",
        "select a from B where c !",
        "select a.",
        "select Näme from Lëads where x = '€'",
        "\n\n  select\ta\r\nfrom B  \n",
        "",
    ],
)
def test_tokens_give_back_the_text(text: str) -> None:
    tokens = list(LEXER.get_tokens_unprocessed(text))
    assert "".join(v for _, _, v in tokens) == text
    assert [i for i, _, _ in tokens] == sorted(i for i, _, _ in tokens)


def test_partial_input_never_errors() -> None:
    """Every prefix of a query, as typed: each character in one token, no Error token."""
    text = (
        "select Last_Name, 'Account_Name.Parent_Account' as 'p', COUNT(id) from Contacts#12 "
        "where (Lead_Source in ('A''b', :x) or Created_Time >= 2024-01-01) -- note\n"
        "and What_Id->Leads.Company like '%x%' /* c */ order by Last_Name desc limit 5, 10;"
    )
    for end in range(len(text) + 1):
        tokens = list(LEXER.get_tokens_unprocessed(text[:end]))
        assert "".join(v for _, _, v in tokens) == text[:end]
        assert not [v for _, t, v in tokens if t in Error], text[:end]


def test_the_corpus_round_trips_and_valid_queries_have_no_errors() -> None:
    texts = corpus()
    valid = 0
    for text in texts:
        tokens = list(LEXER.get_tokens_unprocessed(text))
        assert "".join(v for _, _, v in tokens) == text
        try:
            parse(text)
        except CoqlError:
            continue
        valid += 1
        assert not [v for _, t, v in tokens if t in Error], text
    assert valid > 100


def test_get_tokens_normalises_like_any_pygments_lexer() -> None:
    text = "select a from B"
    assert "".join(v for _, v in LEXER.get_tokens(text)) == text + "\n"


def test_pygments_metadata() -> None:
    assert CoqlLexer.name == "COQL"
    assert "coql" in CoqlLexer.aliases
    assert "*.coql" in CoqlLexer.filenames


def test_prompt_toolkit_lexer_and_style() -> None:
    lexer = prompt_lexer()
    line = lexer.lex_document(Document("select id from Leads"))(0)
    assert line[0] == ("class:pygments.keyword", "select")
    assert ("class:pygments.name.class", "Leads") in line
    assert "".join(text for _, text, *_ in line) == "select id from Leads"
    assert isinstance(prompt_style(), Style)
    # Every rule names a token type the lexer emits or a completion kind.
    names = {str(t).lower().replace("token.", "pygments.") for t in _token_types()}
    for rule in STYLE:
        assert rule.startswith("completion.") or any(n == rule or n.startswith(rule + ".") for n in names), (
            rule
        )


def _token_types() -> set[object]:
    found: set[object] = {Token.Error}
    for text in corpus():
        found |= {t for _, t, _ in LEXER.get_tokens_unprocessed(text)}
    found |= {t for _, t, _ in LEXER.get_tokens_unprocessed("select 'a' as 'b' from A where x = :p /* c */")}
    found |= {t for _, t, _ in LEXER.get_tokens_unprocessed("\\d+ Leads")}
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\\", [(Keyword.Pseudo, "\\")]),  # the first key of every command: no error block
        ("\\d Co", [(Keyword.Pseudo, "\\d"), (Text, " Co")]),
        ("\\d+ Deals", [(Keyword.Pseudo, "\\d+"), (Text, " Deals")]),  # the + no operator
        (".tables Lead", [(Keyword.Pseudo, ".tables"), (Text, " Lead")]),
        (
            "select Last_Name\n  \\dt Acc*\nfrom Leads",  # a command under a statement
            [
                (Keyword, "select"),
                (Name, "Last_Name"),
                (Keyword.Pseudo, "\\dt"),
                (Text, " Acc*"),
                (Keyword, "from"),
                (Name.Class, "Leads"),
            ],
        ),
        ("select a from B where x >\n.5", None),  # a number going on, not a command
        ("select a from B where c = 'a\n\\dt'", None),  # in a string
        ("select a from B /* a\n\\dt */", None),  # in a comment
    ],
)
def test_command_lines(text: str, expected: list[tuple[object, str]] | None) -> None:
    """Highlighted as commands (the backslash showed white on red: Pygments' Error)."""
    found = lex(text)
    if expected is not None:
        assert found == expected
    else:
        assert Keyword.Pseudo not in {t for t, _ in found}
    assert "".join(v for _, _, v in LEXER.get_tokens_unprocessed(text)) == text
    styles = {style for style, *_ in prompt_lexer().lex_document(Document(text))(0)}
    assert "class:pygments.error" not in styles


@pytest.mark.parametrize("blank", ["\u00a0", "\u202f", "\ufeff", "\u200b", "\u2060"])
def test_pasted_blanks_are_whitespace_as_the_parser_reads_them(blank: str) -> None:
    """A no-break or zero-width space pasted between words is a blank to the parser: no
    error block under it while typing (the zero-width ones showed as errors)."""
    text = f"select Last_Name from Leads{blank}where{blank}Last_Name = 'a{blank}b'"
    assert Error not in {t for t, _ in LEXER.get_tokens(text)}
    assert "".join(v for _, v in LEXER.get_tokens(text)).rstrip("\n") == text
