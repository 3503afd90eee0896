"""The REPL's settings file (coqlkit.repl.config): first run, parsing, and wrong values."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from coqlkit.errors import ConfigError
from coqlkit.repl.config import (
    KEY_MODES,
    ReplConfig,
    config_path,
    default_history_path,
    default_text,
    load,
    write_default,
)
from coqlkit.transport.config import config_path as profiles_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

KEYS = [f.name for f in dataclasses.fields(ReplConfig)]
ASSIGNMENT = re.compile(r"^# (\w+) = (.*)$")


def _uncommented(text: str) -> str:
    """The default file with every ``# key = value`` line made live."""
    return "\n".join(
        f"{m[1]} = {m[2]}" if (m := ASSIGNMENT.match(line)) else line for line in text.splitlines()
    )


# ---- first run ----------------------------------------------------------------------------------


def test_first_run_creates_the_file_with_commented_defaults(tmp_path: Path) -> None:
    path = tmp_path / "coqlkit" / "repl.toml"
    config, warnings = load(path)
    assert config == ReplConfig() and warnings == []
    text = path.read_text(encoding="utf-8")
    assert text == default_text()
    assert all(line == "" or line.startswith("#") for line in text.splitlines())  # every value commented
    assert tomllib.loads(text) == {}
    assert [m[1] for line in text.splitlines() if (m := ASSIGNMENT.match(line))] == KEYS
    assert load(path) == (ReplConfig(), [])  # the second run reads it


def test_every_key_is_explained_above_its_default() -> None:
    lines = default_text().splitlines()
    for key in KEYS:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"# {key} = "))
        assert lines[at - 1].startswith("# ") and not ASSIGNMENT.match(lines[at - 1]), key


def test_the_commented_defaults_are_the_defaults() -> None:
    data = tomllib.loads(_uncommented(default_text()))
    assert set(data) == set(KEYS)
    assert ReplConfig(**data) == ReplConfig()


def test_the_defaults() -> None:
    config = ReplConfig()
    assert (config.format, config.null_string, config.pager, config.pager_command) == ("table", "∅", True, "")
    assert (config.row_cap, config.max_column_width, config.key_mode) == (1000, 50, "emacs")
    assert (config.history_size, config.confirm_above_credits) == (10_000, 100)
    assert (config.timing, config.auto_vertical) == (True, False)
    assert config.history_path == default_history_path()


def test_uncommented_defaults_load_without_warnings(tmp_path: Path) -> None:
    path = tmp_path / "repl.toml"
    path.write_text(_uncommented(default_text()), encoding="utf-8")
    assert load(path) == (ReplConfig(), [])


def test_load_without_create_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "repl.toml"
    assert load(path, create=False) == (ReplConfig(), [])
    assert not path.exists()


def test_a_file_that_cannot_be_created_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("coqlkit.repl.config.write_default", refuse)
    config, warnings = load(tmp_path / "repl.toml")
    assert config == ReplConfig()
    assert warnings == [
        f"{tmp_path / 'repl.toml'}: cannot create the default settings file "
        f"([Errno 13] Permission denied: '{tmp_path / 'repl.toml'}')"
    ]


def test_a_file_that_cannot_be_read_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a folder")
    config, warnings = load(tmp_path / "blocker" / "repl.toml")
    assert config == ReplConfig()
    assert (
        len(warnings) == 1 and "cannot be read" in warnings[0] and "using the default settings" in warnings[0]
    )


def test_the_file_lives_beside_the_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert config_path() == profiles_path().parent / "repl.toml"
    if sys.platform not in ("win32", "darwin"):
        assert config_path() == tmp_path / "config" / "coqlkit" / "repl.toml"
    assert load() == (ReplConfig(), [])
    assert config_path().read_text(encoding="utf-8") == default_text()


def test_write_default_replaces_a_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "repl.toml"
    path.write_text("format = 'csv'\n")
    assert write_default(path) == path
    assert path.read_text(encoding="utf-8") == default_text()
    assert [p.name for p in tmp_path.iterdir()] == ["repl.toml"]


def test_the_default_text_names_the_history_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert str(default_history_path()) in default_text()


# ---- parsing ------------------------------------------------------------------------------------


def _load(tmp_path: Path, text: str) -> tuple[ReplConfig, list[str]]:
    path = tmp_path / "repl.toml"
    path.write_text(text, encoding="utf-8")
    return load(path)


def test_every_key_is_read(tmp_path: Path) -> None:
    config, warnings = _load(
        tmp_path,
        """
        format = "Fancy_Grid"
        null_string = "<null>"
        pager = false
        pager_command = "less -R"
        row_cap = 0
        max_column_width = 0
        key_mode = "vi"
        history_size = 500
        history_file = "~/coql-history"
        confirm_above_credits = 2_000
        timing = false
        auto_vertical = true
        """,
    )
    assert warnings == []
    assert config == ReplConfig(
        format="fancy_grid",
        null_string="<null>",
        pager=False,
        pager_command="less -R",
        row_cap=0,
        max_column_width=0,
        key_mode="vi",
        history_size=500,
        history_file="~/coql-history",
        confirm_above_credits=2000,
        timing=False,
        auto_vertical=True,
    )
    assert config.history_path == Path.home() / "coql-history"


