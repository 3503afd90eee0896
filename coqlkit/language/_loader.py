"""Find grammar/coql.lark and build the one LALR parser of the process."""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

from lark import Lark

from coqlkit._dirs import base_dir
from coqlkit.language._build import Builder
from coqlkit.language._lexer import CoqlLexer, FastParser

GRAMMAR = "coql.lark"


def grammar_text() -> str:
    """The grammar shipped in the wheel, or the source tree's for an editable install."""
    packaged = resources.files("coqlkit.language").joinpath("grammar").joinpath(GRAMMAR)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR
    return source.read_text(encoding="utf-8")


def _cache_path() -> str | bool:
    """Where Lark keeps the analysed grammar between processes (``False``: keep none, as
    without a home: building it takes a moment, keeping it for one process nothing)."""
    base = base_dir("cache")
    if base is None:
        return False
    folder = os.path.join(base, "coqlkit")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    if not os.access(folder, os.W_OK):
        return False
    import lark

    return os.path.join(folder, f"grammar-lark{lark.__version__}.cache")


@functools.cache
def parser() -> Lark:
    """The LALR parser with the AST builder inlined. Built once per process."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer=CoqlLexer,
        transformer=Builder(),
        maybe_placeholders=False,
        cache=_cache_path(),
    )


@functools.cache
def fast_parser() -> FastParser:
    """The same parser driven by coqlkit's own LALR loop (Lark reports the syntax errors)."""
    return FastParser(parser())
