"""The catalog: Zoho's metadata JSON in, modules, fields and resolved paths out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coqlkit import CatalogError
from coqlkit.catalog import Catalog, Field, FieldType, ResolveError, closest, limits
from coqlkit.language import FieldRef


def test_snapshot_round_trip(snapshot_dir: Path, demo: Catalog) -> None:
    loaded = Catalog.from_snapshot(snapshot_dir)
    assert loaded.module_names == demo.module_names
    leads = loaded.module("Leads")
    assert leads is not None and leads.fields is not None
    assert leads.fields == demo.module("Leads").fields  # type: ignore[union-attr]
    assert leads.field("id") is not None  # added though Zoho does not list it


def test_snapshot_with_a_module_whose_fields_are_missing(snapshot_dir: Path) -> None:
    (snapshot_dir / "fields" / "Cases.json").unlink()
    loaded = Catalog.from_snapshot(snapshot_dir)
    cases = loaded.module("Cases")
    assert cases is not None and cases.fields is None
    # Paths into a module without fields are not checked rather than refused.
    resolved = loaded.resolve("Cases", FieldRef(("Anything",)))
    assert resolved.field.type is FieldType.UNKNOWN


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "modules.json is missing"),
        (lambda d: (d / "modules.json").write_text("{not json"), "cannot read"),
        (lambda d: (d / "modules.json").write_text("[1, 2]"), "not a Zoho metadata body"),
        (
            lambda d: (d / "modules.json").write_text(json.dumps({"modules": [{"no_api_name": 1}]})),
            "not Zoho module",
        ),
    ],
)
def test_bad_snapshots_raise_catalog_error(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    with pytest.raises(CatalogError, match=message):
        Catalog.from_snapshot(tmp_path)


def test_every_zoho_data_type_is_known() -> None:
    names = (
        "text textarea email phone website picklist multiselectpicklist integer bigint double currency "
        "percent decimal boolean date datetime lookup ownerlookup userlookup multiselectlookup "
        "multi_module_lookup consent_lookup formula rollup_summary autonumber profileimage imageupload "
        "fileupload territories subform"
    ).split()
    assert all(FieldType.of(n) is not FieldType.UNKNOWN for n in names)
    assert FieldType.of("something_new") is FieldType.UNKNOWN


def test_field_from_zoho_json() -> None:
    field = Field.from_json(
        {
            "api_name": "Weighted",
            "data_type": "formula",
            "field_label": "Weighted Amount",
            "formula": {"return_type": "currency"},
            "crypt": None,
            "filterable": False,
            "lookup": {},
        }
    )
    assert field.type is FieldType.FORMULA and field.value_type is FieldType.CURRENCY
    assert field.is_numeric and not field.filterable and not field.encrypted
    owner = Field.from_json({"api_name": "Owner", "data_type": "ownerlookup", "lookup": {}})
    assert owner.lookup_module == "Users" and owner.is_user_lookup


def test_resolve_paths(demo: Catalog) -> None:
    two_hops = demo.resolve("Contacts", FieldRef(("Account_Name", "Parent_Account", "Account_Name")))
    assert two_hops.module == "Accounts"
    assert [f.api_name for f in two_hops.hops] == ["Account_Name", "Parent_Account"]
    poly = demo.resolve("Tasks", FieldRef(("What_Id", "Last_Name"), via="Leads"))
    assert (poly.module, poly.field.api_name) == ("Leads", "Last_Name")
    profile = demo.resolve("Leads", FieldRef(("Owner", "profile", "name")))
    assert profile.field.type is FieldType.TEXT
    assert (
        demo.resolve("Leads", FieldRef(("Owner", "role", "id"), qualifier="Leads")).field.type
        is FieldType.BIGINT
    )


@pytest.mark.parametrize(
    ("module", "ref", "code", "part", "words"),
    [
        ("Leads", FieldRef(("Emial",)), "INVALID_QUERY", 0, "no field Emial"),
        (
            "Contacts",
            FieldRef(("Account_Name", "Parnt_Account")),
            "INVALID_QUERY",
            1,
            "no field Parnt_Account",
        ),
        ("Contacts", FieldRef(("Email", "x")), "INVALID_QUERY", 1, "not a lookup"),
        (
            "Contacts",
            FieldRef(("Account_Name", "Parent_Account", "Parent_Account", "Account_Name")),
            "LIMIT_EXCEEDED",
            3,
            "3 lookups",
        ),
        ("Tasks", FieldRef(("What_Id", "Last_Name")), "INVALID_QUERY", 1, "several modules"),
        (
            "Tasks",
            FieldRef(("What_Id", "Last_Name"), via="Users"),
            "INVALID_QUERY",
            0,
            "does not point to Users",
        ),
        (
            "Leads",
            FieldRef(("Email", "x"), via="Leads"),
            "INVALID_QUERY",
            0,
            "not a lookup to several modules",
        ),
        ("Leads", FieldRef(("Owner", "role", "nme")), "INVALID_QUERY", 2, "no key nme"),
        ("Leads", FieldRef(("Owner", "id"), qualifier="Contacts"), "INVALID_QUERY", -1, "!Contacts."),
        ("Lead", FieldRef(("Email",)), "INVALID_QUERY", -1, "no module Lead"),
    ],
)
def test_resolve_errors(demo: Catalog, module: str, ref: FieldRef, code: str, part: int, words: str) -> None:
    with pytest.raises(ResolveError) as info:
        demo.resolve(module, ref)
    assert (info.value.code, info.value.part) == (code, part)
    assert words in str(info.value)


def test_did_you_mean(demo: Catalog) -> None:
    leads = demo.module("Leads")
    assert leads is not None
    assert demo.suggest_field(leads, "Emial") == ["Email"]
    assert demo.suggest_field(leads, "last_name") == ["Last_Name"]
    assert demo.suggest_field(leads, "Lead Status") == ["Lead_Status"]
    assert demo.suggest_field(leads, "Zzzzzzzz") == []
    assert demo.suggest_module("lead") == ["Leads"]
    assert demo.suggest_module("SalesOrders") == ["Sales_Orders"]
    assert closest("Anual_Revenue", ["Annual_Revenue", "Revenue"]) == ["Annual_Revenue"]


def test_limits_cite_the_reference() -> None:
    assert (limits.MAX_LIMIT, limits.MAX_OFFSET_ROWS, limits.MAX_IN_VALUES) == (2000, 100_000, 50)
    assert [limits.coql_credits(n) for n in (1, 200, 201, 1000, 1001, 2000)] == [1, 1, 2, 2, 3, 3]
    source = Path(limits.__file__).read_text()
    for name in limits.__all__:
        if name.isupper():
            # Every constant has a comment above it naming its source.
            lines = source.split(f"\n{name} =")[0].splitlines()
            comment = []
            while lines and lines[-1].startswith("#:"):
                comment.append(lines.pop())
            assert "reference §" in " ".join(comment), name
