"""The values of a shell's parameters: a ``\\set`` (or ``--param``) value as typed, read
as the Python value it binds (:func:`parse_value`), and a bound value shown back as COQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from coqlkit.errors import CoqlError
from coqlkit.language import literal, render_value
from coqlkit.language.ast import number_fits, read_number

__all__ = ["parse_value"]

#: A bare ``\\set`` / ``--param`` value that is a number: written as numbers are written
#: (``42``, ``-7``, ``0.25``, ``2.50``, ``1e6``, ``-2.5E3``), not ``02158``, ``+1``, ``.5``, ``1.``.
_NUMBER = re.compile(r"-?(?P<whole>0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # ASCII digits: \d takes ٢ and ２ too
_DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?([+-][0-9]{2}:[0-9]{2}|Z)$")


def parse_value(text: str) -> Any:
    """A ``\\set`` value as a typed parameter: ``'text'``, ``42``, ``12.5``, ``1e6``, ``true``,
    ``2024-05-01``, ``2024-05-01T09:30:00+05:30``, ``(a, b, c)`` (a list for IN); anything
    else is text.

    A bare value is a number only when it is written as a number is written canonically
    (:data:`_NUMBER`: an optional ``-``, no leading zero, no ``+``, not ``-0``): anything
    else stays text as it was typed, since a zip code, a phone number or an SKU read as a
    number would lose what makes it match (``02158`` is not ``2158``). Quotes make any
    value text.

    >>> [parse_value(v) for v in ("'O''Brien'", "42", "true", "2024-05-01", "(1, 'a')", "Contacted")]
    ["O'Brien", 42, True, datetime.date(2024, 5, 1), [1, 'a'], 'Contacted']
    >>> [parse_value(v) for v in ("02158", "+14155550100", "-0", "1.", ".5", "1e6")]
    ['02158', '+14155550100', '-0', '1.', '.5', 1000000]
    >>> [parse_value(v) for v in ("2024-02-30", "٢٠٢٤-٠١-٠١")]  # no such day; not ASCII digits
    ['2024-02-30', '٢٠٢٤-٠١-٠١']
    """
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace(text[0] * 2, text[0])
    if text.startswith("(") and text.endswith(")"):
        inner = text[1:-1]
        parts = [p for p in _split_list(inner) if p.strip()]
        return [parse_value(p) for p in parts]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    number = read_number(text) if _NUMBER.fullmatch(text) else None
    if number is not None and not (text.startswith("-") and number == 0):  # -0 is text (no sign as a number)
        if not number_fits(number):  # 1e999999: kept as read, for bind() to refuse where :name stands
            return number
        if "e" in low:  # 1e6: written out, as COQL takes numbers (1000000)
            return int(number) if number == number.to_integral_value() else Decimal(format(number, "f"))
        return number if "." in text else int(number)
    # A day that does not exist (2024-02-30, 25:00) stays text: the check then says so where
    # :name stands, as it says it of the same value written in the query.
    with contextlib.suppress(ValueError):
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        if _DATETIME.match(text):
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text


def _split_list(text: str) -> list[str]:
    """``a, 'b, c', d`` → the three items (commas inside quotes kept)."""
    items, current, quote = [], [], ""
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _as_coql(value: Any) -> str:
    """A parameter's value as the COQL literal it binds to (``'2024-05-01'``, ``'true'``)."""
    try:
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(render_value(literal(v)) for v in value) + ")"
        return render_value(literal(value))
    except CoqlError:
        return repr(value)
