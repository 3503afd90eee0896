"""Deterministic records for the sandbox: the demo org's data, or plausible data for any catalog.

:func:`populate` fills a :class:`~coqlkit.sandbox.store.Store` with rows in storage form. The same
catalog, ``records`` and ``seed`` give byte-identical tables in any process: every column draws from
its own ``random.Random(f"{seed}:{module}:{key}")`` (string seeds are hashed with SHA-512, never with
``hash()``), the clock is fixed (:data:`NOW`) and nothing iterates over a set.

A field the generator knows by API name (``_pools.SPECS``: ``Leads.First_Name``, ``Deals.Stage``,
``Owner`` ...) gets realistic values when its data type is the expected one; any other field gets
values from its data type, label and picklist alone. Columns are made whole, from pools, and each
module goes in with one ``executemany``; what depends on later modules (a quote's line items and
totals, a deal's related products, an account's rollups) is written at the end.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import random
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from coqlkit.catalog import Catalog, Field, FieldType, Module
from coqlkit.sandbox import _pools as P
from coqlkit.sandbox.store import MODULE_SUFFIX, Store, quote_name

__all__ = ["GENERATOR_VERSION", "plan_counts", "populate", "record_id"]

#: Changes whenever the same inputs would give other rows (a cache of generated databases keys on it).
GENERATOR_VERSION = "2"

F = FieldType
_ID_BASE = 4_150_868 * 10**12  # 19 digits, the demo org's prefix first
_STRIDE = 10**8  # ids per module
_UTC = dt.timezone.utc
_START = int(dt.datetime(2023, 1, 1, tzinfo=_UTC).timestamp())
#: The generator's clock (UTC): no Created_Time or Modified_Time is later.
NOW = int(dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=_UTC).timestamp())
_DAY = 86_400
_E0 = (dt.date(1940, 1, 1) - dt.date(1970, 1, 1)).days  # the first day of the day-string table
_TODAY = NOW // _DAY

# Columns later modules copy from (besides the row attributes below and the display name).
_KEEP = frozenset({"Account_Name", "Contact_Name", "Deal_Name", "Unit_Price"})
_KEEP_ATTRS = ("_loc", "_created", "_modified", "_company")


def record_id(module_index: int, n: int) -> int:
    """The id of row ``n`` of the module at ``module_index``: 19 digits, unique across modules."""
    if not (0 <= module_index < 9_999 and 0 <= n < _STRIDE - 1):
        raise ValueError(f"no record id for module {module_index}, row {n}")
    return _ID_BASE + (module_index + 1) * _STRIDE + n + 1


def plan_counts(catalog: Catalog, records: int, *, demo: bool) -> dict[str, int]:
    """Rows per module with fields: ``records`` Leads and the rest in proportion (``demo``), else
    ``records`` in every module; Users get 10 + records/2500 either way."""
    if records < 0:
        raise ValueError("records must be >= 0")
    out: dict[str, int] = {}
    for module in catalog:
        name = module.api_name
        if module.fields is None:
            continue
        if name == "Users":
            out[name] = 10 + records // 2500
        elif not demo or name == "Leads":
            out[name] = records
        else:
            ratio, least = P.RATIOS.get(name, (0.2, 5))
            out[name] = max(least, round(records * ratio))
    if demo and "Quotes" in out:
        out["Quoted_Items"] = 3 * out["Quotes"]
    if demo and "Deals" in out:
        out["Deals_X_Products"] = out["Deals"]
    return out


def populate(store: Store, *, records: int = 25_000, seed: int = 42) -> dict[str, int]:
    """Create the schema, fill every module with fields, index lookups; returns rows per module."""
    counts = plan_counts(store.catalog, records, demo=_is_demo(store.catalog))
    store.create_schema()
    gen = _Gen(store, counts, seed)
    known = [m for m in P.ORDER if m in counts]
    for name in known + [m for m in counts if m not in known]:
        gen.fill(name)
    gen.finish()
    store.index_lookups()
    _rollups(store)
    store.set_info("seed", str(seed))
    store.set_info("records", str(records))
    if counts.get("Users"):
        store.set_info("current_user", str(gen.ids("Users")[0]))
    return counts


def _is_demo(catalog: Catalog) -> bool:
    """The demo org (or a snapshot of it): same modules, same fields."""
    demo = Catalog.demo()
    fields = [list(m.fields or ()) for m in demo]
    return catalog is demo or (
        catalog.module_names == demo.module_names and [list(m.fields or ()) for m in catalog] == fields
    )


# ------------------------------------------------------------------------------------------- helpers


def _zip(*cols: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    return zip(*cols, strict=True)


@functools.cache
def _days() -> tuple[list[str], list[str]]:
    """Every date from 1940 on, and every time of day, as text (formatting by lookup is fast)."""
    first = dt.date(1940, 1, 1)
    return [(first + dt.timedelta(days=d)).isoformat() for d in range(365 * 95)], [
        f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(_DAY)
    ]


def _dts(times: Iterable[int | None]) -> list[str | None]:
    """Epoch seconds as stored datetimes (UTC ``YYYY-MM-DDTHH:MM:SS``)."""
    days, clock = _days()
    return [None if t is None else days[t // _DAY - _E0] + "T" + clock[t % _DAY] for t in times]


def _ds(daynums: Iterable[int | None]) -> list[str | None]:
    """Days since the epoch as stored dates."""
    days = _days()[0]
    return [None if d is None else days[d - _E0] for d in daynums]


def _daynum(text: str) -> int:
    return (dt.date.fromisoformat(text[:10]) - dt.date(1970, 1, 1)).days


def _mask(values: list[Any], rng: random.Random, rate: float) -> list[Any]:
    if rate <= 0:
        return values
    r = rng.random
    return [None if r() < rate else v for v in values]


def _lognormal(
    rng: random.Random, k: int, mu: float, sigma: float, step: float, places: int = 2
) -> list[float]:
    g = rng.gauss
    return [round(max(step, round(math.exp(g(mu, sigma)) / step) * step), places) for _ in range(k)]


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# ------------------------------------------------------------------------------------------ the run


class _Gen:
    """One :func:`populate` run: row counts, module indexes, and columns kept for later modules."""

    def __init__(self, store: Store, counts: dict[str, int], seed: int) -> None:
        self.store, self.counts, self.seed, self.catalog = store, counts, seed, store.catalog
        self.index = {m.api_name: i for i, m in enumerate(store.modules())}
        self.memo: dict[str, dict[str, list[Any]]] = {}
        self._ids: dict[str, list[int]] = {}

    def ids(self, module: str) -> list[int]:
        if module not in self._ids:
            mi = self.index[module]
            self._ids[module] = [record_id(mi, i) for i in range(self.counts.get(module, 0))]
        return self._ids[module]

    def rows(self, module: str) -> int:
        return self.counts.get(module, 0) if module in self.index else 0

    def kept(self, module: str, key: str) -> list[Any] | None:
        return self.memo.get(module, {}).get(key)

    def via(self, module: str, key: str, refs: Sequence[int | None]) -> list[Any]:
        """For each id of ``module`` in ``refs``, the kept column ``key`` of that row (None when absent)."""
        col = self.kept(module, key)
        if col is None:
            return [None] * len(refs)
        base = _ID_BASE + (self.index[module] + 1) * _STRIDE + 1
        return [None if r is None else col[r - base] for r in refs]

    def fill(self, name: str) -> None:
        module = self.catalog.module(name)
        assert module is not None and module.fields is not None
        ctx = _Ctx(self, module, self.counts[name])
        columns = [c.name for c in self.store.columns(name)]
        for col in columns:
            ctx.col(col.removesuffix(MODULE_SUFFIX))
        if module.generated_type == "linking":
            _unique_pairs(ctx)
        self.store.insert(name, columns, _zip(*(ctx.cols[c] for c in columns)))
        whole = module.generated_type in ("subform", "linking")
        keep = {k: v for k, v in ctx.cols.items() if whole or k in _KEEP}
        keep.update({k: v for k, v in ctx.attrs.items() if k in _KEEP_ATTRS})
        display = getattr(module, "display_field", None)  # the name a lookup to this module shows
        names = ([display.api_name] if display is not None else []) + list(P.DISPLAY)
        shown = [ctx.cols[d] for d in names if ctx.has(d, F.TEXT, F.AUTONUMBER)]
        keep["_display"] = shown[0] if shown else [str(i) for i in ctx.ids]
        self.memo[name] = keep

    def finish(self) -> None:
        """Subform and multi-select lookup JSON, and a parent's totals from its line items."""
        for module in self.store.modules():
            for field in (module.fields or {}).values():
                if field.type is F.SUBFORM and field.api_name in self.memo:
                    self._subform(module, field)
                elif field.type is F.MULTISELECTLOOKUP and field.linking_module in self.memo:
                    self._linked(module, field, field.linking_module)

    def _update(self, module: str, names: list[str], rows: Iterable[Sequence[Any]]) -> None:
        sets = ", ".join(f"{quote_name(n)} = ?" for n in names)
        with self.store.conn as conn:
            conn.executemany(f"UPDATE {quote_name(module)} SET {sets} WHERE id = ?", rows)

    def _subform(self, parent: Module, field: Field) -> None:
        sub = self.catalog.module(field.api_name)
        link = (sub.fields or {}).get("Parent_Id") if sub is not None else None
        if sub is None or sub.fields is None or link is None or link.lookup_module != parent.api_name:
            return
        cols, pfields = self.memo[sub.api_name], parent.fields or {}
        skip = ("Parent_Id", "Created_By", "Modified_By", "Created_Time", "Modified_Time")
        shown = [f for f in sub.fields.values() if f.api_name not in skip]
        items: dict[int, list[dict[str, Any]]] = {}
        nets: dict[int, float] = {}
        for i, pid in enumerate(cols["Parent_Id"]):
            got = (f.api_name for f in shown if cols[f.api_name][i] is not None)
            items.setdefault(pid, []).append({n: self._json_value(sub.fields[n], cols[n][i]) for n in got})
            nets[pid] = nets.get(pid, 0.0) + (cols["Net_Total"][i] or 0.0 if "Net_Total" in cols else 0.0)
        totals = ["Sub_Total", "Discount", "Tax", "Adjustment", "Grand_Total"]
        totals = totals if "Net_Total" in cols and all(t in pfields for t in totals) else []
        rng, rows = random.Random(f"{self.seed}:{parent.api_name}:totals"), []
        for pid in self.ids(parent.api_name):
            row: list[Any] = [_json(items[pid]) if pid in items else None]
            if totals:
                sub_total = round(nets.get(pid, 0.0), 2)
                disc = round(sub_total * rng.choice((0, 0, 0, 0.05, 0.1)), 2)
                tax = round((sub_total - disc) * rng.choice((0, 0, 0.05)), 2)
                adj = rng.choice((0.0, 0.0, 0.0, -10.0, 25.0))
                row += [sub_total, disc, tax, adj, round(sub_total - disc + tax + adj, 2)]
            rows.append((*row, pid))
        self._update(parent.api_name, [field.api_name, *totals], rows)

    def _linked(self, module: Module, field: Field, linking: str) -> None:
        lookups = [f for f in (getattr(self.catalog.module(linking), "fields", None) or {}).values()
                   if f.type is F.LOOKUP]  # fmt: skip
        own = next((f for f in lookups if f.lookup_module == module.api_name), None)
        other = next((f for f in lookups if f is not own), None)
        if own is None or other is None:
            return
        cols = self.memo[linking]
        per: dict[int, list[dict[str, Any]]] = {}
        for rid, a, b in _zip(cols["id"], cols[own.api_name], cols[other.api_name]):
            if a is not None and b is not None:
                per.setdefault(a, []).append({other.api_name: self._json_value(other, b), "id": str(rid)})
        self._update(module.api_name, [field.api_name], [(_json(v), k) for k, v in per.items()])

    def _json_value(self, field: Field, value: Any) -> Any:
        """A stored value as it reads inside Zoho's JSON of a subform or multi-select lookup."""
        if field.is_lookup and field.lookup_module in self.memo:
            return {"name": self.via(field.lookup_module, "_display", [value])[0], "id": str(value)}
        if field.api_name == "id" or field.value_type is F.BIGINT:
            return str(value)
        return bool(value) if field.value_type is F.BOOLEAN else value


