"""The golden corpus: COQL queries and what coqlkit must say about them.

Each ``tests/fixtures/coql/*.coql`` file holds cases written from the team's reading of
Zoho's documentation (``shared/coql-reference.md``), not from coqlkit's output. A case is::

    # title: unknown field gets a did-you-mean
    # expect: INVALID_QUERY error 1:8
    # hint: did you mean Email?
    select Emial from Leads;

``# title:`` opens a case; directive lines follow; then the query, which may span lines
and ends with ``;`` at the end of a line. That ``;`` closes the case and is not part of
the query (write ``;;`` to give the query a trailing ``;`` of its own). Directives:

``# expect: ok``
    the query parses and has no error or warning diagnostics.
``# expect: CODE SEVERITY LINE:COL`` (one line per diagnostic)
    the error and warning diagnostics of ``validate`` (in its order), or the one syntax
    error ``parse`` raises (severity ``error``, told again with the catalog's knowledge by
    ``explain_syntax_error``), are exactly these.
``# info: CODE LINE:COL``
    an info diagnostic with that code and position is among the diagnostics.
``# hint: text``
    some diagnostic's hint (or the syntax error's) contains ``text``.
``# render: strict COQL``
    ``render(parse(query))`` is exactly this.
``# metadata: none``
    validate without a catalog (the default is ``Catalog.demo()``).
``# xfail: reason``
    coqlkit disagrees with the reference here; the case must fail until it is fixed.

LINE:COL are 1-based and relative to the query (its first character is 1:1). Every case
needs at least one ``# expect:`` line. Anything else in a file is an error of the corpus.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import coqlkit
from coqlkit import Catalog, CoqlSyntaxError, Diagnostic, Severity
from coqlkit.validate import explain_syntax_error

CORPUS = Path(__file__).parent / "fixtures" / "coql"
MIN_CASES = 80
MIN_ERROR_CASES = 25

_DIRECTIVE = re.compile(r"# (?P<key>[a-z]+): (?P<value>\S.*?)\s*")
_EXPECTED = re.compile(r"(?P<code>[A-Z][A-Z_]*) (?P<severity>error|warning) (?P<line>\d+):(?P<column>\d+)")
_INFO = re.compile(r"(?P<code>[A-Z][A-Z_]*) (?P<line>\d+):(?P<column>\d+)")
_SINGLE = ("render", "metadata", "xfail")


class CorpusError(Exception):
    """A corpus file that does not follow the format above."""


@dataclass(frozen=True)
class Expected:
    """One diagnostic as the corpus states it (``severity`` is ``Severity.value``)."""

    code: str
    severity: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.code} {self.severity} {self.line}:{self.column}"


@dataclass
class Case:
    """One corpus case: a query and what must be true of it."""

    file: str
    title: str
    line: int
    query: str = ""
    ok: bool = False
    expect: list[Expected] = field(default_factory=list)
    infos: list[Expected] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    render: str | None = None
    metadata: bool = True
    xfail: str | None = None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.title}"

    @property
    def expects_error(self) -> bool:
        return any(e.severity == "error" for e in self.expect)

    def add(self, key: str, value: str) -> None:
        """Apply one directive line (``title`` is handled by the reader)."""
        if key in _SINGLE and getattr(self, key) not in (None, True):
            raise CorpusError(f"'# {key}:' given twice")
        if key == "expect":
            self._add_expect(value)
        elif key == "info":
            m = _INFO.fullmatch(value)
            if m is None:
                raise CorpusError(f"'# info: {value}' is not 'CODE LINE:COL'")
            self.infos.append(Expected(m["code"], "info", int(m["line"]), int(m["column"])))
        elif key == "hint":
            self.hints.append(value)
        elif key == "render":
            self.render = value
        elif key == "metadata":
            if value != "none" or not self.metadata:
                raise CorpusError(f"'# metadata: {value}': the only value is 'none', given once")
            self.metadata = False
        elif key == "xfail":
            self.xfail = value
        else:
            raise CorpusError(f"unknown directive '# {key}:'")

    def _add_expect(self, value: str) -> None:
        if value == "ok":
            if self.ok or self.expect:
                raise CorpusError("'# expect: ok' cannot be combined with other '# expect:' lines")
            self.ok = True
            return
        m = _EXPECTED.fullmatch(value)
        if m is None:
            raise CorpusError(f"'# expect: {value}' is neither 'ok' nor 'CODE error|warning LINE:COL'")
        if self.ok:
            raise CorpusError("'# expect: ok' cannot be combined with other '# expect:' lines")
        self.expect.append(Expected(m["code"], m["severity"], int(m["line"]), int(m["column"])))


def read_corpus(text: str, name: str) -> list[Case]:
    """The cases of one corpus file; :class:`CorpusError` names the first line that is wrong."""
    cases: list[Case] = []
    case: Case | None = None
    query: list[str] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        try:
            if query is None and case is None:
                case = _open_case(line, name, number, cases)
                continue
            assert case is not None
            if query is None and line.startswith("#"):
                m = _DIRECTIVE.fullmatch(line)
                if m is None:
                    raise CorpusError(f"malformed directive {line!r} (write '# key: value')")
                if m["key"] == "title":
                    raise CorpusError(f"case {case.title!r} has no query before the next '# title:'")
                case.add(m["key"], m["value"])
                continue
            if query is None and not line.strip():
                raise CorpusError(f"blank line between the directives and the query of {case.title!r}")
            query = [*(query or []), line]
            if line.rstrip().endswith(";"):
                _close_case(case, query)
                cases.append(case)
                case, query = None, None
        except CorpusError as exc:
            raise CorpusError(f"{name}:{number}: {exc}") from None
    if case is not None:
        raise CorpusError(f"{name}: case {case.title!r} (line {case.line}) has no query ending with ';'")
    return cases


def _open_case(line: str, name: str, number: int, cases: list[Case]) -> Case | None:
    if not line.strip():
        return None
    m = _DIRECTIVE.fullmatch(line)
    if m is None or m["key"] != "title":
        raise CorpusError(f"expected '# title: ...' to open a case, found {line!r}")
    if any(c.title == m["value"] for c in cases):
        raise CorpusError(f"title {m['value']!r} is used twice")
    return Case(name, m["value"], number)


def _close_case(case: Case, lines: list[str]) -> None:
    text = "\n".join(lines).rstrip()
    case.query = text[:-1].rstrip()  # the ';' that closes the case
    if not case.query.strip():
        raise CorpusError(f"case {case.title!r} has an empty query (an empty COQL query is written /* */)")
    if not case.ok and not case.expect:
        raise CorpusError(f"case {case.title!r} has no '# expect:' line")


def load_file(path: Path) -> list[Case]:
    return read_corpus(path.read_text(encoding="utf-8"), path.name)


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.coql"))


def _all_cases() -> list[Case]:
    """Every case of every file that reads; a file that does not fails ``test_corpus_file``."""
    cases: list[Case] = []
    for path in corpus_files():
        try:
            cases += load_file(path)
        except CorpusError:
            continue
    return cases


CASES = _all_cases()


@functools.cache
def demo_catalog() -> Catalog:
    return Catalog.demo()


# ---- checking one case ----------------------------------------------------------------


@dataclass
class Outcome:
    """What coqlkit said about a query: the syntax error, or the diagnostics and rendering."""

    error: CoqlSyntaxError | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rendered: str | None = None
    render_error: str | None = None

    def found(self) -> list[Expected]:
        """Errors and warnings (or the syntax error) in the corpus's terms."""
        if self.error is not None:
            return [Expected(self.error.code, "error", self.error.line, self.error.column)]
        return [
            Expected(d.code, d.severity.value, d.line, d.column)
            for d in self.diagnostics
            if d.severity is not Severity.INFO
        ]

    def infos(self) -> list[Expected]:
        return [
            Expected(d.code, "info", d.line, d.column)
            for d in self.diagnostics
            if d.severity is Severity.INFO
        ]

    def hints(self) -> list[str]:
        if self.error is not None:
            return [self.error.hint] if self.error.hint else []
        return [d.hint for d in self.diagnostics if d.hint]

    def describe(self) -> list[str]:
        if self.error is not None:
            e = self.error
            return [f"  SYNTAX: {e.code} error {e.line}:{e.column}  {e.description}  (hint: {e.hint})"]
        lines = [
            f"  {d.code} {d.severity.value} {d.line}:{d.column}  {d.message}  (hint: {d.hint})"
            for d in self.diagnostics
        ]
        return lines or ["  (no diagnostics)"]


