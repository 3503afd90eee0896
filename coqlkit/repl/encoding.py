"""Input as UTF-8, or a diagnostic that says where it is not.

What coqlkit reads (a file, standard input, the command line, a terminal) is COQL only
when it is UTF-8: Zoho takes nothing else. A file saved as Windows-1252 (Latin-1), with a
``Müller`` in it, is refused here, before anything runs, with the position of its first
byte that is not UTF-8, as a compiler would say it:

.. code-block:: text

    latin1.sql:1:49: error: not UTF-8 (byte 0xfc, 'ü' in Windows-1252): save the file as UTF-8
      select Last_Name from Leads where Last_Name = 'M�ller' limit 1;
                                                      ^
      hint: iconv -f WINDOWS-1252 -t UTF-8 latin1.sql > latin1.utf8.sql

Text that Python has already decoded with ``surrogateescape`` (the command line, standard
input in the C locale, a terminal) keeps such a byte as a lone surrogate: :func:`check`
finds it, so that it never reaches the wire (where it failed as a traceback).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from coqlkit.errors import ConfigError, excerpt

__all__ = ["NotUtf8", "check", "decode", "read_file", "read_stdin"]

#: A byte that was not UTF-8, as ``surrogateescape`` keeps it.
_ESCAPED = re.compile("[\udc80-\udcff]")


class NotUtf8(ConfigError):
    """Input that is not UTF-8 (a usage error: exit 2). ``str()`` is the whole diagnostic,
    ``FILE:line:col: error: not UTF-8 ...``, with the line and a caret."""

    code = "NOT_UTF8"


def decode(data: bytes, name: str, *, fix: str = "save the file as UTF-8") -> str:
    """``data`` as text (a UTF-8 byte-order mark, as Windows editors write it, dropped);
    :class:`NotUtf8` naming ``name`` and the position of the first byte that is not UTF-8.

    >>> decode("select 'Müller'".encode(), "q.coql")
    "select 'Müller'"
    >>> decode(b"select Last_Name\\nfrom Leads where Last_Name = 'M\\xfcller'", "q.coql")
    Traceback (most recent call last):
    ...
    coqlkit.repl.encoding.NotUtf8: q.coql:2:32: error: not UTF-8 (byte 0xfc, 'ü' in Windows-1252): save the file as UTF-8
      from Leads where Last_Name = 'M�ller'
                                     ^
      hint: iconv -f WINDOWS-1252 -t UTF-8 q.coql > q.utf8.coql
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
    begin = data.rfind(b"\n", 0, bad) + 1
    end = data.find(b"\n", bad)
    line_text = data[begin : len(data) if end < 0 else end].decode("utf-8", "replace")
    before = data[begin:bad].decode("utf-8-sig" if begin == 0 else "utf-8")
    message = _diagnostic(name, data.count(b"\n", 0, bad) + 1, len(before) + 1, line_text, data[bad], fix)
    raise NotUtf8(message) from None


def check(text: str, name: str | None = None, *, fix: str = "give it as UTF-8") -> None:
    """:class:`NotUtf8` when ``text`` holds a byte that was not UTF-8 (a lone surrogate,
    as ``surrogateescape`` keeps it); ``name``: where it came from (None: positions alone).

    >>> check("select Last_Name from Leads")
    >>> check("select 'M\\udcfcller' from Leads", "-c", fix="give -c TEXT as UTF-8")
    Traceback (most recent call last):
    ...
    coqlkit.repl.encoding.NotUtf8: -c:1:10: error: not UTF-8 (byte 0xfc, 'ü' in Windows-1252): give -c TEXT as UTF-8
      select 'M�ller' from Leads
               ^
    """
    found = _ESCAPED.search(text)
    if found is None:
        return
    bad = found.start()
    begin = text.rfind("\n", 0, bad) + 1
    end = text.find("\n", bad)
    line_text = _ESCAPED.sub("\ufffd", text[begin : len(text) if end < 0 else end])
    byte = ord(text[bad]) - 0xDC00
    line = text.count("\n", 0, bad) + 1
    raise NotUtf8(_diagnostic(name, line, bad - begin + 1, line_text, byte, fix, hint=False))


def read_file(path: str | Path) -> str:
    """The text of the file at ``path`` (OSError when it cannot be read; :class:`NotUtf8`)."""
    return decode(Path(path).read_bytes(), str(path))


def read_stdin(stream: TextIO | None = None) -> str:
    """Standard input, whole: its bytes decoded here (the locale's decoding would fail with
    a traceback, or keep bad bytes as surrogates); a stream with no bytes under it (a test's
    StringIO) as its text, checked."""
    stream = stream or sys.stdin
    raw: BinaryIO | None = getattr(stream, "buffer", None)
    if raw is None:
        text = stream.read()
        check(text, "<stdin>", fix="give it as UTF-8")
        return text
    return decode(raw.read(), "<stdin>", fix="give it as UTF-8")


def _diagnostic(
    name: str | None, line: int, column: int, line_text: str, byte: int, fix: str, *, hint: bool = True
) -> str:
    guess = _windows_1252(byte)
    what = f"byte 0x{byte:02x}" + (f", {guess!r} in Windows-1252" if guess else "")
    where = f"{name}:" if name else ""
    parts = [f"{where}{line}:{column}: error: not UTF-8 ({what}): {fix}", excerpt(line_text, 1, column)]
    if hint and guess and name and not name.startswith("<"):
        stem, dot, suffix = name.rpartition(".")
        converted = f"{stem}.utf8.{suffix}" if dot and "/" not in suffix else f"{name}.utf8"
        parts.append(f"  hint: iconv -f WINDOWS-1252 -t UTF-8 {name} > {converted}")
    elif hint and guess:
        parts.append("  hint: pipe it through iconv -f WINDOWS-1252 -t UTF-8")
    return "\n".join(parts)


def _windows_1252(byte: int) -> str | None:
    """What ``byte`` is in Windows-1252 (the usual encoding of a file that is not UTF-8),
    when it is a character one could have typed."""
    try:
        char = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return None
    return char if char.isprintable() and not char.isspace() else None
