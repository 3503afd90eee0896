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
``COQLKIT_BUSY_PATIENCE`` set how to call the same way.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coqlkit.errors import ConfigError
from coqlkit.transport.datacenters import Endpoints, endpoints
from coqlkit.transport.secrets import Secret, TokenStore, default_store

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["DEFAULT_SCOPES", "Settings", "config_path", "load_profiles", "load_settings", "save_profile"]

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
    """``$XDG_CONFIG_HOME/coqlkit/config.toml`` (``~/.config`` when unset)."""
    if sys.platform == "win32":  # pragma: no cover
        return (
            Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "coqlkit" / "config.toml"
        )
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "coqlkit" / "config.toml"


def load_profiles(path: Path | None = None) -> dict[str, Any]:
    """The config file as a dict (empty when there is none)."""
    path = path or config_path()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):  # pragma: no cover - tomllib always gives a table
        return {}
    for name, profile in (data.get("profiles") or {}).items():
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


def load_settings(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    store: TokenStore | None = None,
) -> Settings:
    """Settings for ``profile`` (or ``COQLKIT_PROFILE``, or the default profile), with the
    ``ZOHO_*`` environment variables on top. Raises :class:`ConfigError` when nothing says
    where to go or which client to be."""
    env = os.environ if env is None else env
    data = load_profiles(path)
    profiles: dict[str, Any] = data.get("profiles") or {}
    zoho_env = any(env.get(k) for k in ("ZOHO_CLIENT_ID", "ZOHO_BASE_URL", "ZOHO_DC", "ZOHO_REFRESH_TOKEN"))
    name = profile or env.get("COQLKIT_PROFILE") or (None if zoho_env else data.get("default_profile"))
    if name is not None and name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ConfigError(
            f"no profile {name!r} (profiles: {known}); add one with `coqlkit auth login --profile {name}`"
        )
    values: dict[str, Any] = dict(profiles.get(name, {})) if name else {}
    if name is None and not zoho_env:
        raise ConfigError(
            "no Zoho org configured: run `coqlkit auth login` to add a profile, set ZOHO_CLIENT_ID, "
            "ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN (and ZOHO_DC or ZOHO_BASE_URL), or use the sandbox"
        )
    for key, var in (
        ("client_id", "ZOHO_CLIENT_ID"),
        ("dc", "ZOHO_DC"),
        ("environment", "ZOHO_ENVIRONMENT"),
        ("base_url", "ZOHO_BASE_URL"),
        ("accounts_url", "ZOHO_ACCOUNTS_URL"),
    ):
        if env.get(var):
            values[key] = env[var]
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
    settings = Settings(
        endpoints(
            values.get("dc"),
            values.get("environment"),
            base_url=values.get("base_url"),
            accounts_url=values.get("accounts_url"),
        ),
        client_id=values.get("client_id"),
        profile=name,
        concurrency=_positive(values, "concurrency", 10) or 10,
        credit_budget=_positive(values, "credit_budget", None),
        timeout=float(values.get("timeout", 120.0)),
        retries=int(values.get("retries", 5)),
        busy_patience=_seconds(values, "busy_patience", 60.0),
        store=store,
    )
    stored = store.get(settings.store_key) or {}
    secret = env.get("ZOHO_CLIENT_SECRET") or stored.get("client_secret")
    refresh = env.get("ZOHO_REFRESH_TOKEN") or stored.get("refresh_token")
    settings = replace(
        settings,
        client_secret=Secret(secret) if secret else None,
        refresh_token=Secret(refresh) if refresh else None,
    )
    if not settings.client_id:
        raise ConfigError("no client id: set ZOHO_CLIENT_ID or run `coqlkit auth login`")
    return settings


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


def save_profile(
    name: str, values: Mapping[str, Any], *, path: Path | None = None, default: bool = False
) -> Path:
    """Add or replace profile ``name`` in the config file (secrets refused), written atomically."""
    if SECRET_KEYS & set(values):
        raise ConfigError("secrets are not written to the config file")
    path = path or config_path()
    data = load_profiles(path)
    profiles = dict(data.get("profiles") or {})
    profiles[name] = {k: v for k, v in values.items() if v is not None}
    data["profiles"] = profiles
    if default or "default_profile" not in data:
        data["default_profile"] = name
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(_toml(data), encoding="utf-8")
    os.replace(temp, path)
    return path


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
