"""The facade: a deliberate, sorted list of public names; importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import coqlkit


def public_names(module: object) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("coqlkit")
    ]


def test_all_is_sorted_and_complete() -> None:
    assert coqlkit.__all__ == sorted(coqlkit.__all__)
    lazy = set(coqlkit._LAZY)
    assert set(coqlkit.__all__) == (set(public_names(coqlkit)) | lazy)
    for name in sorted(lazy):  # each loads on first use, from where it is documented
        assert getattr(coqlkit, name).__module__ == "coqlkit.api"


def test_every_error_is_a_coql_error() -> None:
    errors = [getattr(coqlkit, n) for n in coqlkit.__all__ if n.endswith("Error")]
    assert all(issubclass(e, coqlkit.CoqlError) for e in errors)


def test_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, coqlkit; coqlkit.parse('select a from B');"
        "print(sorted(m for m in ('pyarrow', 'httpx', 'prompt_toolkit', 'pandas', 'polars', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
