"""Local finishing on synthetic batches: sort, slice, project, aggregate, the union of the
parts of a long IN and the join of the column groups of a wide query."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from coqlkit.errors import CoqlError, ZohoApiError
from coqlkit.execute import finish
from coqlkit.execute.arrow import LOOKUP_TYPE

PICK = pa.dictionary(pa.int32(), pa.string())
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("name", pa.string()),
        ("stage", PICK),
        ("owner", LOOKUP_TYPE),
        ("amount", pa.float64()),
        ("n", pa.int64()),
    ]
)


def rows(**columns: Sequence[Any]) -> pa.RecordBatch:
    """A batch of ``SCHEMA`` (columns not given are null); ids may be ints."""
    size = len(next(iter(columns.values())))
    arrays = []
    for field in SCHEMA:
        values = list(columns.get(field.name, [None] * size))
        if field.name == "id":
            values = [None if v is None else str(v) for v in values]
        if field.name == "stage":
            arrays.append(pa.array(values, pa.string()).dictionary_encode().cast(PICK))
            continue
        arrays.append(pa.array(values, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def ids(batches: Sequence[pa.RecordBatch]) -> list[int]:
    return [int(v) for b in batches for v in b.column("id").to_pylist()]


def column(batches: Sequence[pa.RecordBatch], name: str) -> list[Any]:
    return [v for b in batches for v in b.column(name).to_pylist()]


@dataclass
class Probe:
    """How far a source was read, and how it ended."""

    taken: int = 0
    closed: bool = False
    cancelled: bool = False


async def source(
    batches: Sequence[pa.RecordBatch],
    probe: Probe | None = None,
    *,
    error: BaseException | None = None,
    hang: bool = False,
    delay: float = 0.0,
) -> AsyncGenerator[pa.RecordBatch, None]:
    """Batches as a step yields them; then an error, or a wait that never ends."""
    probe = probe if probe is not None else Probe()
    try:
        for batch in batches:
            if delay:
                await asyncio.sleep(delay)
            probe.taken += 1
            yield batch
        if error is not None:
            raise error
        if hang:
            await asyncio.Event().wait()
    except asyncio.CancelledError:
        probe.cancelled = True
        raise
    finally:
        probe.closed = True


def run(batches: AsyncGenerator[pa.RecordBatch, None]) -> list[pa.RecordBatch]:
    async def main() -> list[pa.RecordBatch]:
        return [b async for b in batches]

    return asyncio.run(main())


# ---- sort --------------------------------------------------------------------------------------


def sort(batches: Sequence[pa.RecordBatch], *keys: tuple[str, bool]) -> list[pa.RecordBatch]:
    return run(finish.sort(source(batches), SCHEMA, keys))


def test_nulls_come_first_ascending_and_last_descending_ties_by_id() -> None:
    data = [rows(id=[1, 2, 3], amount=[3.0, None, 1.0]), rows(id=[4, 5], amount=[None, 3.0])]
    assert ids(sort(data, ("amount", False))) == [2, 4, 3, 1, 5]
    assert ids(sort(data, ("amount", True))) == [1, 5, 3, 2, 4]  # ties still by ascending id


def test_several_keys() -> None:
    data = [
        rows(
            id=[1, 2, 3, 4, 5, 6],
            stage=["b", "a", "b", "a", None, "a"],
            amount=[1.0, 2.0, 3.0, 2.0, 9.0, 5.0],
        )
    ]
    assert ids(sort(data, ("stage", False), ("amount", True))) == [5, 6, 2, 4, 3, 1]
    assert ids(sort(data, ("stage", True), ("amount", False))) == [1, 3, 2, 4, 6, 5]


def test_a_picklist_sorts_by_its_text_not_its_dictionary_order() -> None:
    stage = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 2, 0], pa.int32()), pa.array(["Zeta", "Alpha", "Mid"])
    )
    batch = rows(id=[1, 2, 3, 4])
    batch = batch.set_column(SCHEMA.get_field_index("stage"), "stage", stage)
    assert ids(sort([batch], ("stage", False))) == [2, 3, 1, 4]


def test_a_lookup_sorts_by_the_targets_id_not_its_name() -> None:
    owner = [
        {"id": "4150868000000000030", "name": "Aaron"},
        {"id": "4150868000000000010", "name": "Zoe"},
        None,
        {"id": "4150868000000000020", "name": "Mia"},
    ]
    data = [rows(id=[1, 2, 3, 4], owner=owner)]
    assert ids(sort(data, ("owner", False))) == [3, 2, 4, 1]
    assert ids(sort(data, ("owner", True))) == [1, 4, 2, 3]


def test_ids_sort_as_numbers_and_break_ties() -> None:
    data = [rows(id=[100, 9, 10], name=["x", "x", "x"])]
    assert ids(sort(data, ("name", True))) == [9, 10, 100]  # a tie: by ascending id
    assert ids(sort(data, ("id", True))) == [100, 10, 9]
    assert ids(sort(data, ("id", False))) == [9, 10, 100]


def test_text_sorts_by_code_point() -> None:
    data = [rows(id=[1, 2, 3, 4], name=["b", "B", "é", "a"])]
    assert column(sort(data, ("name", False)), "name") == ["B", "a", "b", "é"]


def test_a_sort_reads_every_batch_and_yields_batches_of_at_most_2000_rows() -> None:
    data = [rows(id=list(range(i, i + 1500)), n=[-v for v in range(i, i + 1500)]) for i in (0, 1500, 3000)]
    out = sort(data, ("n", False))
    assert [b.num_rows for b in out] == [2000, 2000, 500]
    assert ids(out) == list(range(4499, -1, -1))
    assert all(b.schema.equals(SCHEMA) for b in out)


def test_sorting_nothing_yields_nothing() -> None:
    assert sort([], ("name", False)) == []


# ---- slice, project ----------------------------------------------------------------------------


def threes(count: int) -> list[pa.RecordBatch]:
    """``count`` batches of three rows: ids 1, 2, 3, 4..."""
    return [rows(id=[3 * i + 1, 3 * i + 2, 3 * i + 3]) for i in range(count)]


@pytest.mark.parametrize(
    ("offset", "limit", "expected"),
    [
        (4, 3, [5, 6, 7]),
        (3, 3, [4, 5, 6]),
        (0, 1, [1]),
        (7, None, [8, 9]),
        (0, None, list(range(1, 10))),
        (2, 100, list(range(3, 10))),
        (9, 5, []),
        (50, None, []),
    ],
)
def test_a_slice_skips_and_keeps_across_batches(offset: int, limit: int | None, expected: list[int]) -> None:
    assert ids(run(finish.slice_rows(source(threes(3)), offset, limit))) == expected


def test_a_slice_stops_reading_its_source_once_it_has_the_rows() -> None:
    probe = Probe()
    out = run(finish.slice_rows(source(threes(100), probe), 4, 3))
    assert ids(out) == [5, 6, 7]
    assert probe.taken == 3  # rows 1-9: the third batch holds the last row wanted
    assert probe.closed


def test_a_slice_of_no_rows_reads_nothing() -> None:
    probe = Probe()
    assert run(finish.slice_rows(source(threes(3), probe), 0, 0)) == []
    assert probe.taken == 0


def test_a_projection_keeps_the_schemas_columns_in_its_order() -> None:
    out_schema = pa.schema([("amount", pa.float64()), ("id", pa.string())])
    data = [rows(id=[1, 2], amount=[1.5, None]), rows(id=[3], amount=[2.5])]
    out = run(finish.project(source(data), out_schema))
    assert all(b.schema.equals(out_schema) for b in out)
    assert [b.to_pylist() for b in out] == [
        [{"amount": 1.5, "id": "1"}, {"amount": None, "id": "2"}],
        [{"amount": 2.5, "id": "3"}],
    ]


# ---- aggregate ---------------------------------------------------------------------------------

AGGREGATES = (
    ("COUNT(amount)", "COUNT", "amount"),
    ("SUM(amount)", "SUM", "amount"),
    ("AVG(amount)", "AVG", "amount"),
    ("MIN(amount)", "MIN", "amount"),
    ("MAX(amount)", "MAX", "amount"),
)
TOTALS = [
    ("COUNT(amount)", pa.int64()),
    ("SUM(amount)", pa.float64()),
    ("AVG(amount)", pa.float64()),
    ("MIN(amount)", pa.float64()),
    ("MAX(amount)", pa.float64()),
]


def aggregate(
    batches: Sequence[pa.RecordBatch],
    group: Sequence[str],
    out: list[tuple[str, pa.DataType]],
    aggregates: Sequence[tuple[str, str, str]] = AGGREGATES,
) -> list[dict[str, Any]]:
    schema = pa.schema(out)
    found = run(finish.aggregate(source(batches), SCHEMA, schema, group, aggregates))
    assert all(b.schema.equals(schema) for b in found)
    return [row for b in found for row in b.to_pylist()]


def test_aggregates_of_every_row_skip_nulls() -> None:
    data = [rows(id=[1, 2], amount=[1.0, None]), rows(id=[3, 4], amount=[4.0, 7.0])]
    assert aggregate(data, (), TOTALS) == [
        {"COUNT(amount)": 3, "SUM(amount)": 12.0, "AVG(amount)": 4.0, "MIN(amount)": 1.0, "MAX(amount)": 7.0}
    ]


def test_aggregates_of_nothing_count_zero_and_are_otherwise_null() -> None:
    expected = {
        "COUNT(amount)": 0,
        "SUM(amount)": None,
        "AVG(amount)": None,
        "MIN(amount)": None,
        "MAX(amount)": None,
    }
    assert aggregate([rows(id=[1, 2], amount=[None, None])], (), TOTALS) == [expected]
    assert aggregate([], (), TOTALS) == [expected]


def test_groups_come_in_the_order_of_their_keys_the_null_group_first() -> None:
    data = [
        rows(id=[1, 2, 3], stage=["b", "a", None], amount=[1.0, 2.0, 3.0]),
        rows(id=[4, 5, 6], stage=["a", "b", "b"], amount=[None, 5.0, 6.0]),
    ]
    out = aggregate(data, ("stage",), [("stage", PICK), *TOTALS])
    assert out == [
        {
            "stage": None,
            "COUNT(amount)": 1,
            "SUM(amount)": 3.0,
            "AVG(amount)": 3.0,
            "MIN(amount)": 3.0,
            "MAX(amount)": 3.0,
        },
        {
            "stage": "a",
            "COUNT(amount)": 1,
            "SUM(amount)": 2.0,
            "AVG(amount)": 2.0,
            "MIN(amount)": 2.0,
            "MAX(amount)": 2.0,
        },
        {
            "stage": "b",
            "COUNT(amount)": 3,
            "SUM(amount)": 12.0,
            "AVG(amount)": 4.0,
            "MIN(amount)": 1.0,
            "MAX(amount)": 6.0,
        },
    ]


def test_groups_of_no_rows_are_no_groups() -> None:
    assert aggregate([], ("stage",), [("stage", PICK), *TOTALS]) == []


def test_a_group_by_a_lookup_keeps_the_lookup() -> None:
    asha = {"id": "4150868001700000001", "name": "Asha"}
    oli = {"id": "4150868001700000002", "name": "Oliver"}
    data = [rows(id=[1, 2, 3, 4], owner=[oli, asha, None, oli], n=[1, 2, 3, 4])]
    out = aggregate(
        data,
        ("owner",),
        [("owner", LOOKUP_TYPE), ("COUNT(id)", pa.int64()), ("SUM(n)", pa.float64())],
        (("COUNT(id)", "COUNT", "id"), ("SUM(n)", "SUM", "n")),
    )
    assert out == [
        {"owner": None, "COUNT(id)": 1, "SUM(n)": 3.0},
        {"owner": asha, "COUNT(id)": 1, "SUM(n)": 2.0},
        {"owner": oli, "COUNT(id)": 2, "SUM(n)": 5.0},
    ]


def test_min_and_max_of_text_and_of_a_lookup() -> None:
    owner = [{"id": "4150868000000000002", "name": "B"}, {"id": "4150868000000000001", "name": "Z"}, None]
    data = [rows(id=[1, 2, 3], name=["m", None, "c"], owner=owner)]
    out = aggregate(
        data,
        (),
        [("MIN(name)", pa.string()), ("MAX(name)", pa.string()), ("MIN(owner)", pa.string())],
        (("MIN(name)", "MIN", "name"), ("MAX(name)", "MAX", "name"), ("MIN(owner)", "MIN", "owner")),
    )
    assert out == [{"MIN(name)": "c", "MAX(name)": "m", "MIN(owner)": "4150868000000000001"}]


LANGUAGES = pa.list_(pa.string())
SPOKEN = pa.schema([("id", pa.string()), ("Languages", LANGUAGES), ("amount", pa.float64())])


def spoken(ids: Sequence[int], languages: Sequence[Any], amounts: Sequence[Any]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array([str(i) for i in ids]), pa.array(languages, LANGUAGES), pa.array(amounts, pa.float64())],
        schema=SPOKEN,
    )


def test_a_multi_select_group_key_groups_by_its_whole_value_and_keeps_its_list() -> None:
    """Arrow cannot group by a list: grouped by the whole value, as Zoho stores it
    ("English;French": the same values in another order are another group), each group
    given back its list; the groups in the order of their keys, the null one first."""
    data = [
        spoken([1, 2, 3], [["English", "French"], None, ["French"]], [1.0, 2.0, 3.0]),
        spoken([4, 5, 6], [["English", "French"], ["French", "English"], None], [4.0, None, 6.0]),
    ]
    out = pa.schema([("Languages", LANGUAGES), ("COUNT(id)", pa.int64()), ("SUM(amount)", pa.float64())])
    found = run(
        finish.aggregate(
            source(data),
            SPOKEN,
            out,
            ["Languages"],
            [("COUNT(id)", "COUNT", "id"), ("SUM(amount)", "SUM", "amount")],
        )
    )
    assert all(b.schema.equals(out) for b in found)
    assert [row for b in found for row in b.to_pylist()] == [
        {"Languages": None, "COUNT(id)": 2, "SUM(amount)": 8.0},
        {"Languages": ["English", "French"], "COUNT(id)": 2, "SUM(amount)": 5.0},
        {"Languages": ["French"], "COUNT(id)": 1, "SUM(amount)": 3.0},
        {"Languages": ["French", "English"], "COUNT(id)": 1, "SUM(amount)": None},
    ]


def test_an_arrow_error_in_local_finishing_is_a_coql_error_naming_the_step() -> None:
    """Whatever Arrow refuses in the work done here comes out as a CoqlError (the CLI prints
    its message), never a raw pyarrow exception."""
    numbers = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.int64()))])
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["1", "2"]), pa.array([[2], [1]], pa.list_(pa.int64()))], schema=numbers
    )
    with pytest.raises(CoqlError, match=r"^local sort failed here.*ArrowNotImplementedError") as caught:
        run(finish.sort(source([batch]), numbers, [("tags", False)]))
    assert isinstance(caught.value.__cause__, pa.ArrowException)
    with pytest.raises(CoqlError, match=r"^local aggregate failed here"):
        run(
            finish.aggregate(
                source([batch]), numbers, pa.schema([("tags", pa.list_(pa.int64()))]), ["tags"], []
            )
        )


# ---- union -------------------------------------------------------------------------------------


def test_a_union_merges_the_parts_in_id_order_each_id_once() -> None:
    """Each part is in id order; together they are too (the rows of one part are not all
    before the next's, as they were: the order then hung on how the IN was sliced)."""
    parts = [
        source([rows(id=[10, 40], name=["a", "b"]), rows(id=[70], name=["c"])]),
        source([rows(id=[20, 40, 50], name=["d", "e", "f"])]),
        source([rows(id=[], name=[]), rows(id=[5, 10, 80], name=["g", "h", "i"])]),
    ]
    out = run(finish.union(parts, SCHEMA))
    assert ids(out) == [5, 10, 20, 40, 50, 70, 80]
    assert column(out, "name") == ["g", "a", "d", "b", "f", "c", "i"]  # a shared id: the first part's
    assert all(b.schema.equals(SCHEMA) for b in out)


def test_a_union_keeps_the_picklists_of_every_part() -> None:
    """Parts' picklist columns have dictionaries of their own: the merged rows keep their text."""
    parts = [source([rows(id=[1, 3], stage=["x", "y"])]), source([rows(id=[2, 4], stage=["z", "x"])])]
    out = run(finish.union(parts, SCHEMA))
    assert ids(out) == [1, 2, 3, 4] and column(out, "stage") == ["x", "z", "y", "x"]


def test_a_union_streams_holding_a_batch_or_so_of_each_part() -> None:
    """The merge hands rows on as soon as no part can come lower: it never reads a part
    whole before the others (a long IN's union would hold the whole result)."""
    firsts, seconds = Probe(), Probe()
    parts = [
        source([rows(id=[2 * i + 1]) for i in range(50)], firsts),
        source([rows(id=[2 * i + 2]) for i in range(50)], seconds),
    ]

    async def main() -> list[int]:
        union = finish.union(parts, SCHEMA)
        got = ids([await anext(union) for _ in range(6)])
        assert firsts.taken <= 6 and seconds.taken <= 6, (firsts.taken, seconds.taken)
        got += ids([b async for b in union])
        return got

    assert asyncio.run(main()) == list(range(1, 101))


def test_a_part_going_back_on_its_order_never_repeats_an_id() -> None:
    """Records changed during a part's read (it should not happen): the ids handed on stay
    ascending and unique."""
    parts = [source([rows(id=[1, 4]), rows(id=[3, 6])]), source([rows(id=[2, 5])])]
    out = ids(run(finish.union(parts, SCHEMA)))
    assert out == sorted(set(out)) and {1, 2, 4, 5, 6} <= set(out)


def test_a_failing_part_fails_the_union_at_once_and_stops_the_others() -> None:
    """The first part is long and slow; the second fails: the error comes without waiting
    for the first part, which is stopped."""
    slow, failing = Probe(), Probe()
    error = ZohoApiError("boom", code="INVALID_QUERY")
    parts = [
        source([rows(id=[i]) for i in range(100)], slow, delay=0.05),
        source([rows(id=[1000])], failing, error=error),
    ]

    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(ZohoApiError) as caught:
            async for _ in finish.union(parts, SCHEMA):
                pass
        assert caught.value is error
        return time.perf_counter() - started

    took = asyncio.run(main())
    assert took < 2.0  # the slow part alone would take 5 s
    assert slow.closed and slow.taken < 100
    assert failing.closed


def test_closing_a_union_cancels_its_parts() -> None:
    first, second = Probe(), Probe()
    parts = [source([rows(id=[1])], first, hang=True), source([rows(id=[2])], second, hang=True)]

    async def main() -> None:
        union = finish.union(parts, SCHEMA)
        assert ids([await anext(union)]) == [1]
        await asyncio.sleep(0.01)  # the second part is waiting for its turn, or for ever
        await union.aclose()

    asyncio.run(main())
    assert first.closed and second.closed
    assert first.cancelled and second.cancelled


# ---- column join -------------------------------------------------------------------------------

LEFT = pa.schema([("id", pa.string()), ("name", pa.string())])
RIGHT = pa.schema([("id", pa.string()), ("amount", pa.float64())])
JOINED = pa.schema([("id", pa.string()), ("name", pa.string()), ("amount", pa.float64())])


def left(*chunks: Sequence[int]) -> list[pa.RecordBatch]:
    return [
        pa.RecordBatch.from_arrays(
            [pa.array([str(i) for i in c]), pa.array([f"n{i}" for i in c])], schema=LEFT
        )
        for c in chunks
    ]


def right(*chunks: Sequence[int]) -> list[pa.RecordBatch]:
    return [
        pa.RecordBatch.from_arrays(
            [pa.array([str(i) for i in c]), pa.array([float(i) for i in c])], schema=RIGHT
        )
        for c in chunks
    ]


def join(lefts: list[pa.RecordBatch], rights: list[pa.RecordBatch]) -> tuple[list[dict[str, Any]], list[str]]:
    notes: list[str] = []
    out = run(finish.column_join([source(lefts), source(rights)], JOINED, notes))
    assert all(b.schema.equals(JOINED) for b in out)
    return [row for b in out for row in b.to_pylist()], notes


def joined(*values: int) -> list[dict[str, Any]]:
    return [{"id": str(i), "name": f"n{i}", "amount": float(i)} for i in values]


def test_column_groups_are_joined_row_for_row_across_batch_boundaries() -> None:
    out, notes = join(left([1, 2], [3, 4, 5], [6]), right([1], [2, 3, 4, 5, 6]))
    assert out == joined(1, 2, 3, 4, 5, 6)
    assert notes == []


def test_groups_that_disagree_are_joined_by_id() -> None:
    """Record 3 went away and record 9 arrived between the groups' calls."""
    out, notes = join(left([1, 2], [3, 4, 5]), right([1, 2], [4, 5, 9]))
    assert out == joined(1, 2, 4, 5)
    assert len(notes) == 1 and "1 record(s)" in notes[0]


def test_groups_joined_by_id_keep_the_first_groups_order() -> None:
    out, notes = join(left([5, 1, 3, 2]), right([1, 2, 3, 5]))
    assert out == joined(5, 1, 3, 2)
    assert notes == []  # the same records, only in another order: nothing left out


def test_a_group_that_ends_early_leaves_the_rest_out_and_says_so() -> None:
    out, notes = join(left([1, 2, 3]), right([1, 2]))
    assert out == joined(1, 2)
    assert len(notes) == 1 and "1 row(s)" in notes[0]


def test_a_failing_group_fails_the_join() -> None:
    error = ZohoApiError("boom", code="INVALID_QUERY")
    notes: list[str] = []
    parts = [source(left([1, 2], [3])), source(right([1, 2]), error=error)]
    with pytest.raises(ZohoApiError):
        run(finish.column_join(parts, JOINED, notes))
