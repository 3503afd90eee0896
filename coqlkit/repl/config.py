"""The REPL's settings: ``repl.toml`` beside the profiles file, created on first run.

The file lives in coqlkit's config directory (``$XDG_CONFIG_HOME/coqlkit/repl.toml``,
``~/.config/coqlkit/repl.toml`` on Linux; see :func:`coqlkit.transport.config.config_path`).
The first :func:`load` writes it with every key commented out at its default and explained,
so a user edits what they want and new defaults still reach the rest.

A value that is wrong never stops the REPL: :func:`load` reports it (naming the key, what
was wrong and what is allowed) and uses that key's default; unknown keys are reported
(with a did-you-mean) and ignored; a file that is not TOML is reported and every default
used.

>>> config = ReplConfig()
>>> config.format, config.row_cap, config.null_string
('table', 1000, '∅')
>>> config.updated(format="fancy_grid", row_cap="500").row_cap
500
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from coqlkit._zones import zone_names as zone_names
from coqlkit.errors import ConfigError
from coqlkit.repl.output import format_names, resolve_format
from coqlkit.transport.config import config_path as profiles_path
from coqlkit.transport.config import load_profiles
from coqlkit.transport.secrets import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "KEY_MODES",
    "ReplConfig",
    "config_path",
    "default_text",
    "load",
    "profile_names",
    "write_default",
    "zone_named",
    "zone_names",
]

KeyMode = Literal["emacs", "vi"]
KEY_MODES: tuple[KeyMode, ...] = ("emacs", "vi")


@dataclass(frozen=True)
class ReplConfig:
    """What ``repl.toml`` sets (each field's default is the REPL's). Change one with
    :meth:`updated`, which checks the new value as :func:`load` does."""

    #: How results show: a name from :func:`coqlkit.repl.output.format_names`.
    format: str = "table"
    #: What a null looks like in tables and records (CSV shows nothing, JSON ``null``).
    null_string: str = "∅"
    #: Whether output taller (or, with ``less -S``, wider) than the terminal goes to a pager.
    pager: bool = True
    #: The pager; empty: ``$PAGER``, else ``less -SRXF``.
    pager_command: str = ""
    #: Rows a result shows at most (0: all). Exports are never capped.
    row_cap: int = 1000
    #: Characters a table cell shows before ``…`` (0: no limit). CSV and JSON are never cut.
    max_column_width: int = 50
    #: Line-editing keys.
    key_mode: KeyMode = "emacs"
    #: Queries the history keeps (0: no history is written).
    history_size: int = 10_000
    #: The history file; empty: ``history`` in coqlkit's data directory.
    history_file: str = ""
    #: Ask before running a query estimated to cost more credits than this (0: never ask).
    confirm_above_credits: int = 100
    #: Whether to show how long each query took.
    timing: bool = True
    #: Whether ``table`` turns into ``vertical`` when a table is wider than the terminal.
    auto_vertical: bool = False
    #: The time zone datetimes are shown and exported in; empty: the org's.
    tz: str = ""

    @property
    def history_path(self) -> Path:
        """Where the history is kept (``history_file``, ``~`` expanded, or the default)."""
        if self.history_file:
            return Path(self.history_file).expanduser()
        return default_history_path()

    def updated(self, **changes: Any) -> ReplConfig:
        """A copy with ``changes`` (from a command: text is read as the key's type), checked
        as :func:`load` checks the file; :class:`~coqlkit.errors.ConfigError` names the key,
        what is wrong and what is allowed."""
        checked = {}
        for key, value in changes.items():
            if key not in _CHECKS:
                raise ConfigError(f"no setting {key!r}{_did_you_mean(key)}")
            if isinstance(value, str) and _KINDS[key] in (bool, int):
                value = _from_text(key, value)
            checked[key] = _check(key, value)
        return replace(self, **checked)


def config_path() -> Path:
    """``repl.toml`` beside the profiles file (``~/.config/coqlkit/repl.toml`` on Linux)."""
    return profiles_path().parent / "repl.toml"


def profile_names() -> list[str]:
    """The profiles of coqlkit's config file, which ``\\profile`` completes (none when it
    cannot be read: ``\\profile`` says why when it is run)."""
    try:
        return sorted(load_profiles().get("profiles") or {})
    except ConfigError:
        return []


def default_history_path() -> Path:
    """``history`` in coqlkit's data directory (``~/.local/share/coqlkit/history`` on Linux)."""
    return data_dir() / "history"


