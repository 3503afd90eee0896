"""Files that appear whole or not at all: where an export's file goes, and how it gets there.

An export (:mod:`coqlkit.export`), the shell's ``\\o FILE`` and ``coqlkit query -o FILE`` write
their text or rows into a hidden temporary file beside the target
(``.name.<host>-<pid>.XXXX.partial``); only when the last byte is written (and flushed to
disk) does the temporary take the target's name, in one ``os.replace`` (:class:`atomic_path`,
:class:`AtomicText`). An error, a cancelled task or Ctrl-C removes the temporary and leaves
any earlier file at the target untouched; one left by a writer that was killed outright is
removed by a later one into the same directory, once it is an hour old; a live writer's never
is, as the writer holds a lock on it while it writes (:func:`sweep_stale`). A target that is a
symbolic link is written through, as the shell's ``>`` does (:func:`written_path`).
:class:`PiecewiseText` is the other way to never show half of something: a file that only
ever holds whole pieces.

Where the file goes is checked before anything is spent (:func:`check_target`); problems
with it raise :class:`TargetError`, a failure while writing (a full disk) raises
:class:`ExportError`: both are ``OSError`` naming the target, never the temporary, and
:class:`~coqlkit.CoqlError` (``.code``: ``INVALID_TARGET``, ``WRITE_FAILED``).

This is apart from :mod:`coqlkit.export` because none of it knows rows or Arrow: it is the
file system's side (names, permissions, links, fsync and rename, stale temporaries), shared
by the text sinks and the format writers. :mod:`coqlkit.export` re-exports every name here:
import them from there.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from coqlkit.errors import CoqlError

if sys.platform != "win32":  # Windows has no fcntl: no locks, and no sweep (see _alive)
    import fcntl

__all__ = [
    "AtomicText",
    "ExportError",
    "PiecewiseText",
    "TargetError",
    "atomic_path",
    "check_target",
    "sweep_stale",
    "written_path",
]


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class _FileError(OSError, CoqlError):
    """A file coqlkit was asked to write and could not: an ``OSError`` (``.errno``,
    ``.strerror``, ``.filename``: the target, never the temporary) and a
    :class:`~coqlkit.CoqlError` (``.code``), so that ``except coqlkit.CoqlError`` around an
    export catches a full disk too, as the README's "Errors" promises, and ``except
    OSError`` still does. Pickled as an ``OSError`` is (its arguments, then its attributes).

    >>> error = ExportError(28, "No space left on device (nothing written)", "leads.csv")
    >>> error.code, error.message
    ('WRITE_FAILED', 'leads.csv: No space left on device (nothing written)')
    """

    def __init__(self, *args: Any) -> None:  # OSError's (errno, strerror, filename), not CoqlError's
        OSError.__init__(self, *args)

    @property
    def message(self) -> str:
        """What the command line prints after ``coqlkit: error:``: the target, then why."""
        return f"{self.filename}: {self.strerror}" if self.filename is not None else str(self.strerror)


class TargetError(_FileError):
    """The target cannot be written: a directory, a URL, a device, a missing or read-only
    directory. Raised before anything is spent; ``.filename`` is the target, ``.missing``
    the directory that does not exist (when that is the trouble)."""

    __module__ = "coqlkit.export"  # where it is documented, imported and caught from
    code = "INVALID_TARGET"
    missing: Path | None = None


class ExportError(_FileError):
    """Writing the file failed midway (a full disk, an I/O error); the target is left as it
    was. ``.filename`` is the target."""

    __module__ = "coqlkit.export"
    code = "WRITE_FAILED"


# The machine a temporary file is written on: a stale one (its writer killed) is removed
# only by a later export on the same machine, which can tell that its writer is gone.
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]

#: How old (by its mtime) a temporary must be before a sweep may remove it: besides the
#: lock, a margin for what the lock cannot cover (the instant between a temporary's
#: creation and its lock; a file system whose locks are not kept, in a writer that may
#: live in another PID namespace). A killed export's leftover waits that long.
STALE_AFTER = 3600.0


def _temp_name(target: Path) -> Path:
    """``.name.<host>-<pid>.<random>.partial`` beside ``target``."""
    return target.parent / f".{target.name}.{_HOST}-{os.getpid()}.{secrets.token_hex(4)}.partial"


#: A temporary's name (:func:`_temp_name`): the target's, the host, the writer's pid.
_TEMP = re.compile(r"\..+\.(?P<host>[0-9a-f]{8})-(?P<pid>\d+)\.[0-9a-f]{8}\.partial")


def sweep_stale(target: Path) -> list[Path]:
    """Remove the temporary files that earlier exports into ``target``'s directory left on
    this machine, whose process is gone (killed with SIGKILL, out of memory, the machine
    rebooted: nothing ran their clean-up); the removed paths. Those of every target, not
    only ``target``'s: a nightly export to a dated name (``leads-2024-06-01.parquet``)
    never writes the name a killed one left its temporary for. Those of live processes, or
    written on another machine sharing the directory, are left alone
    (:func:`_abandoned`).

    >>> _TEMP.fullmatch(".leads-2024-06-01.parquet.5bce98f7-18414.9f04c5ad.partial")["pid"]
    '18414'
    """
    removed = []
    try:
        found = [_TEMP.fullmatch(n) for n in os.listdir(target.parent) if n.endswith(".partial")]
    except OSError:
        return []
    for match in found:
        if match is None or match["host"] != _HOST:
            continue
        path = target.parent / match.string
        if not _abandoned(path, int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _abandoned(path: Path, pid: int) -> bool:
    """Whether the temporary ``path`` (written on this machine by ``pid``) has no writer
    left: older than :data:`STALE_AFTER`, not locked (:func:`_hold`), and ``pid`` is no
    process here. Any sign of life keeps it.

    The lock is what tells: the pid alone does not, since one machine (one hostname) can
    run several PID namespaces (the containers of a Kubernetes pod, ``docker run
    --network host``), where the pid of a live writer in another is no process in this
    one; and a dead writer's pid may have been given to some other process since.
    """
    try:
        if time.time() - os.stat(path).st_mtime < STALE_AFTER:
            return False
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # gone already, or not ours to read: leave it
        return False
    try:
        if _lock(fd, shared=True) is False:  # its writer holds it
            return False
    finally:
        os.close(fd)  # and with it the lock taken
    return not _alive(pid)


def _hold(fd: int) -> None:
    """Lock the temporary ``fd`` was opened on, for as long as ``fd`` stays open: the sign
    that its writer lives, which a sweep in any process on this machine can read, whatever
    its PID namespace (a lock dies with the process that held it)."""
    _lock(fd, shared=False)


def _lock(fd: int, *, shared: bool) -> bool | None:
    """An ``flock`` on ``fd``, without waiting: True when taken, False when another holds
    it, None where there are no locks (no ``fcntl`` on Windows, a file system that refuses
    them). Shared for a reader (a sweep opens the file read-only), else exclusive."""
    if sys.platform == "win32":  # pragma: no cover
        return None
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a process in this PID namespace (True on Windows, which cannot
    ask without killing it: ``os.kill`` there is ``TerminateProcess``)."""
    if sys.platform == "win32":  # pragma: no cover
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and is someone else's
        return True
    return True


