"""A contextual lexer for the COQL grammar, faster than Lark's own for this language.

Lark's contextual lexer keeps one scanner per parser state and matches blanks as
tokens of their own. COQL needs less: one regular expression, built from the grammar's
own terminals, skips blanks and comments and matches the next token; a word becomes a
keyword only where the parser can take that keyword (so a field may be named ``Count``),
and a whole number becomes ``INT`` where the grammar wants one (LIMIT, OFFSET). It is
plugged into Lark as a custom lexer and yields the same tokens Lark's would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.common import LexerConf
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState, PatternStr
from lark.parse_tree_builder import ExpandSingleChild
from lark.parsers.lalr_analysis import Shift
from lark.utils import TextSlice

from coqlkit.language import _build

# Terminals tried in this order at each position (the first that matches wins).
_FIRST = ("STRING", "DATETIME", "NUMBER", "BANG_MODULE", "PARAM", "CVID", "ARROW", "COMPARATOR", "NAME")
_SKIPPED = ("WS", "COMMENT")
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
# The start of a date the DATETIME terminal did not take (2024-01-01T, 2024-1-5): the lexer
# would read it as numbers (2024, -01, -01) and the parser blame the second one.
_DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{1,2}(?![0-9])")


class CoqlLexer(Lexer):
    """Lark custom-lexer interface 2: ``lex(lexer_state, parser_state)`` yields tokens."""

    __future_interface__ = 2

    def __init__(self, conf: LexerConf) -> None:
        terminals = {t.name: t for t in conf.terminals}
        self.keywords: dict[str, str] = {}
        patterns: list[tuple[str, str]] = []
        for t in conf.terminals:
            if isinstance(t.pattern, PatternStr) and _WORD.match(t.pattern.value):
                self.keywords[t.pattern.value.lower()] = t.name
        rest = sorted(
            (
                t
                for t in conf.terminals
                if isinstance(t.pattern, PatternStr) and not _WORD.match(t.pattern.value)
            ),
            key=lambda t: -len(t.pattern.value),
        )
        for name in _FIRST:
            patterns.append((name, terminals[name].pattern.to_regexp()))
        patterns += [(t.name, re.escape(t.pattern.value)) for t in rest if t.name not in _FIRST]
        skip = "|".join(terminals[name].pattern.to_regexp() for name in _SKIPPED)
        self.skip = re.compile(f"(?:{skip})*")
        self.token = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in patterns))
        self.comment = re.compile(terminals["COMMENT"].pattern.to_regexp())
        self.int_pattern = re.compile(terminals["INT"].pattern.to_regexp() + r"\Z")

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        text: str = lexer_state.text.text
        pos = lexer_state.line_ctr.char_pos
        end = len(text)
        line, line_start = 1 + text.count("\n", 0, pos), text.rfind("\n", 0, pos) + 1
        table = parser_state.parse_conf.parse_table.states
        skip, token, keywords = self.skip.match, self.token.match, self.keywords
        while True:
            blank = skip(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
            if blank != pos:
                if "-" in text[pos:blank] or "/" in text[pos:blank]:
                    self._comments(text, pos, blank, line, line_start)
                newlines = text.count("\n", pos, blank)
                if newlines:
                    line += newlines
                    line_start = text.rfind("\n", pos, blank) + 1
                pos = blank
            if pos >= end:
                return
            m = token(text, pos)
            if m is None:
                accepts = table[parser_state.position]
                # The table row also holds the rules the state can go to: keep the tokens.
                allowed = {name for name in accepts if name.isupper()}
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, pos, line, pos - line_start + 1, allowed=allowed, state=parser_state
                )
            kind: str = m.lastgroup  # type: ignore[assignment]  # every alternative is a named group
            value = m.group()
            accepts = table[parser_state.position]
            if kind == "NAME":
                keyword = keywords.get(value.lower())
                if keyword is not None and (keyword in accepts or "NAME" not in accepts):
                    kind = keyword
            elif kind == "NUMBER" and text.startswith("-", m.end()) and _DATE_LIKE.match(text, pos):
                raise UnexpectedCharacters(  # type: ignore[no-untyped-call]
                    text, pos, line, pos - line_start + 1, allowed={"DATETIME"}, state=parser_state
                )
            elif kind == "NUMBER" and "INT" in accepts and self.int_pattern.match(value):
                kind = "INT"
            stop = m.end()
            newlines = text.count("\n", pos, stop) if kind == "STRING" else 0
            if newlines:
                end_line = line + newlines
                end_start = text.rfind("\n", pos, stop) + 1
            else:
                end_line, end_start = line, line_start
            tok = Token(kind, value, pos, line, pos - line_start + 1, end_line, stop - end_start + 1, stop)
            line, line_start, pos = end_line, end_start, stop
            lexer_state.line_ctr.char_pos = pos
            lexer_state.last_token = tok
            yield tok

    def _comments(self, text: str, start: int, stop: int, line: int, line_start: int) -> None:
        """Report the comments among the blanks between ``start`` and ``stop``.

        Lines are counted from the end of the previous comment, not from ``start``: a run of
        thousands of ``--`` lines is read in one pass, not once per comment.
        """
        at = start
        for m in self.comment.finditer(text, start, stop):
            before = text.count("\n", at, m.start())
            if before:
                line += before
                line_start = text.rfind("\n", at, m.start()) + 1
            inside = text.count("\n", m.start(), m.end())
            last_start = text.rfind("\n", m.start(), m.end()) + 1 if inside else line_start
            tok = Token(
                "COMMENT",
                m.group(),
                m.start(),
                line,
                m.start() - line_start + 1,
                line + inside,
                m.end() - last_start + 1,
                m.end(),
            )
            _build.on_comment(tok)
            line, line_start, at = line + inside, last_start, m.end()


class _ParserPosition:
    """What the lexer asks of the parser: its table and the state on top of the stack."""

    __slots__ = ("parse_conf", "stack")

    def __init__(self, parse_conf: Any, stack: list[int]) -> None:
        self.parse_conf = parse_conf
        self.stack = stack

    @property
    def position(self) -> int:
        return self.stack[-1]


class FastParser:
    """The LALR loop of Lark's parser, run on Lark's own tables and callbacks, without its
    per-token bookkeeping. A text that does not parse is handed to Lark itself, so every
    syntax error is Lark's own, with its interactive parser for the expected tokens.
    """

    def __init__(self, lark: Any) -> None:
        frontend = lark.parser
        inner = frontend.parser.parser
        table = inner.parse_table
        self.lark = lark
        self.lexer: CoqlLexer = frontend.lexer
        self.states = table.states
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        self.conf = _ParseConf(table)
        # A ``?rule`` of one symbol hands its child up unchanged: no call needed (callback None).
        self.reduces = {
            rule: (
                len(rule.expansion),
                rule.origin.name,
                None if len(rule.expansion) == 1 and isinstance(callback, ExpandSingleChild) else callback,
            )
            for rule, callback in inner.callbacks.items()
            if not isinstance(rule, str)
        }

    def parse(self, text: str) -> Any:
        states, reduces = self.states, self.reduces
        stack = [self.start]
        values: list[Any] = []
        lexer_state = LexerState(TextSlice(text, 0, len(text)))
        for tok in self.lexer.lex(lexer_state, _ParserPosition(self.conf, stack)):
            kind = tok.type
            while True:
                step = states[stack[-1]].get(kind)
                if step is None:
                    return self._by_lark(text)
                action, arg = step
                if action is Shift:
                    stack.append(arg)
                    values.append(tok)
                    break
                self._reduce(stack, values, reduces[arg])
        while True:
            step = states[stack[-1]].get("$END")
            if step is None or step[0] is Shift:
                return self._by_lark(text)
            self._reduce(stack, values, reduces[step[1]])
            if stack[-1] == self.end:
                return values[-1]

    def _reduce(self, stack: list[int], values: list[Any], rule: tuple[int, str, Any]) -> None:
        size, origin, callback = rule
        if callback is None:
            stack[-1] = self.states[stack[-2]][origin][1]
            return
        if size:
            children = values[-size:]
            del stack[-size:]
            del values[-size:]
        else:
            children = []
        values.append(callback(children))
        stack.append(self.states[stack[-1]][origin][1])

    def _by_lark(self, text: str) -> Any:
        found = _build.comments.get(None)
        if found is not None:
            found.clear()  # Lark lexes the text again and reports the same comments
        return self.lark.parse(text)


class _ParseConf:
    __slots__ = ("parse_table",)

    def __init__(self, table: Any) -> None:
        self.parse_table = table