# ---- checks: each returns the value to use or raises ValueError saying what is allowed ----------


def _check_format(value: Any) -> str:
    try:
        return resolve_format(value)
    except ConfigError:
        raise ValueError(f"not a format (allowed: {', '.join(format_names())})") from None


def _check_key_mode(value: Any) -> str:
    if value not in KEY_MODES:
        raise ValueError(f"not a key mode (allowed: {' or '.join(map(_toml, KEY_MODES))})")
    return str(value)


def _check_pager_command(value: Any) -> str:
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ValueError(f"not a command line ({exc})") from None
    return str(value)


def _at_least(low: int, *, or_zero: bool = False) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if value < low and not (or_zero and value == 0):
            allowed = f"0, or {low} or more" if or_zero else f"{low} or more"
            raise ValueError(f"too small (allowed: {allowed})")
        return int(value)

    return check


def _check_tz(value: Any) -> str:
    if not value:
        return ""  # the org's
    try:
        return zone_named(value)
    except ConfigError as exc:
        raise ValueError(exc.message) from None


def zone_named(text: str, option: str = "") -> str:
    """The time zone ``text`` names, as the Python API checks it (Arrow must know it: an
    IANA name, ``UTC``, an offset such as ``+05:30``), its case put right (``europe/paris``:
    ``Europe/Paris``); :class:`~coqlkit.errors.ConfigError` otherwise, with the zone
    probably meant (a typo, or a city: ``Kolkata`` is ``Asia/Kolkata``). Abbreviations
    Arrow does not know (``PST``, ``IST``: India's, Israel's or Ireland's?) are not
    guessed. The one check of ``--tz``, ``\\tz`` and ``repl.toml``'s ``tz``; ``option``
    (``--tz``) is named before the zone in the message.

    >>> zone_named("utc"), zone_named("europe/paris"), zone_named("+05:30")
    ('UTC', 'Europe/Paris', '+05:30')
    >>> zone_named("Kolkata", "--tz")
    Traceback (most recent call last):
    ...
    coqlkit.errors.ConfigError: --tz Kolkata: unknown time zone 'Kolkata': give an IANA name such as 'Europe/Paris', or 'UTC' (did you mean 'Asia/Kolkata'?)
    """
    from coqlkit.api import _zone_option  # (pyarrow: only when a zone is read)

    named = {name.lower(): name for name in zone_names()}.get(text.lower(), text)
    try:
        return _zone_option(named, "")  # (its error says the zone probably meant)
    except ConfigError as exc:
        said = f"{option} {text}: " if option else ""
        raise ConfigError(f"{said}{exc.message}") from None


def _any(value: Any) -> Any:
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "format": _check_format,
    "null_string": _any,
    "pager": _any,
    "pager_command": _check_pager_command,
    "row_cap": _at_least(0),
    "max_column_width": _at_least(4, or_zero=True),
    "key_mode": _check_key_mode,
    "history_size": _at_least(0),
    "history_file": _any,
    "confirm_above_credits": _at_least(0),
    "timing": _any,
    "auto_vertical": _any,
    "tz": _check_tz,
}
_KINDS: dict[str, type] = {f.name: type(f.default) for f in fields(ReplConfig)}
_SWITCH = {
    "on": True,
    "true": True,
    "yes": True,
    "1": True,
    "off": False,
    "false": False,
    "no": False,
    "0": False,
}
_TYPE_NAMES = {bool: "true or false", int: "a whole number", str: "a quoted string"}


def _check(key: str, value: Any) -> Any:
    """``value`` for ``key``, or ConfigError naming the key and what is allowed."""
    kind = _KINDS[key]
    if type(value) is not kind:  # bool is an int to isinstance, and TOML keeps them apart
        raise ConfigError(f"{key} = {_toml(value)}: expected {_TYPE_NAMES[kind]}")
    try:
        return _CHECKS[key](value)
    except ValueError as exc:
        raise ConfigError(f"{key} = {_toml(value)}: {exc}") from None


