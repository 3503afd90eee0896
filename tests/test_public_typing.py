"""The lazy entry points (connect, Connection, Result...) are what type checkers see, and
what dir() and completion list, though importing coqlkit still loads neither httpx nor pyarrow.

A mypy run over a user's script would show it best, but takes about ten seconds cold:
instead, the TYPE_CHECKING block is read and held against the lazy names."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import coqlkit


def _top_level() -> list[ast.stmt]:
    return ast.parse(Path(coqlkit.__file__).read_text(encoding="utf-8")).body


def _type_checking_block() -> ast.If:
    blocks = [s for s in _top_level() if isinstance(s, ast.If) and ast.unparse(s.test) == "TYPE_CHECKING"]
    assert len(blocks) == 1
    return blocks[0]


def test_type_checkers_see_every_lazy_name_where_it_is_defined() -> None:
    seen = {
        alias.asname or alias.name: node.module
        for node in _type_checking_block().body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == coqlkit._LAZY
    for name, module in seen.items():
        assert module is not None
        assert getattr(importlib.import_module(module), name) is getattr(coqlkit, name)


def test_type_checkers_see_no_module_getattr() -> None:
    """A module __getattr__ typed -> Any makes every misspelt name (coqlkit.conect) Any to
    mypy and pyright: it is defined only where they do not look."""
    visible = [s.name for s in _top_level() if isinstance(s, ast.FunctionDef)]
    assert "__getattr__" not in visible
    hidden = [s.name for s in _type_checking_block().orelse if isinstance(s, ast.FunctionDef)]
    assert hidden == ["__getattr__"]


def test_dir_lists_the_lazy_names_before_they_are_loaded() -> None:
    code = (
        "import sys, coqlkit; names = dir(coqlkit);"
        "print(sorted(set(coqlkit._LAZY) - set(names)), sorted(set(coqlkit.__all__) - set(names)),"
        " names == sorted(names),"
        " sorted(m for m in ('pyarrow', 'httpx', 'coqlkit.api') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] [] True []"


def test_a_misspelt_name_is_still_an_attribute_error() -> None:
    code = "import coqlkit\ntry:\n    coqlkit.conect\nexcept AttributeError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "module 'coqlkit' has no attribute 'conect'"
