"""The IANA time zones this machine knows, and the one a misspelt name was probably meant
to be: for the did-you-mean of every check of a zone (``connect(tz=)``, ``query(tz=)``,
``--tz``, ``\\tz``, ``repl.toml``, ``%coql_connect --tz``). Apart from :mod:`coqlkit._scope`
because it needs nothing but the standard library: the shell completes ``\\tz`` from it
without loading pyarrow.
"""

from __future__ import annotations

import difflib
import functools

__all__ = ["close_zone", "zone_names"]


@functools.cache
def zone_names() -> tuple[str, ...]:
    """The IANA time zones this machine knows (its tz database, or the ``tzdata`` package),
    sorted, ``UTC`` first: what ``\\tz`` completes. Read once (about 600 names, 0.1 s)."""
    import zoneinfo

    names = sorted(zoneinfo.available_timezones() - {"UTC"})
    return ("UTC", *names)


def close_zone(text: str) -> str | None:
    """The zone ``text`` was probably meant to be: the only one whose city it names
    (``kolkata``), else the closest name (``Europe/Pari``); None when none is close.

    >>> close_zone("Kolkata"), close_zone("europe/pari"), close_zone("PST")
    ('Asia/Kolkata', 'Europe/Paris', None)
    """
    word = text.lower()
    names = zone_names()
    cities = [n for n in names if n.lower().rpartition("/")[2] == word.replace(" ", "_")]
    if len(cities) == 1:
        return cities[0]
    close = difflib.get_close_matches(word, [n.lower() for n in names], n=1, cutoff=0.8)
    return {n.lower(): n for n in names}[close[0]] if close else None