def _rollups(store: Store) -> None:
    """The demo org's rollup summaries on Accounts, from Deals (in SQL, once lookups are indexed)."""
    acc, deals = store.catalog.module("Accounts"), store.catalog.module("Deals")
    afields, dfields = getattr(acc, "fields", None) or {}, getattr(deals, "fields", None) or {}
    if not all(f in dfields for f in ("Account_Name", "Amount", "Closing_Date", "Stage")):
        return
    total, won, sets = afields.get("Total_Deal_Amount"), afields.get("Last_Won_Deal_Date"), []
    where = 'FROM "Deals" d WHERE d."Account_Name" = "Accounts".id'
    if total is not None and total.type is F.ROLLUP_SUMMARY and total.value_type is F.CURRENCY:
        sets.append(f'"Total_Deal_Amount" = (SELECT ROUND(COALESCE(SUM(d."Amount"), 0), 2) {where})')
    if won is not None and won.type is F.ROLLUP_SUMMARY and won.value_type is F.DATE:
        sets.append(
            f'"Last_Won_Deal_Date" = (SELECT MAX(d."Closing_Date") {where} AND d."Stage" = \'Closed Won\')'
        )
    if sets:
        with store.conn as conn:
            conn.execute(f'UPDATE "Accounts" SET {", ".join(sets)}')


