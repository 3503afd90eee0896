"""The options of :mod:`coqlkit.api` beyond a query's parameters, and their checks: a
query's own (``check``, ``probe``, ``tz``), the connection's (:data:`TRANSPORT_OPTIONS`),
the planner's (checked as :class:`~coqlkit.plan.PlanOptions` fields) and a stream's
``lazy``. Each is checked by its kind before anything starts; one a call does not take is
refused with an :class:`~coqlkit.OptionError` naming those it takes, and the one meant when
it is a misspelling. Apart from the connection because it is a table of names and kinds,
not the connection's work; :func:`coqlkit.api.connect_options`, which names ``connect()``'s
own arguments, stays beside ``connect()``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from coqlkit._scope import _zone
from coqlkit.errors import ConfigError, OptionError
from coqlkit.execute.scan import Lazy
from coqlkit.language.ast import Select
from coqlkit.plan.options import PUBLIC_OPTIONS, TUNING_OPTIONS, Kind, checked_options

#: Options a query takes besides its parameters and the planner's.
_QUERY_OPTIONS: Mapping[str, Kind] = {
    "check": Kind.flag(),
    "probe": Kind.flag(),
    "tz": Kind(
        "a time zone's name, such as 'Europe/Paris', or None", lambda v: v is None or isinstance(v, str)
    ),
}
#: Options of :func:`connect` that set how the connection calls Zoho, over what its profile,
#: the environment (``COQLKIT_*``) or ``settings=`` say: the ``Settings`` fields of the same
#: names. The planner follows ``concurrency`` too. ``credit_budget=None``: the profile's.
TRANSPORT_OPTIONS: Mapping[str, Kind] = {
    "concurrency": Kind.whole(1, "calls in flight"),
    "credit_budget": Kind.whole(1, "credits", none=True),
    "timeout": Kind.number(0, "seconds", above=True),
    "retries": Kind.whole(0, "retries"),
    "busy_patience": Kind.number(0, "seconds", above=True),
}
#: Options of the connection alone: its queries share its client, its slots and its budget.
_CONNECTION_ONLY = frozenset(TRANSPORT_OPTIONS)


def _refuse(where: str, name: str, offered: Iterable[str], note: str = "") -> OptionError:
    """The error for an option ``where`` does not take: the options it does, and the one
    meant if ``name`` is a misspelling of one of them (or of a hidden one)."""
    offered = list(offered)
    close = difflib.get_close_matches(name, [*offered, *TUNING_OPTIONS], n=1)
    meant = f": did you mean {close[0]}?" if close else ""
    return OptionError(f"{where} takes no option {name!r}{note} (it takes {', '.join(offered)}){meant}")


def _query_options(
    options: Mapping[str, Any], where: str, text: str | Select = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(local, planner)``: a query's options (``check``, ``probe``, ``tz``) and its
    planner's, each checked (an :class:`OptionError` otherwise). An option named as one of
    ``text``'s ``:name`` parameters is said to be one, whose value goes in ``params``."""

    def note(name: str) -> str:
        if name in _CONNECTION_ONLY:
            return ": it is the connection's, give it to connect()"
        if isinstance(text, str) and re.search(rf":{re.escape(name)}\b", text):
            return f": :{name} is a parameter of the query, its value goes in params={{{name!r}: ...}}"
        return ""

    return _split_options(
        options, _QUERY_OPTIONS, where, lambda: [*_QUERY_OPTIONS, *sorted(PUBLIC_OPTIONS)], note
    )


def _split_options(
    options: Mapping[str, Any],
    own: Mapping[str, Kind],
    where: str,
    offered: Callable[[], list[str]],
    note: Callable[[str], str] = lambda name: "",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(mine, planner)``: ``options`` that are ``own`` (checked by their kinds) and the
    planner's (checked as :class:`PlanOptions` fields); any other is refused, naming
    ``offered()`` and, after the name, ``note(name)``."""
    mine: dict[str, Any] = {}
    planner: dict[str, Any] = {}
    for name, value in options.items():
        if name in own:
            mine[name] = _checked(where, own[name], name, value)
        elif name in PUBLIC_OPTIONS or name in TUNING_OPTIONS:
            planner[name] = value
        else:
            raise _refuse(where, name, offered(), note(name))
    try:
        return mine, checked_options(planner)
    except ValueError as exc:
        raise OptionError(f"{where}: {exc}") from None


def _checked(where: str, kind: Kind, name: str, value: Any) -> Any:
    try:
        return kind.check(name, value)
    except ValueError as exc:
        raise OptionError(f"{where}: {exc}") from None


def _lazy(value: object) -> Lazy:
    """``lazy`` as given, when it is one a scan knows: False (or None), True or ``"ramp"``."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if value == "ramp":
        return "ramp"
    raise OptionError(f"lazy is False, True or 'ramp', not {value!r}")


def _zone_option(tz: object, where: str) -> str:
    """``tz`` when it is a time zone the rows can be shown in (an IANA name, ``UTC``,
    ``+05:30``); an :class:`OptionError` otherwise."""
    said = f"{where}: " if where else ""  # (a shell's --tz: no call to name)
    if not isinstance(tz, str):
        raise OptionError(f"{said}tz is a time zone's name, such as 'Europe/Paris', not {tz!r}")
    try:
        return _zone(tz)
    except ConfigError as exc:
        raise OptionError(f"{said}{exc}") from None
