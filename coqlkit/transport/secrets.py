"""Secrets: a string that will not print itself, and where coqlkit keeps tokens.

A :class:`Secret` masks itself in ``str()``, ``repr()`` and f-strings, so a secret that
reaches a log line, an exception or a REPL's history shows as ``1000.****abcd``; only
``.reveal()`` gives the value, and only the transport calls it, to build a request.

Tokens are kept in the OS keyring when one is usable (``pip install keyring``), else in
a JSON file created with mode 0600 in the platform data directory
(``$XDG_DATA_HOME/coqlkit/tokens.json``). Never in the config file.
``COQLKIT_TOKEN_STORE=file`` forces the file, ``COQLKIT_TOKEN_STORE=memory`` keeps nothing
on disk (CI: the credentials come from ``ZOHO_*`` variables, and each run gets its own
access token). A process with no home directory keeps its tokens in memory too, and says so once.

A token file that cannot be read or parsed is an error (:class:`~coqlkit.errors.ConfigError`)
that names it, and it is never written over: it may hold other profiles' secrets. Its
read-modify-write holds an exclusive lock (``flock`` on a sidecar ``tokens.json.lock``,
where the platform has it), so processes that write at once lose nothing; a token refresh
holds another (``tokens.json.<profile>.refresh.lock``, :class:`RefreshLock`), so processes that find
the token stale at once ask Zoho once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from coqlkit._dirs import base_dir, base_dir_or_run, homeless_warning, in_run_dir
from coqlkit.errors import ConfigError

if sys.platform != "win32":  # Windows has no fcntl: its writes go unlocked, as before
    import fcntl

__all__ = [
    "FileTokenStore",
    "KeyringTokenStore",
    "MemoryTokenStore",
    "RefreshLock",
    "Secret",
    "TokenStore",
    "check_store",
    "default_store",
    "mask",
    "update_record",
]


def mask(value: str) -> str:
    """``1000.****abcd``: enough to tell two secrets apart, not enough to use one.

    A short value shows nothing: its ends would give away too much of it (Zoho's secrets
    and tokens are 40 to 70 characters; at least 16 stay hidden)."""
    head = value[:5] if value.startswith("1000.") else value[:2]
    if len(value) - len(head) - 4 < 16:
        return "****"
    return f"{head}****{value[-4:]}"


class Secret:
    """A secret string that masks itself wherever it could be printed.

    It can be copied (``copy.copy``, ``copy.deepcopy``: the copy is the same immutable
    object, still in memory), not pickled: a pickle writes the value out.

    >>> import copy
    >>> token = Secret("1000." + "ab" * 20)
    >>> copy.deepcopy({"token": token})
    {'token': Secret('1000.****abab')}
    """

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

    def __copy__(self) -> Secret:
        return self  # immutable: a copy may be the object itself

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> Any:
        raise TypeError(
            "a Secret cannot be pickled: a pickle would write its value out (to a file, a cache "
            "or another process) where nothing masks it; copy.copy and copy.deepcopy work"
        )


class TokenStore(Protocol):
    """Where a profile's secrets live: ``client_secret``, ``refresh_token``, ``access_token``,
    ``expires_at`` (epoch seconds) and ``api_domain``.

    A store that cannot do what is asked raises :class:`~coqlkit.errors.ConfigError`
    saying what to do (never a bare ``OSError``)."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, record: dict[str, Any]) -> None: ...

    def delete(self, key: str) -> None: ...


def update_record(store: TokenStore, key: str, fields: dict[str, Any]) -> None:
    """Set ``fields`` in the record ``key`` and keep its other fields: at once where the
    store can (an ``update`` method: the file's lock), else by ``get`` then ``put``."""
    update = getattr(store, "update", None)
    if callable(update):
        update(key, fields)
    else:
        store.put(key, {**(store.get(key) or {}), **fields})


def check_store(store: TokenStore, key: str) -> None:
    """Raise :class:`~coqlkit.errors.ConfigError` if ``store`` cannot keep the record
    ``key`` (an unreadable token file, a folder that cannot be written, the memory store),
    before anything is spent on getting one: ``coqlkit auth login`` checks it first."""
    if isinstance(store, MemoryTokenStore):
        if os.environ.get("COQLKIT_TOKEN_STORE", "").strip().lower() != "memory":
            raise ConfigError(f"a login would be lost once coqlkit exits: {NO_HOME}")
        raise ConfigError(
            "COQLKIT_TOKEN_STORE=memory keeps nothing once coqlkit exits, so a login would be "
            "lost; unset COQLKIT_TOKEN_STORE (or set it to file) to log in"
        )
    store.get(key)  # a file or keyring that cannot be read says so
    if isinstance(store, FileTokenStore):
        problem = unwritable(store.path)
        if problem is not None:
            raise ConfigError(f"cannot write the token file {store.path}: {problem}")