def _unique_pairs(ctx: _Ctx) -> None:
    """A linking module never holds the same pair (first lookup, second lookup) twice."""
    lookups = [f for f in ctx.fields.values() if f.type is F.LOOKUP and ctx.gen.rows(f.lookup_module or "")]
    if len(lookups) < 2:
        return
    a, b = ctx.cols[lookups[0].api_name], ctx.cols[lookups[1].api_name]
    pool = ctx.gen.ids(lookups[1].lookup_module or "")
    where = {rid: i for i, rid in enumerate(pool)}
    seen: set[tuple[int, int]] = set()
    for i, (x, y) in enumerate(_zip(a, b)):
        if x is None or y is None:
            continue
        j = where[y]
        for _ in range(len(pool)):
            if (x, pool[j]) not in seen:
                break
            j = (j + 1) % len(pool)
        b[i] = pool[j]
        seen.add((x, pool[j]))


class _Ctx:
    """One module being generated: its columns (each made on first use) and shared row attributes."""

    def __init__(self, gen: _Gen, module: Module, n: int) -> None:
        self.gen, self.module, self.name, self.n = gen, module, module.api_name, n
        self.fields = module.fields or {}
        self.ids = gen.ids(self.name)
        self.cols: dict[str, list[Any]] = {"id": self.ids}
        self.attrs: dict[str, Any] = {}
        self._busy: set[str] = set()

    def rng(self, key: str) -> random.Random:
        return random.Random(f"{self.gen.seed}:{self.name}:{key}")

    def has(self, name: str, *kinds: FieldType) -> bool:
        f = self.fields.get(name)
        return f is not None and (not kinds or f.value_type in kinds)

    def col(self, name: str) -> list[Any]:
        """The values of field ``name`` (all None when the module has no such field)."""
        if name in self.cols:
            return self.cols[name]
        field = self.fields.get(name)
        if field is None or name in self._busy:
            return [None] * self.n
        self._busy.add(name)
        values = _known(self, field)
        self.cols[name] = _generic(self, field) if values is None else values
        return self.cols[name]

    def attr(self, key: str) -> Any:
        if key not in self.attrs:
            self.attrs[key] = _ATTRS[key](self)
        return self.attrs[key]

    def uniform(self, key: str) -> list[float]:
        r = self.rng(key).random
        return [r() for _ in range(self.n)]

    def ints(self, key: str, lo: int, hi: int) -> list[int]:
        """Integers ``lo``..``hi`` (both included)."""
        span = hi - lo + 1
        return [lo + int(span * r) for r in self.uniform(key)]

    def uniform_bits(self, key: str) -> list[int]:
        bits = self.rng(key).getrandbits
        return [bits(128) for _ in range(self.n)]

    def choices(self, key: str, pool: Sequence[Any], weights: Sequence[float] | None = None) -> list[Any]:
        return self.rng(key).choices(pool, weights, k=self.n)


# ----------------------------------------------------------------------------------- row attributes


def _times(ctx: _Ctx, key: str) -> list[int]:
    """``_created``: increasing with the id (more records lately); ``_modified``: later, mostly soon
    after. A subform row has its parent's."""
    link = ctx.fields.get("Parent_Id")
    if ctx.module.generated_type == "subform" and link is not None and link.lookup_module:
        parents = ctx.gen.via(link.lookup_module, key, ctx.col("Parent_Id"))
        if None not in parents:
            return parents
    r, span = ctx.rng(key).random, NOW - _START
    if key == "_modified":
        return [c + int((NOW - c) * r() ** 4) for c in ctx.attr("_created")]
    if ctx.name == "Users":
        return sorted(_START + (0 if i == 0 else int(span * 0.6 * r())) for i in range(ctx.n))
    return sorted(_START + int(span * math.sqrt(r())) for _ in range(ctx.n))


def _owners(ctx: _Ctx) -> list[int | None]:
    if not ctx.gen.rows("Users"):
        return [None] * ctx.n
    users, rng = ctx.gen.ids("Users"), random.Random(f"{ctx.gen.seed}:Users:workload")
    weights = [0.3] + [rng.uniform(0.5, 3.0) for _ in users[1:]]  # the admin owns few records
    return ctx.choices("owner", users, weights)


def _persons(ctx: _Ctx) -> tuple[list[bool], list[str], list[str]]:
    female = [r < 0.5 for r in ctx.uniform("gender")]
    men, women = ctx.choices("male", P.MALE_FIRST), ctx.choices("female", P.FEMALE_FIRST)
    first = [w if f else m for f, m, w in _zip(female, men, women)]
    last = ctx.choices("last", P.LAST)
    if ctx.name == "Users" and ctx.n:
        female[0], first[0], last[0] = True, "Asha", "Raman"  # the demo org's admin
    return female, first, last


def _account_refs(ctx: _Ctx) -> list[Any]:
    for name in ("Account_Name", "Related_To"):
        f = ctx.fields.get(name)
        if ctx.name != "Accounts" and f is not None and f.type is F.LOOKUP and f.lookup_module == "Accounts":
            return ctx.col(name)
    return [None] * ctx.n


def _locs(ctx: _Ctx) -> list[int]:
    """A place per row (an index of LOCATIONS): the account's, when the row has one."""
    own = ctx.choices("loc", range(len(P.LOCATIONS)), P.LOCATION_WEIGHTS)
    theirs = ctx.gen.via("Accounts", "_loc", _account_refs(ctx))
    return [o if t is None else t for o, t in _zip(own, theirs)]