def run(case: Case) -> Outcome:
    catalog = demo_catalog() if case.metadata else None
    try:
        select = coqlkit.parse(case.query)
    except CoqlSyntaxError as exc:
        return Outcome(error=explain_syntax_error(exc, catalog))
    outcome = Outcome(diagnostics=coqlkit.validate(select, catalog))
    if case.render is not None:
        try:
            outcome.rendered = coqlkit.render(select)
        except coqlkit.CoqlError as exc:
            outcome.render_error = f"{type(exc).__name__}: {exc}"
    return outcome


def problems(case: Case, outcome: Outcome) -> list[str]:
    """Every way ``outcome`` differs from what ``case`` states (empty: the case holds)."""
    found: list[str] = []
    if outcome.found() != case.expect:
        want = [str(e) for e in case.expect] or ["(none: expect ok)"]
        found.append("diagnostics differ; expected:\n" + "\n".join(f"  {w}" for w in want))
    for info in case.infos:
        if info not in outcome.infos():
            found.append(f"no info diagnostic {info.code} at {info.line}:{info.column}")
    for hint in case.hints:
        if not any(hint in h for h in outcome.hints()):
            found.append(f"no hint contains {hint!r}")
    if case.render is not None:
        if outcome.error is not None:
            found.append(f"render expected, but the query does not parse:\n  want: {case.render}")
        elif outcome.render_error is not None:
            found.append(f"render failed: {outcome.render_error}\n  want: {case.render}")
        elif outcome.rendered != case.render:
            found.append(f"render differs:\n  want: {case.render}\n  got:  {outcome.rendered}")
    return found