def unwritable(path: Path) -> str | None:
    """Why ``path`` could not be written (replaced, as coqlkit writes its files), or None.

    Nothing is created to find out: the nearest folder that exists must be writable. A
    path in the temporary folder of a process without a home (:mod:`coqlkit._dirs`) would
    be gone when it exits: that is a reason too."""
    if in_run_dir(path):
        return NO_HOME
    folder = path.parent
    while not folder.exists():
        if folder.parent == folder:
            return "no folder of its path exists"
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    return None


#: Why nothing can be kept between runs in a process without a home.
NO_HOME = (
    "there is no home directory to keep it in (HOME is not set and this user id has no passwd "
    "entry): set HOME, or XDG_CONFIG_HOME and XDG_DATA_HOME, to a writable folder"
)


def data_dir() -> Path:
    """``$XDG_DATA_HOME/coqlkit`` (``~/.local/share/coqlkit``); without a home, a folder of
    this process's that is removed when it exits (see :mod:`coqlkit._dirs`)."""
    return base_dir_or_run("data") / "coqlkit"


class FileTokenStore:
    """Tokens in one JSON file readable by its owner only (mode 0600, folder 0700).

    Its errors are :class:`~coqlkit.errors.ConfigError`\\ s that name the file. They are
    raised from frames that hold no secret and are chained to nothing (a ``JSONDecodeError``
    holds the whole document)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / "tokens.json"

    def __repr__(self) -> str:
        return f"<FileTokenStore {self.path}>"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):  # none yet (NotADirectory: nor its folder)
            return {}
        except OSError as exc:
            problem = f"it cannot be read ({exc.strerror or type(exc).__name__})"
        except ValueError as exc:  # a JSONDecodeError, or bytes that are not UTF-8
            where = (
                f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            )
            problem = f"it is not valid JSON{where}"
        else:
            if isinstance(data, dict):
                return data
            problem = "it does not hold a JSON object"
            del data
        raise ConfigError(
            f"the token file {self.path} cannot be used: {problem}. coqlkit leaves it as it is (it "
            "may hold other profiles' secrets): repair it, or move it away and run `coqlkit auth "
            "login` again for each profile it held"
        )

    def get(self, key: str) -> dict[str, Any] | None:
        found = self._read().get(key)
        return dict(found) if isinstance(found, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` as the whole record ``key`` (the others are kept)."""
        self._change(key, record, merge=False)

    def update(self, key: str, fields: dict[str, Any]) -> None:
        """Set ``fields`` in the record ``key``, keeping its other fields, under the lock."""
        self._change(key, fields, merge=True)

    def delete(self, key: str) -> None:
        self._change(key, None, merge=False)

    def _change(self, key: str, record: dict[str, Any] | None, *, merge: bool) -> None:
        problem = self._locked_change(key, record, merge)
        if problem is not None:
            raise ConfigError(f"cannot write the token file {self.path}: {problem}")

    def _locked_change(self, key: str, record: dict[str, Any] | None, merge: bool) -> str | None:
        """The read-modify-write, under the lock; what went wrong writing, or None. (An
        unreadable file raises: it is not written over.)"""
        try:
            with self._lock():
                data = self._read()
                if record is None:
                    if data.pop(key, None) is None:
                        return None
                elif merge and isinstance(data.get(key), dict):
                    data[key] = {**data[key], **record}
                else:
                    data[key] = record
                self._write(data)
        except OSError as exc:
            return exc.strerror or type(exc).__name__
        return None

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """An exclusive ``flock`` on ``tokens.json.lock`` beside the file (none where the
        platform has no ``fcntl``, or its file system refuses locks)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if sys.platform == "win32":  # pragma: no cover
            yield
            return
        fd = os.open(self.path.with_name(f"{self.path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with contextlib.suppress(OSError):  # no locks here (some network file systems): go on
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # and with it the lock

    def refresh_lock(self, key: str = "") -> RefreshLock:
        """The lock one process holds while it asks Zoho for an access token of ``key`` (a
        profile's store key), so that the others wait and then take its token (see
        :class:`RefreshLock`); one a key, so that a refresh of one profile never holds up
        another's (the key is hashed: it names a profile, no secret)."""
        tag = hashlib.sha256(key.encode()).hexdigest()[:12]
        return RefreshLock(self.path.with_name(f"{self.path.name}.{tag}.refresh.lock"))

    def _write(self, data: dict[str, Any]) -> None:
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.chmod(temp, 0o600)  # whatever the umask
            os.replace(temp, self.path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


class RefreshLock:
    """An exclusive ``flock`` on a file beside the token file (``tokens.json.<key>.refresh.lock``),
    held across a token refresh: processes that find the token stale at once refresh it
    once, the others read the new one from the store (Zoho allows 10 tokens per refresh
    token in 10 minutes).

    Apart from the write lock (``tokens.json.lock``), which the refreshing process takes
    to store its token while it holds this one. Taken without blocking (:meth:`try_acquire`),
    so the caller's event loop can wait for it; released with the file's descriptor, also
    when a process dies holding it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """True when held, or when no lock can be had here (a read-only home, a platform or
        file system without locks: go on unlocked, as before); False while another holds it."""
        if sys.platform == "win32":  # pragma: no cover
            return True
        if self._fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            return True
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # and with it the lock
            self._fd = None


class MemoryTokenStore:
    """Tokens in this process's memory, shared by its connections; nothing on disk
    (``COQLKIT_TOKEN_STORE=memory``). For CI: the ``ZOHO_*`` variables hold the
    credentials, and the access token lives as long as the process."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, Any]] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return "<MemoryTokenStore>"

    def __deepcopy__(self, memo: dict[int, Any]) -> MemoryTokenStore:
        return self  # a handle to the process's records, as the file store is to its file

    def get(self, key: str) -> dict[str, Any] | None:
        with self._guard:
            found = self._records.get(key)
            return dict(found) if found is not None else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        with self._guard:
            self._records[key] = dict(record)

    def update(self, key: str, fields: dict[str, Any]) -> None:
        with self._guard:
            self._records[key] = {**self._records.get(key, {}), **fields}

    def delete(self, key: str) -> None:
        with self._guard:
            self._records.pop(key, None)


_MEMORY = MemoryTokenStore()


class KeyringTokenStore:
    """Tokens in the OS keyring (service ``coqlkit``, one entry per profile)."""

    SERVICE = "coqlkit"

    def __init__(self, keyring: Any) -> None:
        self._keyring = keyring

    def __repr__(self) -> str:
        return "<KeyringTokenStore>"

    def __deepcopy__(self, memo: dict[int, Any]) -> KeyringTokenStore:
        return self  # a handle to the OS keyring (a module, which cannot be copied)

    def get(self, key: str) -> dict[str, Any] | None:
        raw, problem = self._call(self._keyring.get_password, key)
        if problem is not None:
            raise self._refused("read", key, problem)
        try:
            found = json.loads(raw) if raw else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        _, problem = self._call(self._keyring.set_password, key, json.dumps(record))
        if problem is not None:
            raise self._refused("write", key, problem)

    def update(self, key: str, fields: dict[str, Any]) -> None:
        self.put(key, {**(self.get(key) or {}), **fields})

    def delete(self, key: str) -> None:
        with contextlib.suppress(Exception):  # no such entry: nothing to forget
            self._keyring.delete_password(self.SERVICE, key)

    def _call(self, method: Any, key: str, *value: str) -> tuple[Any, str | None]:
        """``method``'s answer, or what it raised (keyring's own errors: a locked keyring, no
        D-Bus session...), by name only: the error is raised by the caller, from a frame that
        does not hold the value."""
        try:
            return method(self.SERVICE, key, *value), None
        except Exception as exc:
            return None, type(exc).__name__

    def _refused(self, what: str, key: str, problem: str) -> ConfigError:
        return ConfigError(
            f"the OS keyring could not {what} coqlkit's entry {key!r} ({problem}); unlock it, or "
            "set COQLKIT_TOKEN_STORE=file to keep tokens in a 0600 file instead"
        )


#: The values of ``COQLKIT_TOKEN_STORE``: ``""`` and ``keyring`` pick the keyring when usable.
STORE_CHOICES = ("", "keyring", "file", "memory")


def default_store() -> TokenStore:
    """The OS keyring when one is installed and usable, else the 0600 token file.

    ``COQLKIT_TOKEN_STORE=file`` forces the file (useful on servers with a keyring daemon
    that nobody unlocks); ``COQLKIT_TOKEN_STORE=memory`` keeps nothing on disk (for CI,
    with the credentials in ``ZOHO_*`` variables). A process without a home (a container's
    arbitrary user id: :mod:`coqlkit._dirs`) gets the memory store too, and one warning.
    """
    choice = os.environ.get("COQLKIT_TOKEN_STORE", "").strip().lower()
    if choice not in STORE_CHOICES:
        raise ConfigError(
            f"COQLKIT_TOKEN_STORE is {choice!r}: use file, memory or keyring (or leave it unset)"
        )
    if choice == "memory":
        return _MEMORY
    if base_dir("data") is None:  # no home: a token file would not outlive the process either
        homeless_warning()
        return _MEMORY
    if choice != "file":
        try:
            import keyring  # type: ignore[import-not-found]
            from keyring.backends import fail  # type: ignore[import-not-found]

            backend = keyring.get_keyring()
            if not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 0) > 0:
                return KeyringTokenStore(keyring)
        except Exception:  # not installed, or no usable backend
            pass
    return FileTokenStore()
