"""Did-you-mean: names close to a misspelt one, by case folding and edit distance."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["closest", "distance"]

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition costs 1); ``limit + 1`` once past ``limit``.

    >>> distance("emial", "email", 3), distance("last_nme", "last_name", 3)
    (1, 1)
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def closest(
    name: str, candidates: Iterable[str], labels: dict[str, str] | None = None, n: int = 3
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
    folded = _NOT_ALNUM.sub("", name.lower())
    lowered = name.lower()
    limit = max(1, min(3, len(lowered) // 3))
    scored: list[tuple[int, str]] = []
    for cand in candidates:
        key = _NOT_ALNUM.sub("", cand.lower())
        label = _NOT_ALNUM.sub("", (labels or {}).get(cand, "").lower())
        if folded and (key == folded or label == folded):
            scored.append((0, cand))
            continue
        d = distance(lowered, cand.lower(), limit)
        if d <= limit:
            scored.append((d, cand))
    scored.sort(key=lambda s: (s[0], len(s[1]), s[1]))
    if scored and scored[0][0] == 0:  # the same name but for case or punctuation: nothing else fits better
        return [c for d, c in scored if d == 0][:n]
    return [c for _, c in scored[:n]]
