"""notebooks/README.md's install command works from a clone (notebook review 8, finding 9)."""

from __future__ import annotations

import re
from importlib.metadata import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_install_command_installs_coqlkit_from_the_clone_with_extras_it_has() -> None:
    """Not ``pip install coqlkit[...]``: that names a package on PyPI, which may be none, or
    someone else's. The main README's quick start installs the clone (``'.[sandbox]'``)."""
    text = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    [command] = [line for line in text.splitlines() if line.startswith("pip install ")]
    match = re.match(r"pip install '\.\[([a-z,]+)\]' ", command)
    assert match is not None, command
    extras = metadata("coqlkit").get_all("Provides-Extra") or []
    assert set(match.group(1).split(",")) <= set(extras)
    assert {"sandbox", "notebook"} <= set(match.group(1).split(","))
    assert "jupyter lab notebooks/" in text  # run from the clone's root too
