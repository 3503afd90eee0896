"""Settings: which org to talk to and how, from a profile, environment variables or both.

Profiles live in ``$XDG_CONFIG_HOME/coqlkit/config.toml`` (``~/.config/coqlkit/config.toml``)::

    default_profile = "work"

    [profiles.work]
    dc = "eu"
    environment = "production"
    client_id = "1000.XXXXXXXX"
    concurrency = 10
    credit_budget = 20000

Secrets (client secret, refresh token) are never read from or written to that file: they
live in the token store (see :mod:`coqlkit.transport.secrets`). Environment variables
``ZOHO_CLIENT_ID``, ``ZOHO_CLIENT_SECRET``, ``ZOHO_REFRESH_TOKEN``, ``ZOHO_DC``,
``ZOHO_ENVIRONMENT``, ``ZOHO_BASE_URL`` and ``ZOHO_ACCOUNTS_URL`` win over a profile's
values, and are enough on their own (CI, scripts); ``COQLKIT_CREDIT_BUDGET``,
``COQLKIT_CONCURRENCY``, ``COQLKIT_TIMEOUT``, ``COQLKIT_RETRIES`` and
``COQLKIT_BUSY_PATIENCE`` set how to call the same way. A data centre given over a profile's
base URL replaces it, and the other way round (:func:`over`). One thing they may not do: send
a profile's *stored* secrets to another server than the profile's own (``ZOHO_BASE_URL`` or
``ZOHO_ACCOUNTS_URL`` left set from a sandbox): that is refused.

:func:`save_profile` (and ``coqlkit auth login``) changes only the keys it is given and keeps
the others, and the file's comments wherever the change can be made line by line.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coqlkit._dirs import base_dir_or_run, in_run_dir
from coqlkit.errors import ConfigError, CoqlWarning
from coqlkit.transport.datacenters import Endpoints, endpoints
from coqlkit.transport.secrets import NO_HOME, Secret, TokenStore, default_store

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "DEFAULT_SCOPES",
    "ProfileEdit",
    "Settings",
    "check_profile",
    "config_path",
    "edit_profile",
    "load_profiles",
    "load_settings",
    "over",
    "place",
    "save_profile",
]

#: What coqlkit asks Zoho for: COQL, records and metadata to read, bulk read, who and which org.
DEFAULT_SCOPES = (
    "ZohoCRM.coql.READ,ZohoCRM.modules.ALL,ZohoCRM.settings.modules.READ,ZohoCRM.settings.fields.READ,"
    "ZohoCRM.bulk.READ,ZohoCRM.users.READ,ZohoCRM.org.READ"
)
PROFILE_KEYS = frozenset(
    {
        "dc",
        "environment",
        "client_id",
        "base_url",
        "accounts_url",
        "concurrency",
        "credit_budget",
        "timeout",
        "retries",
        "busy_patience",
    }
)
#: The order a new profile's keys are written in: where, who, then how to call.
_ORDER = {
    key: i
    for i, key in enumerate(
        ("dc", "environment", "base_url", "accounts_url", "client_id", "concurrency", "credit_budget")
    )
}
SECRET_KEYS = frozenset({"client_secret", "refresh_token", "access_token", "secret", "token"})


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything the transport needs to reach one org. Secrets are :class:`Secret`\\ s."""

    endpoints: Endpoints
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    profile: str | None = None
    concurrency: int = 10
    credit_budget: int | None = None
    timeout: float = 120.0
    retries: int = 5
    busy_patience: float = 60.0  # seconds of 429s at one call at a time before OrgBusy
    scopes: str = DEFAULT_SCOPES
    store: TokenStore | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        secret = "set" if self.client_secret else "missing"
        refresh = str(self.refresh_token) if self.refresh_token else "missing"
        return (
            f"Settings(profile={self.profile!r}, api_base={self.endpoints.api_base!r}, "
            f"client_id={self.client_id!r}, client_secret={secret}, refresh_token={refresh}, "
            f"concurrency={self.concurrency}, credit_budget={self.credit_budget})"
        )

    @property
    def store_key(self) -> str:
        """The token store's key: the profile, or (environment only) a digest of the client."""
        if self.profile:
            return self.profile
        seed = f"{self.endpoints.accounts}|{self.client_id}".encode()
        return "env-" + hashlib.sha256(seed).hexdigest()[:16]

    @property
    def is_sandbox(self) -> bool:
        host = self.endpoints.api_base.split("//", 1)[-1]
        return host.startswith(("127.", "localhost", "[::1]"))


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/coqlkit/config.toml`` (``~/.config`` when unset).

    Without a home (see :mod:`coqlkit._dirs`) it is in this process's temporary folder,
    where no file is found: no profile, the ``ZOHO_*`` variables alone; writing a profile
    there is refused (:func:`~coqlkit.transport.secrets.unwritable`)."""
    return base_dir_or_run("config") / "coqlkit" / "config.toml"


def load_profiles(path: Path | None = None) -> dict[str, Any]:
    """The config file as a dict (empty when there is none)."""
    path = path or config_path()
    return _parse(_read_text(path), path)


def _read_text(path: Path) -> str | None:
    """The config file's text; None when there is none."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    raise ConfigError(f"cannot read {path}: {problem}")


