"""Did-you-mean: names close to a misspelt one, by case folding and edit distance."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["NameIndex", "closest", "distance"]

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition costs 1); ``limit + 1`` once past ``limit``.

    >>> distance("emial", "email", 3), distance("last_nme", "last_name", 3), distance("abc", "xyz", 1)
    (1, 1, 2)
    """
    big = limit + 1
    if abs(len(a) - len(b)) > limit:
        return big
    # What both share at either end costs nothing: strip it and the table gets small.
    head = 0
    shortest = min(len(a), len(b))
    while head < shortest and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < shortest - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a, b = a[head : len(a) - tail], b[head : len(b) - tail]
    if not a or not b:
        return min(len(a) + len(b), big)
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        cur = [i] + [big] * len(b)
        lo, hi = max(1, i - limit), min(len(b), i + limit)
        best = cur[0] if lo == 1 else big
        for j in range(lo, hi + 1):
            cb = b[j - 1]
            value = prev[j - 1] + (ca != cb)
            if prev[j] + 1 < value:
                value = prev[j] + 1
            if cur[j - 1] + 1 < value:
                value = cur[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and prev2[j - 2] + 1 < value:
                value = prev2[j - 2] + 1
            cur[j] = value
            if value < best:
                best = value
        if best > limit:
            return big
        prev2, prev = prev, cur
    return min(prev[-1], big)


class NameIndex:
    """Names prepared for :meth:`closest`: folded once, asked many times."""

    def __init__(self, names: Iterable[str], labels: Mapping[str, str] | None = None) -> None:
        labels = labels or {}
        self._entries = [
            (name, name.lower(), frozenset(name.lower()), _fold(name), _fold(labels.get(name, "")))
            for name in names
        ]

    def closest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` names that ``name`` was probably meant to be, best first."""
        folded = _fold(name)
        lowered = name.lower()
        limit = max(1, min(3, len(lowered) // 3))
        letters = frozenset(lowered)
        scored: list[tuple[int, str]] = []
        for cand, cand_lower, cand_letters, key, label in self._entries:
            if folded and (key == folded or label == folded):
                scored.append((0, cand))
            # One edit changes at most two letters of the set of letters used: a cheap bound.
            elif abs(len(cand_lower) - len(lowered)) <= limit and len(letters ^ cand_letters) <= 2 * limit:
                d = distance(lowered, cand_lower, limit)
                if d <= limit:
                    scored.append((d, cand))
        scored.sort(key=lambda s: (s[0], len(s[1]), s[1]))
        if scored and scored[0][0] == 0:  # the same name but for case or punctuation: nothing fits better
            return [c for d, c in scored if d == 0][:n]
        return [c for _, c in scored[:n]]


def _fold(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def closest(
    name: str, candidates: Iterable[str], labels: Mapping[str, str] | None = None, n: int = 3
) -> list[str]:
    """Up to ``n`` candidates that ``name`` was probably meant to be, best first.

    A candidate matches when it equals ``name`` ignoring case and punctuation
    (``last name`` → ``Last_Name``), when its label does (``Lead Status``), or when it is
    a few edits away (``Emial`` → ``Email``).

    >>> closest("Emial", ["Email", "Secondary_Email", "Phone"])
    ['Email']
    >>> closest("lead status", ["Lead_Status", "Lead_Source"], {"Lead_Status": "Lead Status"})
    ['Lead_Status']
    """
    return NameIndex(candidates, labels).closest(name, n)