def _from_text(key: str, text: str) -> Any:
    """A command's text as the key's type (``on``/``off`` for a switch, digits for a number)."""
    word = text.strip().lower()
    if _KINDS[key] is bool:
        if word in _SWITCH:
            return _SWITCH[word]
        raise ConfigError(f"{key} = {text!r}: expected on or off")
    try:
        return int(word.replace(",", "").replace("_", ""))
    except ValueError:
        raise ConfigError(f"{key} = {text!r}: expected a whole number") from None


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key, list(_CHECKS), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _toml(value: Any) -> str:
    """``value`` as TOML writes it (to quote it in a message or the default file)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # JSON's escapes are TOML's, but for DEL
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return repr(value)


# ---- the file ------------------------------------------------------------------------------------

_HEADER = """\
# coqlkit REPL settings. Every line below is commented out at its default: remove the "#"
# in front of a key to change it. A wrong value is reported when the REPL starts, which
# then uses the default. Connection profiles live beside this file, in config.toml.
"""

_HELP = {
    "format": (
        "How results show: table, vertical (one record per block, like psql's \\x), auto (vertical\n"
        "when a table is wider than the terminal), csv, tsv, json, jsonl, markdown, or any\n"
        "tabulate style (fancy_grid, rounded_outline, github...). \\T NAME changes it for a session."
    ),
    "null_string": "What a null looks like in tables and records (CSV shows nothing, JSON null).",
    "pager": "Whether output taller than the terminal (or, with less -S, wider) goes to a pager.",
    "pager_command": 'The pager. Empty: $PAGER, else "less -SRXF".',
    "row_cap": "Rows a result shows at most (0: no cap). \\export and \\o always write every row.",
    "max_column_width": (
        "Characters a table cell shows before it is cut with … (0: no limit).\nCSV and JSON are never cut."
    ),
    "key_mode": 'Line-editing keys: "emacs" or "vi".',
    "history_size": "Queries the history keeps (0: keep no history).",
    "history_file": "The history file. Empty: {history}",
    "confirm_above_credits": "Ask before running a query estimated to cost more credits than this (0: never ask).",
    "timing": "Show how long each query took (\\timing switches it for a session).",
    "auto_vertical": 'Let "table" show records vertically when a table is wider than the terminal.',
    "tz": (
        'The time zone datetimes are shown and \\export-ed in: an IANA name ("UTC", "Europe/Paris")\n'
        'or an offset ("+05:30"). Empty: the org\'s. \\tz ZONE changes it for a session, \\tz org\n'
        "goes back to the org's. coqlkit --tz ZONE takes precedence over it; coqlkit query and export\n"
        "take --tz."
    ),
}


def default_text() -> str:
    """The text of a new ``repl.toml``: each key explained and commented out at its default."""
    parts = [_HEADER]
    for f in fields(ReplConfig):
        help_text = _HELP[f.name].format(history=default_history_path())
        comment = "\n".join(f"# {line}" for line in help_text.splitlines())
        parts.append(f"{comment}\n# {f.name} = {_toml(f.default)}\n")
    return "\n".join(parts)


def write_default(path: str | os.PathLike[str] | None = None) -> Path:
    """Write :func:`default_text` to ``path`` (:func:`config_path` when None), replacing any
    file there in one step; the path written."""
    target = Path(path) if path is not None else config_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(default_text())
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return target


def load(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> tuple[ReplConfig, list[str]]:
    """The settings in ``path`` (:func:`config_path` when None), and warnings about them.

    A missing file is created with the commented defaults (unless ``create`` is false). Every
    warning names the file and the key; a key whose value is wrong keeps its default.
    """
    target = Path(path) if path is not None else config_path()
    warnings: list[str] = []
    try:
        with target.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        if create:
            try:
                write_default(target)
            except OSError as exc:
                warnings.append(f"{target}: cannot create the default settings file ({exc})")
        return ReplConfig(), warnings
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return ReplConfig(), [f"{target}: cannot be read ({exc}); using the default settings"]
    return _from_mapping(data, target, warnings), warnings


def _from_mapping(data: Mapping[str, Any], source: Path, warnings: list[str]) -> ReplConfig:
    values = {}
    defaults = ReplConfig()
    for key, value in data.items():
        if key not in _CHECKS:
            warnings.append(f"{source}: unknown key {key!r} ignored{_did_you_mean(key)}")
            continue
        try:
            values[key] = _check(key, value)
        except ConfigError as exc:
            default = _toml(getattr(defaults, key)) + (" (the org's)" if key == "tz" else "")
            warnings.append(f"{source}: {exc.message}; using the default {default}")
    return replace(defaults, **values)
