"""Secrets: a string that will not print itself, and where coqlkit keeps tokens.

A :class:`Secret` masks itself in ``str()``, ``repr()`` and f-strings, so a secret that
reaches a log line, an exception or a REPL's history shows as ``1000.****abcd``; only
``.reveal()`` gives the value, and only the transport calls it, to build a request.

Tokens are kept in the OS keyring when one is usable (``pip install keyring``), else in
a JSON file created with mode 0600 in the platform data directory
(``$XDG_DATA_HOME/coqlkit/tokens.json``). Never in the config file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Protocol

__all__ = ["FileTokenStore", "KeyringTokenStore", "Secret", "TokenStore", "default_store", "mask"]


def mask(value: str) -> str:
    """``1000.****abcd``: enough to tell two secrets apart, not enough to use one.

    A short value shows nothing: its ends would give away too much of it (Zoho's secrets
    and tokens are 40 to 70 characters; at least 16 stay hidden)."""
    head = value[:5] if value.startswith("1000.") else value[:2]
    if len(value) - len(head) - 4 < 16:
        return "****"
    return f"{head}****{value[-4:]}"


class Secret:
    """A secret string that masks itself wherever it could be printed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    def __str__(self) -> str:
        return mask(self._value)

    def __format__(self, spec: str) -> str:
        return format(mask(self._value), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:  # pickling would write the value out: refuse
        raise TypeError("a Secret cannot be pickled")


class TokenStore(Protocol):
    """Where a profile's secrets live: ``client_secret``, ``refresh_token``, ``access_token``,
    ``expires_at`` (epoch seconds) and ``api_domain``."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, record: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...


def data_dir() -> Path:
    if sys.platform == "win32":  # pragma: no cover
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "coqlkit"
    if sys.platform == "darwin":  # pragma: no cover
        return Path.home() / "Library" / "Application Support" / "coqlkit"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "coqlkit"


class FileTokenStore:
    """Tokens in one JSON file readable by its owner only (mode 0600, folder 0700)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / "tokens.json"

    def __repr__(self) -> str:
        return f"<FileTokenStore {self.path}>"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> dict[str, Any] | None:
        found = self._read().get(key)
        return dict(found) if isinstance(found, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        data = self._read()
        data[key] = record
        self._write(data)

    def delete(self, key: str) -> None:
        data = self._read()
        if data.pop(key, None) is not None:
            self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.chmod(temp, 0o600)  # in case the file existed with other bits
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


class KeyringTokenStore:
    """Tokens in the OS keyring (service ``coqlkit``, one entry per profile)."""

    SERVICE = "coqlkit"

    def __init__(self, keyring: Any) -> None:
        self._keyring = keyring

    def __repr__(self) -> str:
        return "<KeyringTokenStore>"

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._keyring.get_password(self.SERVICE, key)
        try:
            found = json.loads(raw) if raw else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        self._keyring.set_password(self.SERVICE, key, json.dumps(record))

    def delete(self, key: str) -> None:
        with contextlib.suppress(Exception):  # no such entry: nothing to forget
            self._keyring.delete_password(self.SERVICE, key)


def default_store() -> TokenStore:
    """The OS keyring when one is installed and usable, else the 0600 token file.

    ``COQLKIT_TOKEN_STORE=file`` forces the file (useful on servers with a keyring daemon
    that nobody unlocks).
    """
    if os.environ.get("COQLKIT_TOKEN_STORE", "").lower() != "file":
        try:
            import keyring  # type: ignore[import-not-found]
            from keyring.backends import fail  # type: ignore[import-not-found]

            backend = keyring.get_keyring()
            if not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0:
                return KeyringTokenStore(keyring)
        except Exception:  # not installed, or no usable backend
            pass
    return FileTokenStore()