def report(case: Case, outcome: Outcome, found: list[str]) -> str:
    query = "\n".join(f"  {line}" for line in case.query.splitlines())
    parts = [f"{case.file}:{case.line}: {case.title}", "query:", query, *found, "coqlkit said:"]
    parts += outcome.describe()
    return "\n".join(parts)


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_golden(case: Case) -> None:
    outcome = run(case)
    found = problems(case, outcome)
    if found:
        pytest.fail(report(case, outcome, found), pytrace=False)


# ---- the corpus itself ------------------------------------------------------------------


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_file(path: Path) -> None:
    """Every file reads as cases, each with a title and a query: no text is skipped."""
    cases = load_file(path)
    assert cases, f"{path.name} holds no case"
    for case in cases:
        assert case.title.strip() and case.query.strip(), case.id


def test_corpus_size() -> None:
    assert corpus_files(), f"no corpus files in {CORPUS}"
    total = sum(len(load_file(p)) for p in corpus_files())
    errors = sum(c.expects_error for p in corpus_files() for c in load_file(p))
    assert total >= MIN_CASES, f"the corpus holds {total} cases; at least {MIN_CASES} are wanted"
    assert errors >= MIN_ERROR_CASES, f"{errors} cases expect an error; at least {MIN_ERROR_CASES} wanted"


_GOOD = "# title: t\n# expect: ok\nselect id from Leads;\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select id from Leads;\n", "expected '# title: ...'"),
        ("# title: t\n# expects: ok\nselect id from Leads;\n", "unknown directive"),
        ("# title: t\n#expect: ok\nselect id from Leads;\n", "malformed directive"),
        ("# title: t\n# expect: ok\nselect id from Leads\n", "has no query ending with ';'"),
        ("# title: t\n# render: select id from Leads\nselect id from Leads;\n", "no '# expect:' line"),
        ("# title: t\n# expect: ok\n# expect: SYNTAX_ERROR error 1:1\nselect 1;\n", "cannot be combined"),
        ("# title: t\n# expect: SYNTAX_ERROR fatal 1:1\nselect 1;\n", "neither 'ok' nor"),
        ("# title: t\n# expect: ok\n\nselect id from Leads;\n", "blank line"),
        ("# title: t\n# expect: ok\n;\n", "empty query"),
        ("# title: t\n# metadata: all\n# expect: ok\nselect id from Leads;\n", "the only value is 'none'"),
        (_GOOD + _GOOD, "used twice"),
        (_GOOD + "stray text\n", "expected '# title: ...'"),
    ],
)
def test_format_is_strict(text: str, message: str) -> None:
    with pytest.raises(CorpusError, match=re.escape(message)):
        read_corpus(text, "bad.coql")


def test_format_reads_a_case() -> None:
    text = (
        "# title: two lines\n# expect: INVALID_QUERY error 2:8\n# hint: Email\n"
        "select Last_Name,\n       Emial from Leads;;\n"
    )
    (case,) = read_corpus(text, "good.coql")
    assert case.id == "good.coql:two lines"
    assert case.query == "select Last_Name,\n       Emial from Leads;"
    assert case.expect == [Expected("INVALID_QUERY", "error", 2, 8)]
    assert case.hints == ["Email"]
    assert case.metadata and case.xfail is None
