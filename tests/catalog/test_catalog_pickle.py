"""A catalog pickles and copies, so a lint of many files can ship it to its workers."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import coqlkit
from coqlkit.catalog import Catalog
from coqlkit.validate import ErrorLevel

WIDE = Path(__file__).parent.parent / "fixtures" / "metadata" / "wide"


def same(a: Catalog, b: Catalog) -> None:
    assert a.module_names == b.module_names
    for module in a:
        other = b.module(module.api_name)
        assert other == module
        assert (module.fields is None) == (other.fields is None)
        if module.fields is not None and other.fields is not None:
            assert dict(other.fields) == dict(module.fields)
            assert list(other.fields) == list(module.fields)  # the metadata's order


@pytest.mark.parametrize(
    "make", [Catalog.demo, lambda: Catalog.from_snapshot(WIDE)], ids=["demo", "snapshot"]
)
def test_round_trips_through_pickle_and_copy(make: Callable[[], Catalog]) -> None:
    catalog = make()
    catalog.suggest_module("Lead")  # its did-you-mean indexes travel too
    for back in (pickle.loads(pickle.dumps(catalog)), copy.deepcopy(catalog), copy.copy(catalog)):
        same(catalog, back)


def test_what_comes_back_is_read_only_and_answers_as_before() -> None:
    back = pickle.loads(pickle.dumps(Catalog.demo()))
    leads = back.module("Leads")
    assert leads is not None and leads.fields is not None
    with pytest.raises(TypeError):
        leads.fields["Emial"] = leads.fields["Email"]  # type: ignore[index]
    field = leads.field_folded("EMAIL")
    assert field is not None and field.api_name == "Email"
    found = coqlkit.validate(coqlkit.parse("select Emial from Leads"), back)
    assert [d.hint for d in found] == ["did you mean Email?"]


def test_a_process_pool_worker_validates_with_a_shipped_catalog() -> None:
    select = coqlkit.parse("select Emial from Leads")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        found = pool.submit(coqlkit.validate, select, Catalog.demo()).result(timeout=60)
        refused = pool.submit(coqlkit.validate, select, Catalog.demo(), level=ErrorLevel.RAISE)
        with pytest.raises(coqlkit.ValidationError) as caught:
            refused.result(timeout=60)
    assert [d.hint for d in found] == ["did you mean Email?"]
    assert (caught.value.line, caught.value.column, caught.value.hint) == (1, 8, "did you mean Email?")