def _company(ctx: _Ctx) -> list[str]:
    """A company per row: unique for accounts and vendors, else the account's or a pool's."""
    rng = ctx.rng("company")
    if ctx.name in ("Accounts", "Vendors"):
        return P.companies(rng, ctx.n)
    own = rng.choices(P.companies(rng, max(50, ctx.n // 2)), k=ctx.n)
    theirs = ctx.gen.via("Accounts", "_company", _account_refs(ctx))
    return [o if t is None else t for o, t in _zip(own, theirs)]


def _visitor(ctx: _Ctx) -> list[bool]:
    return [r < 0.25 for r in ctx.uniform("visitor")]


def _event_times(ctx: _Ctx) -> tuple[list[int], list[int]]:
    """Meeting starts (office hours in the Americas; all-day ones at 08:00 UTC) and later ends."""
    rng, starts, ends = ctx.rng("when"), [], []
    for c, all_day in _zip(ctx.attr("_created"), ctx.col("All_day")):
        day = (c // _DAY + rng.randint(0, 21)) * _DAY
        start = day + 8 * 3600 if all_day else day + rng.randint(30, 47) * 1800
        starts.append(start)
        ends.append(start + (_DAY - 60 if all_day else rng.choice((30, 45, 60, 60, 90, 120)) * 60))
    return starts, ends


def _check_ins(ctx: _Ctx) -> list[list[Any]]:
    starts, out = ctx.attr("_when")[0], [[], [], []]  # type: list[int], list[list[Any]]
    for s, r, loc in _zip(starts, ctx.uniform("checkin"), ctx.attr("_loc")):
        city = P.LOCATIONS[loc][0]
        hit = s < NOW and r < 0.1
        for col, value in _zip(out, (s + 300, city, f"{100 + s % 900} {P.STREET_NAMES[s % 40]} St, {city}")):
            col.append(value if hit else None)
    return [_dts(out[0]), out[1], out[2]]


_ATTRS: dict[str, Callable[[_Ctx], Any]] = {
    "_created": lambda ctx: _times(ctx, "_created"), "_modified": lambda ctx: _times(ctx, "_modified"),
    "_owner": _owners, "_person": _persons, "_loc": _locs, "_company": _company,
    "_domain": lambda ctx: [P.domain(c) for c in ctx.attr("_company")],
    "_visitor": _visitor, "_when": _event_times, "_checkin": _check_ins, "_products": lambda ctx: P.products(ctx.rng("product"), ctx.n),
    "_locale": lambda ctx: ctx.choices("locale", P.LOCALES, (6, 2, 1, 1, 1)),
}  # fmt: skip


# Addresses: a group's fields come from one place per row; shipping is mostly the billing address.


def _address(ctx: _Ctx, group: str) -> list[list[Any]]:
    rng = ctx.rng("address:" + group)
    r = rng.random

    def rr(a: int, b: int | None = None) -> int:
        return int(a * r()) if b is None else a + int((b - a) * r())

    nulls = {"Other": 0.85, "user": 0.4}.get(group, 0.2)
    locs = [
        loc if group not in ("Other", "Shipping") or r() < 0.75 else rr(len(P.LOCATIONS))
        for loc in ctx.attr("_loc")
    ]
    out: list[list[Any]] = [[], [], [], [], []]
    for loc in locs:
        if r() < nulls:
            for col in out:
                col.append(None)
            continue
        city, state, zp, country, _, _ = P.LOCATIONS[loc]
        unit = P.STREET_UNITS[rr(len(P.STREET_UNITS))]
        street = f"{rr(1, 9999)} {P.STREET_NAMES[rr(len(P.STREET_NAMES))]} {P.STREET_KINDS[rr(len(P.STREET_KINDS))]}"
        zip_code = zp + "".join(str(rr(10)) for _ in range(max(0, 5 - len(zp))))
        for col, value in _zip(
            out, (f"{street}, {unit}" if unit else street, city, state, zip_code, country)
        ):
            col.append(value)
        if r() < 0.05:
            out[3][-1] = None
    if group == "Shipping" and ctx.has("Billing_Street"):
        same = [r() < 0.75 for _ in locs]
        billing = [ctx.col(f) for f in P.ADDRESS["Billing"]]
        out = [[b if s else o for b, o, s in _zip(bc, oc, same)] for bc, oc in _zip(billing, out)]
    return out


for _group in P.ADDRESS:
    _ATTRS["addr:" + _group] = functools.partial(_address, group=_group)
_ADDRESS_PART = {name: (group, i) for group, names in P.ADDRESS.items() for i, name in enumerate(names)}


# ------------------------------------------------------------------------------ realistic values

Make = Callable[[_Ctx, Field, Any], list[Any]]
Kinds = frozenset[FieldType]
TEXT, TEXTS, PICK = frozenset({F.TEXT}), frozenset({F.TEXT, F.TEXTAREA}), frozenset({F.PICKLIST})
REALS = frozenset({F.DOUBLE, F.DECIMAL, F.CURRENCY, F.PERCENT})
INTS = frozenset({F.INTEGER, F.BIGINT}) | REALS
DATE, DATETIME, BOOL = frozenset({F.DATE}), frozenset({F.DATETIME}), frozenset({F.BOOLEAN})
LOOKUPS, LOOKUP = frozenset({F.LOOKUP, F.OWNERLOOKUP, F.USERLOOKUP}), frozenset({F.LOOKUP})
EMAILS, PHONES = frozenset({F.EMAIL, F.TEXT}), frozenset({F.PHONE, F.TEXT})
_POOL_KINDS: dict[type, Kinds] = {str: TEXTS | PICK, int: INTS, float: REALS}


def _known(ctx: _Ctx, field: Field) -> list[Any] | None:
    """Realistic values for a field ``_pools.SPECS`` knows (None: the generic path's turn)."""
    spec = P.SPECS.get(f"{ctx.name}.{field.api_name}") or P.SPECS.get(field.api_name)
    if spec is None:
        return None
    nulls, name, arg, when = (*spec, None, None)[:4]
    kinds, make = _HOW[name]
    kind = field.value_type
    if kind not in (_POOL_KINDS[type(arg[0])] if name == "pick" else kinds):
        return None
    values = make(ctx, field, arg)
    if when is not None:
        values = [v if w in when[1] else None for v, w in _zip(values, ctx.col(when[0]))]
    if kind is F.PICKLIST:
        values = _pick(ctx, field, values)
    elif kind in REALS:
        values = [None if v is None else float(v) for v in values]
    return _mask(values, ctx.rng(field.api_name + ":null"), nulls)


def _pick(ctx: _Ctx, field: Field, wanted: list[Any]) -> list[Any]:
    """``wanted`` with any value outside the field's picklist replaced by a generic pick."""
    allowed = set(field.picklist_values) - {"-None-"}
    if all(v is None or v in allowed for v in wanted):
        return wanted
    return [v if v is None or v in allowed else g for v, g in _zip(wanted, _picklist(ctx, field, 0.0))]


def _count(ctx: _Ctx, field: Field, arg: tuple[float, float, int]) -> list[Any]:
    g, (mu, sigma, top) = ctx.rng(field.api_name).gauss, arg
    return [min(top, max(1, int(math.exp(g(mu, sigma))))) for _ in range(ctx.n)]


def _user(ctx: _Ctx, field: Field, same: float) -> list[Any]:
    """Created_By / Modified_By: the owner ``same`` of the time, else any user (for users: the admin)."""
    users = ctx.gen.ids("Users") if ctx.gen.rows("Users") else [None]
    if ctx.name == "Users":
        return [users[0]] * ctx.n
    owners = ctx.col("Owner") if ctx.has("Owner") else ctx.attr("_owner")
    return [
        o if r < same else u
        for o, r, u in _zip(owners, ctx.uniform(field.api_name), ctx.choices("by", users))
    ]


def _files(ctx: _Ctx, field: Field, names: Sequence[str]) -> list[Any]:
    base = _ID_BASE + 700_001 + 100 * (zlib.crc32(field.api_name.encode()) % 1000)
    pool = [_json([{"File_Name__s": x, "Size__s": f"{40 + 13 * i} KB", "File_Id__s": f"{zlib.crc32(x.encode()):08x}",
                    "id": str(base + i)}]) for i, x in enumerate(names)]  # fmt: skip
    return ctx.choices(field.api_name, pool)


def _se_module(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    """The module of the row's multi-module lookup (``What_Id``, ``Parent_Id``)."""
    multi = next((f for f in ctx.fields.values() if f.type is F.MULTI_MODULE_LOOKUP), None)
    if multi is None:
        return [None] * ctx.n
    ctx.col(multi.api_name)
    return ctx.cols[multi.api_name + MODULE_SUFFIX]


def _salutation(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    """Mr., Ms. or Mrs. as the first name goes; now and then Dr. or Prof."""
    out = []
    for female, x in _zip(ctx.attr("_person")[0], ctx.uniform(field.api_name)):
        title = ("Ms." if x < 0.6 else "Mrs.") if female else "Mr."
        out.append("Dr." if x < 0.05 else "Prof." if x < 0.07 else title)
    return out


def _emails(ctx: _Ctx, key: str, personal: float) -> list[Any]:
    """first.last@ the company's domain, else (``personal`` of the time) at a mail provider; users'
    are unique, at the org's domain."""
    _, first, last = ctx.attr("_person")
    domains = ctx.attr("_domain") if ctx.name != "Users" else ["zylker-demo.com"] * ctx.n
    homes, out, seen = ctx.choices(key, P.PERSONAL_DOMAINS), [], set()
    for i, (a, b, d, h, r) in enumerate(_zip(first, last, domains, homes, ctx.uniform(key))):
        local = f"{a}.{b}".lower().replace("'", "").replace(" ", "")
        while ctx.name == "Users" and local in seen:
            local += "1"
        seen.add(local)
        out.append(f"{local}{i % 97}@{h}" if r < personal else f"{local}@{d}")
    return out


def _phones(ctx: _Ctx, field: Field, arg: None = None) -> list[Any]:
    """Fictional (555) numbers in the format of the row's country."""
    rnd, out = ctx.rng(field.api_name).random, []
    for loc in ctx.attr("_loc"):
        cc, areas = P.LOCATIONS[loc][4:]
        area, num = areas[int(len(areas) * rnd())], int(10_000 * rnd())
        out.append(
            f"({area}) 555-{num:04d}" if cc == "+1" else f"{cc} {area} {1000 + int(9000 * rnd())} {num:04d}"
        )
    return out


def _dob(ctx: _Ctx, field: Field, arg: None = None) -> list[Any]:
    r, lo = ctx.rng(field.api_name).randrange, (dt.date(1955, 1, 1) - dt.date(1970, 1, 1)).days
    return _ds(lo + r(47 * 365) for _ in range(ctx.n))


def _after(ctx: _Ctx, field: Field, arg: tuple[str, int, int]) -> list[Any]:
    """A date ``lo``..``hi`` days after a row attribute (``_created``) or a date column."""
    base, lo, hi = arg
    r = ctx.rng(field.api_name).randint
    if base.startswith("_"):
        return _ds(t // _DAY + r(lo, hi) for t in ctx.attr(base))
    return _ds(None if d is None else _daynum(d) + r(lo, hi) for d in ctx.col(base))


def _visits(ctx: _Ctx, field: Field, arg: tuple[Any, Any]) -> list[Any]:
    rng = ctx.rng(field.api_name)
    draw: Callable[[Any, Any], Any] = rng.randint if isinstance(arg[0], int) else rng.uniform
    return [round(draw(*arg), 2) if v else None for v in ctx.attr("_visitor")]


def _title(ctx: _Ctx, field: Field, arg: tuple[str, Sequence[str]]) -> list[Any]:
    """``{c}`` the row's company, ``{p}`` a pick from the pool, ``{y}`` the year created, ``{r}`` a region."""
    template, pool = arg
    picks = ctx.choices(field.api_name, pool or ("",))
    regions = ctx.choices(field.api_name + ":r", P.TERRITORIES)
    companies = ctx.attr("_company") if "{c}" in template else picks
    years = (dt.datetime.fromtimestamp(c, _UTC).year for c in ctx.attr("_created"))
    return [template.format(c=c, p=p, y=y, r=r) for c, p, y, r in _zip(companies, picks, years, regions)]


def _linked_title(ctx: _Ctx, field: Field, arg: tuple[str, str, str]) -> list[Any]:
    """The linked record's display name, else ``fallback`` (``{c}``: the row's company)."""
    link, module, fallback = arg
    names = ctx.gen.via(module, "_display", ctx.col(link)) if module in ctx.gen.memo else [None] * ctx.n
    return [n or fallback.format(c=c) for n, c in _zip(names, ctx.attr("_company"))]


def _stage(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    """Old deals are mostly closed (45% of them won), recent ones mostly open."""
    opened, out = ctx.choices(field.api_name, P.OPEN_STAGES, (5, 4, 3, 3, 2, 2)), []
    for c, o, r, x in _zip(ctx.attr("_created"), opened, ctx.uniform("closed"), ctx.uniform("won")):
        closed = "Closed Won" if x < 0.45 else "Closed Lost" if x < 0.85 else "Closed-Lost to Competition"
        out.append(closed if r < min(0.85, (NOW - c) / _DAY / 365) else o)
    return out


def _closing(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    """2 weeks to 4 months after creation; a closed deal's closing date is not in the future."""
    r = ctx.rng(field.api_name).randint
    days = (c // _DAY + r(14, 120) for c in ctx.attr("_created"))
    return _ds(min(_TODAY, d) if str(s).startswith("Closed") else d for d, s in _zip(days, ctx.col("Stage")))


def _probability(stage: Any) -> float | None:
    """Zoho's default probability of a stage; for other stages: won 100, lost 0, else 50."""
    words = str(stage).lower()
    known = P.PROBABILITY.get(stage, 100 if "won" in words else 0 if "lost" in words else 50)
    return None if stage is None else known


def _sum(ctx: _Ctx, field: Field, arg: Sequence[str]) -> list[Any]:
    """The first column plus (``+name``) or minus (``-name``) the others (a null there counts as 0)."""
    out = list(ctx.col(arg[0]))
    for term in arg[1:]:
        sign = -1 if term[0] == "-" else 1
        out = [None if x is None else x + sign * (y or 0) for x, y in _zip(out, ctx.col(term[1:]))]
    return [None if x is None else round(x, 2) for x in out]


def _item_parent(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    """Line items: one for every parent, the rest to random parents; sorted by parent."""
    parents = ctx.gen.ids(field.lookup_module or "") if ctx.gen.rows(field.lookup_module or "") else []
    first = list(range(min(ctx.n, len(parents))))
    rest = ctx.choices(field.api_name, range(len(parents)))[len(first) :] if parents else []
    return [parents[i] for i in sorted(first + rest)] + [None] * (ctx.n - len(first) - len(rest))


def _sequence(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    out, last, k = [], None, 0
    for p in ctx.col("Parent_Id"):
        k, last = k + 1 if p == last else 1, p
        out.append(k)
    return out


def _by_age(ctx: _Ctx, field: Field, arg: tuple[dict[str, float], dict[str, float], int]) -> list[Any]:
    """A status weighted by ``young`` for records under ``days`` old, else by ``old``."""
    young, old, days = arg
    a = ctx.choices(field.api_name, list(young), list(young.values()))
    b = ctx.choices(field.api_name + ":old", list(old), list(old.values()))
    return [y if (NOW - c) / _DAY < days else o for c, y, o in _zip(ctx.attr("_created"), a, b)]


def _campaign_status(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    out = []
    for s, e, r in _zip(ctx.col("Start_Date"), ctx.col("End_Date"), ctx.uniform(field.api_name)):
        if s is None or _daynum(s) > _TODAY:
            out.append("Planning")
        else:
            out.append(
                "Active" if e is None or _daynum(e) >= _TODAY else "Complete" if r < 0.85 else "Inactive"
            )
    return out


def _call_seconds(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    """Missed calls last 0 s, cancelled and overdue ones have no duration, the rest ~3 minutes."""
    g, out = ctx.rng(field.api_name).gauss, []
    for t, s in _zip(ctx.col("Call_Type"), ctx.col("Outgoing_Call_Status")):
        secs = min(3600, max(15, int(math.exp(g(5.3, 0.9)))))
        out.append(0 if t == "Missed" else None if s in ("Cancelled", "Overdue") else secs)
    return out


def _lookup(ctx: _Ctx, field: Field, arg: None = None) -> list[Any]:
    """An existing id of the target (older records have more children; a self-lookup: an earlier row)."""
    target = field.lookup_module or ("Users" if field.is_user_lookup else "")
    if not ctx.gen.rows(target):
        return [None] * ctx.n
    ids, r = ctx.gen.ids(target), ctx.rng(field.api_name).random
    if target == ctx.name:
        return [ids[int(i * r())] if i else None for i in range(ctx.n)]
    return [ids[int(len(ids) * r() ** 1.3)] for _ in range(ctx.n)]


def _copy(ctx: _Ctx, field: Field, arg: tuple[Any, ...]) -> list[Any]:
    """From the first linked record that has one (``(link, its module, kept column)`` in turn), else
    an existing id of the target, or null ``arg[0]`` of the time."""
    out: list[Any] = [None] * ctx.n
    for link, module, key in arg[1:]:
        got = ctx.gen.via(module, key, ctx.col(link)) if ctx.has(link) else out
        out = [o if o is not None else g for o, g in _zip(out, got)]
    fill = _mask(_lookup(ctx, field), ctx.rng(field.api_name + ":fill"), arg[0])
    return [o if o is not None else x for o, x in _zip(out, fill)]


def _addr(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    group, part = _ADDRESS_PART[field.api_name]
    return list(ctx.attr("addr:" + group)[part])


def _gauss_price(ctx: _Ctx, field: Field, arg: None) -> list[Any]:
    g = ctx.rng(field.api_name).gauss
    return [
        round(max(10, round(math.exp(g(5.5 if p[1] == "Hardware" else 4.8, 0.9)))) - 0.01, 2)
        for p in ctx.attr("_products")
    ]


_UNKNOWN, _ROLLUPS = frozenset({F.UNKNOWN}), frozenset({F.CURRENCY, F.DATE})
_TAG = [{"name": t, "id": str(_ID_BASE + 500_001 + i)} for i, t in enumerate(P.TAGS)]
_TAGS = [_json([t]) for t in _TAG] + [
    _json([t, _TAG[(i + 1 + i % 3) % len(_TAG)]]) for i, t in enumerate(_TAG)
]
_TERRITORIES = [_json([{"name": t, "id": str(_ID_BASE + 600_001 + i)}]) for i, t in enumerate(P.TERRITORIES)]
_STANDARD_LAYOUT = _json({"name": "Standard", "id": str(_ID_BASE + 91_055)})
# How: (the value types it makes, the generator (ctx, field, argument from the spec) -> column).
_HOW: dict[str, tuple[Kinds, Make]] = {
    "pick": (TEXTS, lambda ctx, f, pool: ctx.choices(f.api_name, pool)),
    "bool": (BOOL, lambda ctx, f, share: [int(r < share) for r in ctx.uniform(f.api_name)]),
    "int": (INTS, lambda ctx, f, a: ctx.ints(f.api_name, *a)),
    "format": (TEXT, lambda ctx, f, a: [a[0].format(v) for v in _HOW["int"][1](ctx, f, a[1:])]),
    "count": (INTS, _count),
    "percent": (REALS, lambda ctx, f, a: [round(100 * r, 2) for r in ctx.uniform(f.api_name)]),
    "lognormal": (REALS, lambda ctx, f, a: _lognormal(ctx.rng(f.api_name), ctx.n, a[0], a[1], a[2], f.decimal_place or 2)),
    "share": (REALS, lambda ctx, f, a: [None if b is None else round(b * r, 2) for b, r in _zip(ctx.col(a[0]), ctx.choices(f.api_name, a[1]))]),
    "product": (REALS, lambda ctx, f, a: [None if x is None or y is None else round(x * y / a[2], 2) for x, y in _zip(ctx.col(a[0]), ctx.col(a[1]))]),
    "sum": (INTS, _sum),
    "text": (TEXTS, lambda ctx, f, a: ctx.choices(f.api_name, P.sentences(ctx.rng("text"), *a))),
    "owner": (LOOKUPS, lambda ctx, f, a: ctx.attr("_owner")),
    "user": (LOOKUPS, _user),
    "lookup": (LOOKUPS, _lookup),
    "copy": (LOOKUP, _copy),
    "time": (DATETIME, lambda ctx, f, key: _dts(ctx.attr(key))),
    "after": (DATE, _after),
    "address": (TEXT, _addr),
    "hex": (frozenset({F.PROFILEIMAGE}), lambda ctx, f, a: [f"{b:032x}" for b in ctx.uniform_bits(f.api_name)]),
    "layout": (_UNKNOWN, lambda ctx, f, a: [_STANDARD_LAYOUT] * ctx.n),
    "later": (_ROLLUPS, lambda ctx, f, a: [None] * ctx.n),  # rollups: see _rollups()
    "tags": (TEXT, lambda ctx, f, a: ctx.choices(f.api_name, _TAGS)),
    "territories": (frozenset({F.TERRITORIES}), lambda ctx, f, a: ctx.choices(f.api_name, _TERRITORIES)),
    "file": (frozenset({F.FILEUPLOAD, F.IMAGEUPLOAD}), _files),
    "se_module": (TEXT, _se_module),
    "picklist": (PICK | {F.MULTISELECTPICKLIST}, lambda ctx, f, a: _picklist(ctx, f, 0.0) if f.type is F.PICKLIST else _multiselect(ctx, f)),
    # people and companies
    "salutation": (PICK, _salutation),
    "first": (TEXT, lambda ctx, f, a: ctx.attr("_person")[1]),
    "last": (TEXT, lambda ctx, f, a: ctx.attr("_person")[2]),
    "person": (TEXT, lambda ctx, f, a: [f"{x} {y}" for x, y in _zip(*ctx.attr("_person")[1:])]),
    "someone": (TEXT, lambda ctx, f, a: [f"{x} {y}" for x, y in _zip(ctx.choices(f.api_name, P.FEMALE_FIRST), ctx.choices("2" + f.api_name, P.LAST))]),
    "full_name": (TEXT, lambda ctx, f, a: [f"{x} {y}" if x else y for x, y in _zip(*(ctx.col(n) for n in (("first_name", "last_name") if f.api_name == "full_name" else ("First_Name", "Last_Name"))))]),
    "greeting": (TEXT, lambda ctx, f, a: [f"{s} {x}" if s else x for s, x in _zip(ctx.col("Salutation"), ctx.col("Last_Name"))]),
    "email": (EMAILS, lambda ctx, f, personal: _emails(ctx, f.api_name, personal)),
    "role_email": (EMAILS, lambda ctx, f, a: [f"{x}@{d}" for x, d in _zip(ctx.choices(f.api_name, ("sales", "info", "orders")), ctx.attr("_domain"))]),
    "phone": (PHONES, _phones),
    "website": (frozenset({F.WEBSITE, F.TEXT}), lambda ctx, f, a: [f"https://www.{d}" for d in ctx.attr("_domain")]),
    "skype": (TEXT, lambda ctx, f, a: [f"live:{x.lower()}.{y.lower()}".replace("'", "") for x, y in _zip(*ctx.attr("_person")[1:])]),
    "twitter": (TEXT, lambda ctx, f, a: [f"@{x}{y}"[:15].replace("'", "") for x, y in _zip(*ctx.attr("_person")[1:])]),
    "dob": (DATE, _dob),
    "company": (TEXT, lambda ctx, f, a: ctx.attr("_company")),
    "ticker": (TEXT, lambda ctx, f, a: [P.slug(c)[:4].upper() for c in ctx.attr("_company")]),
    "before_created": (DATE, lambda ctx, f, a: _ds(_START // _DAY + int((c - _START) // _DAY * r) for c, r in _zip(ctx.attr("_created"), ctx.uniform(f.api_name)))),
    # leads and deals
    "converted": (DATETIME, lambda ctx, f, a: _dts(c + int((NOW - c) * r * 0.3) if v else None for c, v, r in _zip(ctx.attr("_created"), ctx.col("Converted__s"), ctx.uniform(f.api_name)))),
    "days_between": (INTS, lambda ctx, f, a: [None if d is None else _daynum(d) - c // _DAY for c, d in _zip(ctx.attr(a[0]), ctx.col(a[1]))]),
    "visitor": (INTS, _visits),
    "first_visit": (DATETIME, lambda ctx, f, a: _dts(max(_START, c - h * 3600) if v else None for c, v, h in _zip(ctx.attr("_created"), ctx.attr("_visitor"), _HOW["int"][1](ctx, f, (1, 700))))),
    "unsubscribed": (DATETIME, lambda ctx, f, a: _dts(c + int((NOW - c) * r) for c, r in _zip(ctx.attr("_created"), ctx.uniform(f.api_name)))),
    "last_activity": (DATETIME, lambda ctx, f, a: _dts(m + int((NOW - m) * r**3) for m, r in _zip(ctx.attr("_modified"), ctx.uniform(f.api_name)))),
    "title": (TEXT, _title),
    "linked_title": (TEXT, _linked_title),
    "stage": (PICK, _stage),
    "probability": (REALS, lambda ctx, f, a: [_probability(s) for s in ctx.col("Stage")]),
    "closing": (DATE, _closing),
    # products, line items, orders
    "product_name": (TEXT, lambda ctx, f, a: [p[0] for p in ctx.attr("_products")]),
    "product_category": (PICK, lambda ctx, f, a: [p[1] for p in ctx.attr("_products")]),
    "product_code": (TEXT, lambda ctx, f, a: [f"{P.slug(p[0].split()[1])[:3].upper()}-{1000 + i}" for i, p in enumerate(ctx.attr("_products"))]),
    "unit_price": (REALS, _gauss_price),
    "item_parent": (LOOKUP, _item_parent),
    "sequence": (INTS, _sequence),
    "list_price": (REALS, lambda ctx, f, a: [p or 100.0 for p in ctx.gen.via("Products", "Unit_Price", ctx.col("Product_Name"))]),
    "by_age": (PICK, _by_age),
    "overdue": (BOOL, lambda ctx, f, a: [None if d is None else int(_daynum(d) < _TODAY) for d in ctx.col("Due_Date")]),
    "campaign_status": (PICK, _campaign_status),
    "age": (REALS, lambda ctx, f, a: [round((NOW - c) / _DAY, 2) for c in ctx.attr("_created")]),
    # users
    "first_user": (TEXTS | PICK, lambda ctx, f, a: [a[0], *ctx.choices(f.api_name, a[1])[1:]] if ctx.n else []),
    "manager": (LOOKUP, lambda ctx, f, a: [None if i == 0 else ctx.ids[int(min(i, max(1, ctx.n // 5)) * r)] for i, r in enumerate(ctx.uniform(f.api_name))]),
    "alias": (TEXT, lambda ctx, f, a: [x.lower() for x in ctx.attr("_person")[1]]),
    "locale": (TEXT, lambda ctx, f, i: [x[i] for x in ctx.attr("_locale")]),
    # activities
    "when": (DATETIME, lambda ctx, f, i: _dts(ctx.attr("_when")[i])),
    "check_in": (DATETIME | TEXT, lambda ctx, f, i: ctx.attr("_checkin")[i]),
    "call_start": (DATETIME, lambda ctx, f, a: _dts(min(NOW, c + int(7200 * r)) for c, r in _zip(ctx.attr("_created"), ctx.uniform(f.api_name)))),
    "call_seconds": (INTS, _call_seconds),
    "call_duration": (TEXT, lambda ctx, f, a: [None if s is None else f"{s // 60:02d}:{s % 60:02d}" for s in ctx.col("Call_Duration_in_seconds")]),
    "call_result": (PICK, lambda ctx, f, a: ["No response/Busy" if t == "Missed" else g for t, g in _zip(ctx.col("Call_Type"), _picklist(ctx, f, 0.0))]),
}  # fmt: skip


def _multi(ctx: _Ctx, field: Field) -> list[Any]:
    """A multi-module lookup: an id of one of its modules, that module's name in ``<field>$module``."""
    mods = [m for m in field.modules if ctx.gen.rows(m)]
    if not mods:
        ctx.cols[field.api_name + MODULE_SUFFIX] = [None] * ctx.n
        return [None] * ctx.n
    chosen = ctx.choices(field.api_name, range(len(mods)), [P.RELATED.get(m, 0.5) for m in mods])
    ids, r = [ctx.gen.ids(m) for m in mods], ctx.rng(field.api_name + ":row").random
    nulls = 0.0 if field.api_name == "Parent_Id" else 0.25
    values = [None if r() < nulls else ids[c][int(len(ids[c]) * r())] for c in chosen]
    ctx.cols[field.api_name + MODULE_SUFFIX] = [
        None if v is None else mods[c] for v, c in _zip(values, chosen)
    ]
    return values


# ------------------------------------------------------------------------------------- generic path


def _words(field: Field) -> str:
    return " " + " ".join(f"{field.label} {field.api_name}".replace("_", " ").lower().split()) + " "


def _name_like(field: Field) -> bool:
    """Text that names the record: never null (a module's name field is mandatory in Zoho)."""
    words = _words(field)
    named = getattr(field, "display", False) or (
        (" name " in words or " subject " in words) and " first " not in words
    )
    return field.type is F.TEXT and bool(named)


def _generic(ctx: _Ctx, field: Field) -> list[Any]:
    """Values from the data type, label and picklist alone."""
    kind, n = field.value_type, ctx.n
    rate = 0.1 if field.type in (F.FORMULA, F.ROLLUP_SUMMARY) else P.NULLS.get(kind.value, 0.0)
    if kind in (F.CONSENT_LOOKUP, F.UNKNOWN, F.SUBFORM, F.MULTISELECTLOOKUP):
        return [None] * n  # no consent records; subforms and linked records: see _Gen.finish()
    if kind is F.MULTI_MODULE_LOOKUP:
        return _multi(ctx, field)
    if kind is F.PICKLIST:
        return _picklist(ctx, field, 0.15 if "-None-" in field.picklist_values else 0.0)
    if kind is F.AUTONUMBER:
        prefix = P.AUTONUMBERS.get(field.api_name)
        start, prefix = (1000, prefix) if prefix else (1, P.slug(ctx.name)[:3].upper() + "-")
        return [f"{prefix}{i:04d}" for i in range(start, start + n)]
    if kind in LOOKUPS:
        if ctx.module.generated_type in ("subform", "linking") or field.api_name == "Parent_Id":
            rate = 0.0
        values = ctx.attr("_owner") if kind is F.OWNERLOOKUP else _lookup(ctx, field)
    elif kind in (F.TEXT, F.TEXTAREA, F.EMAIL, F.PHONE, F.WEBSITE):
        values, rate = _text(ctx, field), 0.0 if _name_like(field) else rate
    else:
        values = _typed(ctx, field)
    return _mask(values, ctx.rng(field.api_name + ":null"), rate)


def _typed(ctx: _Ctx, field: Field) -> list[Any]:
    """A value of any other type, by the generator ``_pools.GENERIC`` names for it (None: null)."""
    kind, words, r = field.value_type, _words(field), ctx.rng(field.api_name).random
    if kind is F.INTEGER and any(w in words for w in (" age ", " year ", " score ")):
        lo, hi = (18, 80) if " age " in words else (1990, 2026) if " year " in words else (0, 100)
        return [lo + int((hi - lo + 1) * r()) for _ in range(ctx.n)]
    if kind is F.DATE and (" birth " in words or " dob " in words):
        return _dob(ctx, field)
    if kind is F.DATE or kind is F.DATETIME:
        times = (_START + int((NOW - _START) * r()) for _ in range(ctx.n))
        return _dts(times) if kind is F.DATETIME else _ds(t // _DAY for t in times)
    if kind is F.MULTIUSERLOOKUP and ctx.gen.rows("Users"):
        names, users = ctx.gen.kept("Users", "_display") or [], ctx.gen.ids("Users")
        return ctx.choices(
            field.api_name, [_json([{"name": x, "id": str(u)}]) for x, u in _zip(names, users)]
        )
    how, arg = P.GENERIC.get(kind.value, ("", None))
    return _HOW[how][1](ctx, field, arg) if how else [None] * ctx.n


_PLACES = ("street", "city", "state", "zip", "country")


def _text(ctx: _Ctx, field: Field) -> list[Any]:
    words, rng, n = _words(field), ctx.rng(field.api_name), ctx.n
    kind = {F.EMAIL: "email", F.PHONE: "phone", F.WEBSITE: "web", F.TEXTAREA: "textarea"}.get(field.type)
    kind = kind or next((k for w, k in P.TEXT_KINDS if f" {w} " in words), "text")
    if kind in P.TEXT_HOWS:
        values = _HOW[P.TEXT_HOWS[kind][0]][1](ctx, field, P.TEXT_HOWS[kind][1])
    elif kind in _PLACES:
        values = list(ctx.attr("addr:")[_PLACES.index(kind)])
    elif kind == "textarea":
        values = rng.choices(P.sentences(rng, 300), k=n)
    elif kind == "code":
        prefix = (P.slug(field.api_name)[:3] or "x").upper()
        values = [f"{prefix}-{rng.randrange(100_000):05d}" for _ in range(n)]
    elif kind == "name":
        values = [
            f"{h} {w.title()}" for h, w in _zip(rng.choices(P.COMPANY_HEAD, k=n), rng.choices(P.WORDS, k=n))
        ]
    else:
        values = rng.choices(
            [" ".join(rng.choices(P.WORDS, k=rng.randint(1, 3))).capitalize() for _ in range(300)], k=n
        )
    return [v[: field.length] if isinstance(v, str) else v for v in values] if field.length else values


def _picklist(ctx: _Ctx, field: Field, nulls: float) -> list[Any]:
    """Weighted picks from the field's own values (some common, most rare; never ``-None-``)."""
    values = [v for v in field.picklist_values if v != "-None-"]
    if not values:
        return [None] * ctx.n
    rng = ctx.rng(field.api_name + ":pick")
    known = P.WEIGHTS.get(field.api_name)
    if known is not None:
        weights = [known.get(v, 1.0) for v in values]
    else:
        rank = list(range(len(values)))
        rng.shuffle(rank)
        weights = [1 / (1 + k) ** 0.8 for k in rank]
    return _mask(rng.choices(values, weights, k=ctx.n), rng, nulls)


def _multiselect(ctx: _Ctx, field: Field) -> list[Any]:
    """1-3 of the field's values, in picklist order, joined by ``;`` (storage form)."""
    values = [v for v in field.picklist_values if v != "-None-"]
    if not values:
        return [None] * ctx.n
    rng, pool = ctx.rng(field.api_name + ":multi"), []
    for _ in range(100):
        chosen = rng.sample(values, min(len(values), rng.choice((1, 1, 1, 2, 2, 3))))
        pool.append(";".join(v for v in values if v in chosen))
    return rng.choices(pool, k=ctx.n)