def check_target(path: str | os.PathLike[str], *, mkdir: bool = False) -> Path:
    """``path`` if a file can be written there, else :class:`TargetError` saying why.

    A URL (``s3://...``) is refused (files are local), so are a directory, anything but a
    regular file to replace (``/dev/stdout``), and a directory that does not exist
    (unless ``mkdir``: then it is created). A trial file is created beside the target and
    removed, so a read-only or missing place is found before a credit is spent. A symbolic
    link is written through (:func:`written_path`): what is checked is the place it names;
    the path returned is ``path``, as given, for messages.
    """
    text = os.fspath(path)
    if _URL.match(text):
        raise TargetError(
            errno.EINVAL, "a URL: coqlkit writes local files (write one, then copy it where it goes)", text
        )
    target = written_path(text)
    if target.is_dir():
        raise TargetError(errno.EISDIR, os.strerror(errno.EISDIR), text)
    if target.exists() and not target.is_file():
        raise TargetError(errno.EINVAL, "not a regular file (an export replaces the file it writes)", text)
    parent = target.parent
    if not parent.is_dir():
        ancestor = parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if ancestor.exists() and not ancestor.is_dir():
            raise TargetError(errno.ENOTDIR, f"{os.strerror(errno.ENOTDIR)} ({ancestor} is a file)", text)
        if not mkdir:
            error = TargetError(errno.ENOENT, f"{os.strerror(errno.ENOENT)} ({parent} does not exist)", text)
            error.missing = parent
            raise error
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TargetError(
                exc.errno or errno.EIO, f"cannot create {parent}{_linked(text, target)}: {_reason(exc)}", text
            ) from exc
    trial = _temp_name(target)
    try:
        fd = os.open(trial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        where = f"{parent}{_linked(text, target)}"
        raise TargetError(exc.errno or errno.EIO, f"cannot write in {where}: {_reason(exc)}", text) from exc
    try:
        os.close(fd)
    finally:  # even when a signal lands here
        trial.unlink(missing_ok=True)
    return Path(text)


def written_path(path: str | os.PathLike[str]) -> Path:
    """The file an export to ``path`` writes: ``path``, or the file a symbolic link there
    names (through every link, even to a file not there yet), as the shell's ``>`` and
    ``cp`` write through a link (``latest.csv -> snap/2024-01-01.csv``). Replacing the link
    itself would leave the data beside it and the file it named as it was.

    Links that lead back to themselves (``a.csv -> b.csv -> a.csv``) name no file: a
    :class:`TargetError` naming ``path`` as given."""
    target = Path(path)
    try:
        os.stat(target)
    except OSError as exc:  # not there yet is fine; a loop is not (ELOOP)
        if exc.errno == errno.ELOOP:
            reason = f"{os.strerror(errno.ELOOP)} (links that lead back to themselves name no file)"
            raise TargetError(errno.ELOOP, reason, os.fspath(path)) from None
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _linked(given: str, written: Path) -> str:
    """Where ``written``'s directory comes from when ``given`` is a link to it: an export
    replaces the file a link names, from a temporary beside that file, so it is that
    directory that must be writable (the shell's ``>`` only needs the file to be).

    >>> _linked("mine/latest.csv", Path("/data/ro/latest.csv"))
    ' (the directory of the file latest.csv links to)'
    >>> _linked("latest.csv", Path("latest.csv"))
    ''
    """
    if written == Path(given):
        return ""
    return f" (the directory of the file {Path(given).name} links to)"


def _reason(exc: OSError) -> str:
    """An OSError's reason without the file name: ``No space left on device``."""
    text = exc.strerror or str(exc)
    found = re.search(r"\[errno (\d+)\]\s*(.+)$", text, re.I)  # pyarrow: "... Detail: [errno 28] No space..."
    return found.group(2).strip() if found else text


def _export_error(exc: OSError, target: Path) -> ExportError:
    code = exc.errno
    if code is None:
        found = re.search(r"\[errno (\d+)\]", str(exc), re.I)
        code = int(found.group(1)) if found else errno.EIO
    kept = "nothing written: the file there is left as it was" if target.exists() else "nothing written"
    return ExportError(code, f"{_reason(exc)} ({kept})", str(target))


class AtomicText(io.TextIOBase):
    """A text file written piece by piece that appears whole or not at all: the text goes
    into a hidden temporary beside ``target`` (see :class:`atomic_path`), which becomes
    ``target`` on :meth:`commit`. For output that comes query by query: the shell's
    ``\\o FILE``, ``coqlkit query -o FILE``.

    A write that fails (a full disk) removes the temporary and raises :class:`ExportError`
    naming ``target``, which is left as it was (:attr:`failed` is then true); so does
    :meth:`discard` and :meth:`close`. Opening raises :class:`TargetError` when ``target``
    cannot be written.
    """

    def __init__(self, target: str | os.PathLike[str], *, mkdir: bool = False) -> None:
        super().__init__()
        self.target = check_target(target, mkdir=mkdir)  # not a directory, a URL, a device...
        self.failed = False
        self._atomic = atomic_path(self.target, mkdir=mkdir)
        temp = self._atomic.__enter__()
        try:
            self._file = open(temp, "w", encoding="utf-8")  # noqa: SIM115 - until commit/discard
        except BaseException:
            self._atomic.__exit__(OSError, None, None)  # removes the temporary
            raise

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        try:
            return self._file.write(text)
        except OSError as exc:
            raise self._failed(exc) from exc

    def flush(self) -> None:
        if self._file.closed:
            return
        try:
            self._file.flush()
        except OSError as exc:
            raise self._failed(exc) from exc

    def commit(self) -> Path:
        """Close the file and give it the target's name (an :class:`ExportError` when the
        last bytes cannot be written: the target is then left as it was)."""
        try:
            self._file.close()
        except OSError as exc:
            raise self._failed(exc) from exc
        super().close()
        self._atomic.__exit__(None, None, None)
        return self.target

    def discard(self) -> None:
        """Forget what was written: the target is left as it was."""
        if self.closed:
            return
        with contextlib.suppress(OSError):
            self._file.close()
        super().close()
        self._atomic.__exit__(ExportError, None, None)

    def close(self) -> None:
        """:meth:`discard`, unless committed: only :meth:`commit` publishes the file (an
        object dropped or closed on the way out of an error leaves the target alone)."""
        self.discard()

    def _failed(self, exc: OSError) -> ExportError:
        self.failed = True
        self.discard()
        return _export_error(exc, self.target)


class PiecewiseText(io.TextIOBase):
    """A text file written a piece at a time that only ever holds whole pieces: the shell's
    ``\\o FILE``, a piece per statement, so that what finished is there to read (``tail -f``)
    and stays there whatever stops the shell, and a statement that fails or is stopped adds
    nothing.

    FILE is created (or emptied) at once, as psql's ``\\o`` does. What is written goes to a
    buffer (in memory, on disk past 8 MB) until :meth:`keep` appends it to FILE, or
    :meth:`drop` forgets it. An append that fails (a full disk) or is interrupted cuts FILE
    back to its last whole piece; a failure raises :class:`ExportError` naming FILE, and
    :attr:`failed` is then true. Opening raises :class:`TargetError`.
    """

    SPOOL_BYTES = 8 << 20

    def __init__(self, target: str | os.PathLike[str]) -> None:
        super().__init__()
        self.target = check_target(target)
        self.failed = False
        try:
            self._file = open(self.target, "wb")  # noqa: SIM115 - until close
        except OSError as exc:
            raise TargetError(exc.errno or errno.EIO, _reason(exc), str(self.target)) from exc
        self._piece = self._spool()

    def _spool(self) -> Any:
        return tempfile.SpooledTemporaryFile(self.SPOOL_BYTES, mode="w+b")

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        try:
            self._piece.write(text.encode("utf-8"))
        except OSError as exc:
            raise self._failed(exc) from exc
        return len(text)

    def flush(self) -> None:
        """Nothing reaches FILE before :meth:`keep`."""

    def keep(self) -> None:
        """Append the piece written since the last :meth:`keep` or :meth:`drop` to FILE."""
        piece, self._piece = self._piece, self._spool()
        try:
            if not piece.tell():
                return
            size = self._file.tell()
            try:
                piece.seek(0)
                shutil.copyfileobj(piece, self._file, 1 << 20)
                self._file.flush()
            except BaseException as exc:  # a full disk, or a signal midway: FILE as it was
                with contextlib.suppress(OSError):
                    self._file.seek(size)
                    self._file.truncate(size)
                if isinstance(exc, OSError):
                    raise self._failed(exc) from exc
                raise
        finally:
            piece.close()

    def drop(self) -> None:
        """Forget the piece written since the last :meth:`keep` or :meth:`drop`."""
        self._piece.close()
        self._piece = self._spool()

    def close(self) -> None:
        """Close FILE, with the pieces kept (a piece not kept is forgotten)."""
        if self.closed:
            return
        self._piece.close()
        with contextlib.suppress(OSError):  # whole pieces are in: a buffer empty since keep()
            self._file.close()
        super().close()

    def _failed(self, exc: OSError) -> ExportError:
        self.failed = True
        self.close()
        return ExportError(
            exc.errno or errno.EIO,
            f"{_reason(exc)} (the file holds the output of the statements before; this one's is not in it)",
            str(self.target),
        )


class atomic_path:
    """A temporary path beside ``target`` that becomes ``target`` when the block succeeds.

    The file gets the permissions a plain ``open(target, "w")`` would give it: those of the
    file it replaces, or else what the umask allows (not ``mkstemp``'s owner-only 0600).
    A symbolic link is written through: the temporary goes beside the file it names, which
    it replaces, and the link stays (:func:`written_path`).
    A missing directory is created (``mkdir=False``: it is a :class:`TargetError`); a failure
    to flush or rename the file is an :class:`ExportError`; both name ``target``.
    """

    def __init__(self, target: str | os.PathLike[str], *, mkdir: bool = True) -> None:
        self.target = Path(target)
        self.mkdir = mkdir
        self.temp: Path | None = None
        self._fd = -1  # the temporary, held open and locked until __exit__ (see _hold)
        self.written = self.target  # the file replaced: the target, or the one its link names

    def __enter__(self) -> Path:
        self.written = written_path(self.target)
        parent = self.written.parent
        if self.mkdir and not parent.is_dir():
            check_target(self.target, mkdir=True)  # creates it, or says why it cannot
        sweep_stale(self.written)  # what killed exports into its directory left behind
        for _ in range(100):
            temp = _temp_name(self.written)
            try:  # O_EXCL: a name of our own; 0o666 less the umask, as open() would
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:  # pragma: no cover - 32 random bits taken
                continue
            except OSError as exc:
                check_target(self.target)  # says what is wrong with the target, if it can
                raise TargetError(exc.errno or errno.EIO, _reason(exc), str(self.target)) from exc
            try:
                _hold(fd)  # while the block runs: a sweep anywhere on this machine leaves it
                with contextlib.suppress(FileNotFoundError):
                    shutil.copymode(self.written, temp)  # a file replaced keeps its permissions
            except BaseException:  # a signal (SIGTERM, Ctrl-C) landing here: no __exit__ runs
                temp.unlink(missing_ok=True)
                os.close(fd)
                raise
            if sys.platform == "win32":  # pragma: no cover - an open file cannot be renamed there
                os.close(fd)
                fd = -1
            self.temp, self._fd = temp, fd
            return temp
        raise FileExistsError(f"no free temporary name beside {self.target}")  # pragma: no cover

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        assert self.temp is not None
        try:
            if kind is not None:
                self.temp.unlink(missing_ok=True)
                return
            try:
                self._fsync(self.temp)
                os.replace(self.temp, self.written)
            except OSError as error:
                self.temp.unlink(missing_ok=True)
                raise _export_error(error, self.target) from error
            except BaseException:
                self.temp.unlink(missing_ok=True)
                raise
        finally:  # the temporary has its name or is gone: its lock can go
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def _fsync(self, temp: Path) -> None:
        """The temporary's bytes on disk, before its name changes."""
        if self._fd >= 0:
            os.fsync(self._fd)
            return
        with open(temp, "rb+") as fh:  # pragma: no cover - Windows: the file is not held open
            os.fsync(fh.fileno())