def _parse(text: str | None, path: Path) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    for name, profile in (data.get("profiles") or {}).items():
        if not isinstance(profile, dict):
            raise ConfigError(f"profile {name!r} in {path} is not a table ([profiles.{name}])")
        leaked = SECRET_KEYS & set(profile)
        if leaked:
            raise ConfigError(
                f"profile {name!r} in {path} holds {', '.join(sorted(leaked))}: secrets do not belong in the "
                "config file; remove them and run `coqlkit auth login` (they go to the keyring or token file)"
            )
        unknown = set(profile) - PROFILE_KEYS
        if unknown:
            raise ConfigError(f"profile {name!r} in {path} has unknown keys: {', '.join(sorted(unknown))}")
    return data


class _Environment(Mapping[str, str]):
    """The environment variables, read-only, whose repr names none of their values (a
    traceback with local variables shows ``load_settings``'s ``env``: ``os.environ``'s repr
    holds ``ZOHO_CLIENT_SECRET``)."""

    def __init__(self, variables: Mapping[str, str]) -> None:
        self._variables = variables

    def __getitem__(self, name: str) -> str:
        return self._variables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __repr__(self) -> str:
        return f"<environment: {len(self._variables)} variables>"


#: Where a profile goes: a data centre (and environment), or a base URL (and accounts server).
PLACE_KEYS = ("dc", "environment", "base_url", "accounts_url")
#: The ZOHO_* variables that say where to go or which client to be, by profile key.
ENV_KEYS = {
    "client_id": "ZOHO_CLIENT_ID",
    "dc": "ZOHO_DC",
    "environment": "ZOHO_ENVIRONMENT",
    "base_url": "ZOHO_BASE_URL",
    "accounts_url": "ZOHO_ACCOUNTS_URL",
}


def environment_values(env: Mapping[str, str]) -> dict[str, str]:
    """The profile keys that ``ZOHO_*`` variables set (see ``ENV_KEYS``)."""
    return {key: env[var] for key, var in ENV_KEYS.items() if env.get(var)}


