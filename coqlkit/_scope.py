"""What :mod:`coqlkit.api` works out before a query is planned: the time zone datetimes are
shown in (the org's, or one given, checked that Arrow knows it), and the modules a query
reaches (its own, its subqueries', the targets of its lookups), whose fields the metadata
check needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from coqlkit._zones import close_zone
from coqlkit.catalog import Catalog, ResolveError
from coqlkit.errors import ConfigError
from coqlkit.language.ast import Column, FieldRef, Select, Star


def _zone_of(org: Mapping[str, Any] | None) -> str | None:
    """The org's time zone, if Arrow knows it."""
    zone = (org or {}).get("time_zone")
    return zone if isinstance(zone, str) and _known_zone(zone) else None


def _unknown_zone(org: Mapping[str, Any] | None) -> str | None:
    """What to say of the org's time zone when Arrow does not know it (None: it does, or
    the org names none). Zoho's samples show an abbreviation (``"IST"``) as well as IANA
    names; an abbreviation is not guessed at, as ``IST`` is India's, Israel's and Ireland's.

    >>> _unknown_zone({"time_zone": "Europe/Paris"}) is None
    True
    >>> print(_unknown_zone({"time_zone": "PST"}))
    the org's time zone 'PST' is not one coqlkit can show datetimes in (an abbreviation may name several zones): datetimes are in UTC; give the zone with tz= (an IANA name such as 'America/Los_Angeles'), or --tz
    """
    zone = (org or {}).get("time_zone")
    if not isinstance(zone, str) or not zone or _known_zone(zone):
        return None
    return (
        f"the org's time zone {zone!r} is not one coqlkit can show datetimes in (an abbreviation "
        "may name several zones): datetimes are in UTC; give the zone with tz= (an IANA name such "
        "as 'America/Los_Angeles'), or --tz"
    )


def _known_zone(zone: str) -> bool:
    """Whether Arrow can show datetimes in ``zone`` (an IANA name, ``UTC``, ``+05:30``).

    Arrow's own parser of zone names, not a datetime conversion: converting would import
    pandas (when installed), 0.2 s of every connect."""
    parse = getattr(pa.lib, "string_to_tzinfo", None)
    try:
        if parse is not None:
            parse(zone)
        else:  # pragma: no cover - older pyarrow
            pa.scalar(0, pa.timestamp("s", zone)).as_py()
    except (pa.ArrowInvalid, ValueError, KeyError):
        return False
    return True


def _zone(zone: str) -> str:
    """``zone``, or a ConfigError now rather than a puzzling Arrow error when rows arrive."""
    if not _known_zone(zone):
        close = close_zone(zone) if zone.strip() else None  # (a typo, or a city: Kolkata)
        meant = f" (did you mean {close!r}?)" if close else ""
        raise ConfigError(
            f"unknown time zone {zone!r}: give an IANA name such as 'Europe/Paris', or 'UTC'{meant}"
        )
    return zone


def _selected_lookup_targets(select: Select, catalog: Catalog) -> set[str]:
    """The modules the lookups ``select`` selects point to (``*``: every lookup of its module)."""
    module = catalog.module(select.module)
    if module is None or module.fields is None:
        return set()
    out: set[str] = set()
    for item in select.columns:
        if isinstance(item, Star):
            fields = list(module.fields.values())
        elif isinstance(item, Column) and isinstance(item.expr, FieldRef):
            try:
                fields = [catalog.resolve(select.module, item.expr).field]
            except ResolveError:
                continue
        else:
            continue
        out |= {f.lookup_module for f in fields if f.is_lookup and not f.subkey and f.lookup_module}
    return out


def _has_fields(catalog: Catalog, module: str) -> bool:
    found = catalog.module(module)
    return found is not None and found.fields is not None


def _modules_of(select: Select) -> set[str]:
    """The FROM modules of ``select`` and of its subqueries."""
    return {node.module for node in select.walk() if isinstance(node, Select)}


def _targets(select: Select, catalog: Catalog) -> set[str]:
    """The modules the lookup paths of ``select`` (and its subqueries) step into, and those
    its selected lookups point to (their display field names the record in a bulk read, which
    gives ids only), as far as the catalog already knows them."""
    out: set[str] = set()
    for node in select.walk():
        if not isinstance(node, Select):
            continue
        out |= _selected_lookup_targets(node, catalog)
        for ref in node.walk():
            if not isinstance(ref, FieldRef) or not (ref.is_path or ref.via or ref.qualifier):
                continue
            if ref.qualifier:
                out.add(ref.qualifier)
            if ref.via:
                out.add(ref.via)
            module = catalog.module(node.module)
            for name in ref.path[:-1]:
                if module is None or module.fields is None:
                    break
                field = module.fields.get(name)
                if field is None or not field.lookup_module:
                    break
                out.add(field.lookup_module)
                module = catalog.module(field.lookup_module)
    return out