@pytest.mark.parametrize("name", ["md", "x", "vertical", "csv", "jsonl", "rounded_outline"])
def test_formats_are_checked_and_normalised(tmp_path: Path, name: str) -> None:
    config, warnings = _load(tmp_path, f'format = "{name}"')
    assert warnings == [] and config.format in {"markdown", "vertical", name}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('format = "tabel"', 'format = "tabel": not a format (allowed: table, vertical, auto, markdown, csv'),
        ("format = 3", "format = 3: expected a quoted string"),
        ('key_mode = "vim"', 'key_mode = "vim": not a key mode (allowed: "emacs" or "vi")'),
        ("row_cap = -1", "row_cap = -1: too small (allowed: 0 or more)"),
        ("row_cap = 1.5", "row_cap = 1.5: expected a whole number"),
        ("row_cap = true", "row_cap = true: expected a whole number"),
        ('row_cap = "1000"', 'row_cap = "1000": expected a whole number'),
        ("max_column_width = 2", "max_column_width = 2: too small (allowed: 0, or 4 or more)"),
        ("history_size = -5", "history_size = -5: too small (allowed: 0 or more)"),
        ("confirm_above_credits = -1", "confirm_above_credits = -1: too small (allowed: 0 or more)"),
        ('pager = "yes"', 'pager = "yes": expected true or false'),
        ("timing = 1", "timing = 1: expected true or false"),
        ("auto_vertical = []", "auto_vertical = []: expected true or false"),
        ("null_string = false", "null_string = false: expected a quoted string"),
        ('pager_command = "less \'-S"', 'pager_command = "less \'-S": not a command line'),
        ("history_file = 7", "history_file = 7: expected a quoted string"),
    ],
)
def test_a_wrong_value_is_reported_and_its_default_used(tmp_path: Path, line: str, message: str) -> None:
    key = line.split(" ")[0]
    other: dict[str, Any] = {"history_size": 7} if key != "history_size" else {"timing": False}
    ((name, value),) = other.items()
    config, warnings = _load(tmp_path, f"{line}\n{name} = {str(value).lower()}\n")
    assert config == ReplConfig(**other)  # the other key still applies
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning.startswith(f"{tmp_path / 'repl.toml'}: {message}")
    default = getattr(ReplConfig(), key)
    spelled = f'"{default}"' if isinstance(default, str) else str(default).lower()
    assert warning.endswith(f"; using the default {spelled}")  # as TOML writes it


def test_unknown_keys_are_reported_and_ignored(tmp_path: Path) -> None:
    config, warnings = _load(tmp_path, 'fromat = "csv"\nrow_cap = 5\ncolour = true\n[output]\nwidth = 3\n')
    assert config == ReplConfig(row_cap=5)
    path = tmp_path / "repl.toml"
    assert warnings == [
        f"{path}: unknown key 'fromat' ignored (did you mean 'format'?)",
        f"{path}: unknown key 'colour' ignored",
        f"{path}: unknown key 'output' ignored",
    ]


def test_every_wrong_key_is_reported_at_once(tmp_path: Path) -> None:
    config, warnings = _load(tmp_path, 'format = "nope"\nrow_cap = -3\nkey_mode = "x"\ntiming = false\n')
    assert config == ReplConfig(timing=False)
    assert [w.split(": ")[1].split(" = ")[0] for w in warnings] == ["format", "row_cap", "key_mode"]


def test_a_file_that_is_not_toml_falls_back_to_the_defaults(tmp_path: Path) -> None:
    config, warnings = _load(tmp_path, "format = table\n")
    assert config == ReplConfig()
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{tmp_path / 'repl.toml'}: cannot be read (")
    assert warnings[0].endswith("; using the default settings")


def test_a_file_that_is_not_utf8_falls_back_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "repl.toml"
    path.write_bytes(b'null_string = "\xff"\n')
    config, warnings = load(path)
    assert config == ReplConfig() and len(warnings) == 1 and "cannot be read" in warnings[0]


# ---- the dataclass ------------------------------------------------------------------------------


def test_the_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ReplConfig().format = "csv"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"format": "MD"}, {"format": "markdown"}),
        ({"row_cap": "25,000"}, {"row_cap": 25_000}),
        ({"row_cap": 10}, {"row_cap": 10}),
        ({"timing": "off", "pager": "on"}, {"timing": False, "pager": True}),
        ({"key_mode": "vi", "null_string": "NULL"}, {"key_mode": "vi", "null_string": "NULL"}),
    ],
)
def test_updated_reads_and_checks_values(changes: dict[str, Any], expected: dict[str, Any]) -> None:
    assert ReplConfig().updated(**changes) == ReplConfig(**expected)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "nope"}, 'format = "nope": not a format'),
        ({"row_cap": "many"}, "row_cap = 'many': expected a whole number"),
        ({"row_cap": "-1"}, "row_cap = -1: too small"),
        ({"timing": "maybe"}, "timing = 'maybe': expected on or off"),
        ({"key_mode": "nano"}, 'key_mode = "nano": not a key mode (allowed: "emacs" or "vi")'),
        ({"fromat": "csv"}, "no setting 'fromat' (did you mean 'format'?)"),
    ],
)
def test_updated_refuses_what_load_would(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ReplConfig().updated(**changes)
    assert caught.value.message.startswith(message)


def test_key_modes() -> None:
    assert KEY_MODES == ("emacs", "vi")