def over(values: Mapping[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with ``layer``'s keys on top (None and "" are not given).

    A data centre and a base URL do not mix (the base URL would win, unseen): a layer that
    gives either replaces where ``values`` went (``dc``, ``base_url``, ``accounts_url``);
    ``environment`` and the other keys are kept.

    >>> over({"base_url": "http://127.0.0.1:8765", "concurrency": 4}, {"dc": "eu"})
    {'concurrency': 4, 'dc': 'eu'}
    >>> over({"dc": "eu", "environment": "sandbox"}, {"accounts_url": "https://accounts.zoho.eu"})
    {'dc': 'eu', 'environment': 'sandbox', 'accounts_url': 'https://accounts.zoho.eu'}
    """
    given = {k: v for k, v in layer.items() if v is not None and v != ""}
    merged = dict(values)
    if "dc" in given or "base_url" in given:
        for key in ("dc", "base_url", "accounts_url"):
            merged.pop(key, None)
    merged.update(given)
    return merged


def place(values: Mapping[str, Any]) -> Endpoints:
    """The endpoints a profile's values (``dc``, ``environment``, ``base_url``,
    ``accounts_url``) point at."""
    return endpoints(
        values.get("dc"),
        values.get("environment"),
        base_url=values.get("base_url"),
        accounts_url=values.get("accounts_url"),
    )


def load_settings(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    store: TokenStore | None = None,
) -> Settings:
    """Settings for ``profile`` (or ``COQLKIT_PROFILE``, or the default profile), with the
    ``ZOHO_*`` environment variables on top. Raises :class:`ConfigError` when nothing says
    where to go or which client to be, and when ``ZOHO_BASE_URL`` / ``ZOHO_ACCOUNTS_URL``
    would send a profile's stored secrets somewhere else than the profile's own server."""
    env = _Environment(os.environ if env is None else env)
    data = load_profiles(path)
    profiles: dict[str, Any] = data.get("profiles") or {}
    zoho_env = any(env.get(k) for k in ("ZOHO_CLIENT_ID", "ZOHO_BASE_URL", "ZOHO_DC", "ZOHO_REFRESH_TOKEN"))
    name = profile or env.get("COQLKIT_PROFILE") or (None if zoho_env else data.get("default_profile"))
    if name is not None and name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ConfigError(
            f"no profile {name!r} (profiles: {known}); add one with `coqlkit auth login --profile {name}`"
        )
    own: dict[str, Any] = dict(profiles.get(name, {})) if name else {}
    if name is None and not zoho_env:
        raise ConfigError(
            "no Zoho org configured: run `coqlkit auth login` to add a profile, set ZOHO_CLIENT_ID, "
            "ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN (and ZOHO_DC or ZOHO_BASE_URL), or use the sandbox"
        )
    values = over(own, environment_values(env))
    # How to call, for CI runs without a profile (and over a profile's, like ZOHO_*).
    for key, var, kind in (
        ("concurrency", "COQLKIT_CONCURRENCY", int),
        ("credit_budget", "COQLKIT_CREDIT_BUDGET", int),
        ("timeout", "COQLKIT_TIMEOUT", float),
        ("retries", "COQLKIT_RETRIES", int),
        ("busy_patience", "COQLKIT_BUSY_PATIENCE", float),
    ):
        if env.get(var):
            try:
                values[key] = kind(env[var])
            except ValueError:
                raise ConfigError(f"{var} must be a number, not {env[var]!r}") from None
    store = store or default_store()
    settings = _settings(values, name, store)
    if not settings.client_id:
        raise ConfigError("no client id: set ZOHO_CLIENT_ID or run `coqlkit auth login`")
    given = _secrets(env)
    stored = {} if len(given) == 2 else _stored_secrets(store, settings.store_key)
    if name is not None and set(stored) - set(given):
        _stay_home(name, own, settings.endpoints, env)
    return replace(
        settings,
        client_secret=given.get("client_secret") or stored.get("client_secret"),
        refresh_token=given.get("refresh_token") or stored.get("refresh_token"),
    )


def _settings(values: Mapping[str, Any], name: str | None, store: TokenStore | None) -> Settings:
    """Settings from a profile's values (no secrets yet); checks each of them."""
    return Settings(
        place(values),
        client_id=values.get("client_id"),
        profile=name,
        concurrency=_positive(values, "concurrency", 10) or 10,
        credit_budget=_positive(values, "credit_budget", None),
        timeout=_seconds(values, "timeout", 120.0),
        retries=_whole(values, "retries", 5),
        busy_patience=_seconds(values, "busy_patience", 60.0),
        store=store,
    )


def check_profile(name: str, values: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` if profile ``name``'s values would not load: an unknown
    key, a secret, a data centre or URL that is wrong, a number out of range."""
    leaked = SECRET_KEYS & set(values)
    if leaked:
        raise ConfigError(f"secrets are not written to the config file ({', '.join(sorted(leaked))})")
    unknown = set(values) - PROFILE_KEYS
    if unknown:
        raise ConfigError(f"profile {name!r} would have unknown keys: {', '.join(sorted(unknown))}")
    try:
        _settings(values, name, None)
    except ConfigError as exc:
        problem = str(exc)
    else:
        return
    raise ConfigError(f"profile {name!r}: {problem}")


def _secrets(env: Mapping[str, str]) -> dict[str, Secret]:
    """The secrets ``ZOHO_CLIENT_SECRET`` and ``ZOHO_REFRESH_TOKEN`` give, as Secrets."""
    named = {"client_secret": "ZOHO_CLIENT_SECRET", "refresh_token": "ZOHO_REFRESH_TOKEN"}
    return {key: Secret(env[var]) for key, var in named.items() if env.get(var)}


def _stored_secrets(store: TokenStore, key: str) -> dict[str, Secret]:
    """The client secret and refresh token the store keeps under ``key``, as Secrets."""
    record = store.get(key) or {}
    return {k: Secret(str(record[k])) for k in ("client_secret", "refresh_token") if record.get(k)}


def _stay_home(name: str, own: Mapping[str, Any], chosen: Endpoints, env: Mapping[str, str]) -> None:
    """Refuse when ``ZOHO_BASE_URL`` / ``ZOHO_ACCOUNTS_URL`` move profile ``name`` away from
    its own server: its stored client secret and refresh token would go there."""
    moved = [var for var in ("ZOHO_BASE_URL", "ZOHO_ACCOUNTS_URL") if env.get(var)]
    if not moved:
        return
    home = place(own)
    if home.accounts != chosen.accounts:  # where the secrets go
        there, own_server = chosen.accounts, home.accounts
    elif home.api_base != chosen.api_base:  # where the access token they get goes
        there, own_server = chosen.api_base, home.api_base
    else:
        return
    variables = " and ".join(moved)
    raise ConfigError(
        f"{variables} {'is' if len(moved) == 1 else 'are'} set: the stored client secret and "
        f"refresh token of profile {name!r} would be used at {there}, not at the profile's own "
        f"{own_server}; coqlkit does not send them there. Unset {variables} to use the profile; "
        "or leave out --profile / COQLKIT_PROFILE to use only the environment's credentials "
        "(ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN); or move the profile there with "
        f"`coqlkit auth login --profile {name} --base-url URL`"
    )


def _positive(values: Mapping[str, Any], key: str, default: int | None) -> int | None:
    raw = values.get(key, default)
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise ConfigError(f"{key} must be a whole number of at least 1, not {raw!r}")
    return raw


def _seconds(values: Mapping[str, Any], key: str, default: float) -> float:
    raw = values.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
        raise ConfigError(f"{key} must be a number of seconds above 0, not {raw!r}")
    return float(raw)


def _whole(values: Mapping[str, Any], key: str, default: int) -> int:
    raw = values.get(key, default)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise ConfigError(f"{key} must be a whole number, not {raw!r}")
    return raw


@dataclass(frozen=True)
class ProfileEdit:
    """A change to the config file, checked, not yet written (see :func:`edit_profile`)."""

    path: Path
    name: str
    profile: dict[str, Any]  # the profile as it will be
    text: str  # the file as it will be
    comments_dropped: bool  # the file's comments could not be kept

    def write(self) -> Path:
        """Write the file (atomically: a temporary file, then a rename)."""
        if in_run_dir(self.path):  # no home: it would be gone when this process is
            raise ConfigError(f"cannot write {self.path}: {NO_HOME}")
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        problem = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(self.text, encoding="utf-8")
            os.replace(temp, self.path)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            problem = exc.strerror or type(exc).__name__
        if problem is not None:
            raise ConfigError(f"cannot write {self.path}: {problem}")
        return self.path


def edit_profile(
    name: str,
    values: Mapping[str, Any],
    *,
    remove: Iterable[str] = (),
    path: Path | None = None,
    default: bool = False,
) -> ProfileEdit:
    """Add profile ``name`` or update it: ``values`` (None: not given) over the profile's
    keys, which are kept, less those in ``remove``; checked as :func:`load_settings` would.

    The file's comments and layout are kept when the change can be made line by line (its
    result is parsed again and must be exactly the new profiles); otherwise the file is
    written anew, and ``comments_dropped`` says whether that lost comments."""
    path = path or config_path()
    original = _read_text(path)
    data = _parse(original, path)
    before = dict((data.get("profiles") or {}).get(name) or {})
    profile = {k: v for k, v in before.items() if k not in set(remove)}
    given = {k: v for k, v in values.items() if v is not None}
    profile.update(sorted(given.items(), key=lambda item: _ORDER.get(item[0], len(_ORDER))))
    check_profile(name, profile)
    after = {**data, "profiles": {**(data.get("profiles") or {}), name: profile}}
    if default or "default_profile" not in data:
        after["default_profile"] = name
    if original is not None:
        edited = _edit_lines(original, name, before, profile, after.get("default_profile"), data)
        if edited is not None and _reads_as(edited, after):
            return ProfileEdit(path, name, profile, edited, comments_dropped=False)
    text = _toml(after)
    if not _reads_as(text, after):
        raise ConfigError(
            f"cannot update {path} without changing what else it holds; add [profiles.{_key(name)}] "
            "to it by hand"
        )
    dropped = original is not None and original.count("#") > _toml(data).count("#")
    return ProfileEdit(path, name, profile, text, comments_dropped=dropped)


def save_profile(
    name: str,
    values: Mapping[str, Any],
    *,
    path: Path | None = None,
    default: bool = False,
    remove: Iterable[str] = (),
) -> Path:
    """Add profile ``name``, or update it: the keys ``values`` gives (None: not given)
    replace the profile's, its other keys are kept, and those in ``remove`` go. Secrets are
    refused; the file is written atomically, its comments kept where :func:`edit_profile`
    can (a :class:`~coqlkit.errors.CoqlWarning` says when they were dropped)."""
    edit = edit_profile(name, values, remove=remove, path=path, default=default)
    written = edit.write()
    if edit.comments_dropped:
        warnings.warn(
            f"{written} was written anew, without its comments (the keys and values are kept)",
            CoqlWarning,
            stacklevel=2,
        )
    return written


def _reads_as(text: str, data: Mapping[str, Any]) -> bool:
    try:
        parsed: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return parsed == data


_HEADER = re.compile(
    r"""\s*\[\s*profiles\s*\.\s*(?:"([^"\\]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*\]\s*(?:#.*)?"""
)
_KEY_LINE = re.compile(r"(\s*)([A-Za-z0-9_-]+)(\s*=\s*)(.*?)(\r?\n)?")


def _edit_lines(
    text: str,
    name: str,
    before: Mapping[str, Any],
    profile: Mapping[str, Any],
    default: str | None,
    data: Mapping[str, Any],
) -> str | None:
    """``text`` with profile ``name`` changed from ``before`` to ``profile`` (and
    ``default_profile`` set), each change on its own line, comments kept; None when the file
    is not laid out for that (the caller checks the result by parsing it)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    headers = [i for i, line in enumerate(lines) if _table_name(line) == name]
    if len(headers) > 1:
        return None
    if headers:
        start = headers[0] + 1
        end = next((i for i in range(start, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
        table = _edit_table(lines[start:end], before, profile, newline)
        if table is None:
            return None
        lines[start:end] = table
    else:
        lines += [newline, f"[profiles.{_key(name)}]{newline}"]
        lines += [f"{k} = {_scalar(v)}{newline}" for k, v in profile.items()]
    if default is not None and data.get("default_profile") != default:
        top = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
        found = [i for i in range(top) if _line_key(lines[i]) == "default_profile"]
        if len(found) > 1:
            return None
        line = f"default_profile = {_scalar(default)}{newline}"
        if found:
            lines[found[0]] = _replaced(lines[found[0]], default, newline)
        else:
            lines[:0] = [line] if lines and not lines[0].strip() else [line, newline]
    return "".join(lines)


def _edit_table(
    table: list[str], before: Mapping[str, Any], profile: Mapping[str, Any], newline: str
) -> list[str] | None:
    out: list[str] = []
    last = -1  # where the table's last key is, in out
    seen: set[str] = set()
    for line in table:
        key = _line_key(line)
        if key is not None:
            if key in seen:
                return None
            seen.add(key)
            if key not in profile:
                continue  # removed
            if key in before and before[key] != profile[key]:
                line = _replaced(line, profile[key], newline)
            out.append(line)
            last = len(out) - 1
        else:
            out.append(line)
    if seen != set(before):  # a key written some other way (quoted, dotted): not for this
        return None
    match = _KEY_LINE.fullmatch(out[last]) if last >= 0 else None
    indent = match.group(1) if match else ""
    added = [f"{indent}{k} = {_scalar(v)}{newline}" for k, v in profile.items() if k not in before]
    out[last + 1 : last + 1] = added
    return out


def _table_name(line: str) -> str | None:
    match = _HEADER.fullmatch(line.rstrip("\r\n"))
    if match is None:
        return None
    return next(group for group in match.groups()[:3] if group is not None)


def _line_key(line: str) -> str | None:
    match = _KEY_LINE.fullmatch(line)
    return match.group(2) if match else None


def _replaced(line: str, value: Any, newline: str) -> str:
    """A ``key = value`` line with another value, its comment kept."""
    match = _KEY_LINE.fullmatch(line)
    assert match is not None
    indent, key, equals, rest = match.group(1, 2, 3, 4)
    comment = ""
    for i, char in enumerate(rest):
        if char == "#" and _reads(f"x = {rest[:i]}"):  # the first # after a whole value
            comment = rest[len(rest[:i].rstrip()) :]
            break
    return f"{indent}{key}{equals}{_scalar(value)}{comment}{newline}"


def _reads(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def _toml(data: Mapping[str, Any]) -> str:
    """The small TOML this file needs: top-level scalars, then one table per profile."""
    lines = [f"{k} = {_scalar(v)}" for k, v in data.items() if k != "profiles"]
    for name, profile in sorted((data.get("profiles") or {}).items()):
        lines += ["", f"[profiles.{_key(name)}]"]
        lines += [f"{k} = {_scalar(v)}" for k, v in profile.items()]
    return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else _scalar(name)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
