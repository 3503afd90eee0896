"""Tests of the demo org metadata (coqlkit.catalog.demo)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from coqlkit.catalog import demo

MODULES = [
    "Leads", "Contacts", "Accounts", "Deals", "Tasks", "Events", "Calls", "Notes", "Products", "Quotes",
    "Sales_Orders", "Purchase_Orders", "Invoices", "Campaigns", "Cases", "Vendors", "Users",
    "Quoted_Items", "Deals_X_Products",
]  # fmt: skip

MODULE_KEYS = {
    "api_name", "module_name", "singular_label", "plural_label", "id", "api_supported", "generated_type",
    "status", "visible", "creatable", "editable", "deletable", "viewable", "convertable", "profiles",
    "parent_module", "modified_time", "modified_by",
}  # fmt: skip

FIELD_KEYS = {
    "api_name", "id", "field_label", "display_label", "data_type", "json_type", "length", "decimal_place",
    "currency", "lookup", "multiselectlookup", "multi_module_lookup", "multiuserlookup", "pick_list_values",
    "formula", "rollup_summary", "auto_number", "crypt", "textarea", "read_only", "field_read_only",
    "system_mandatory", "virtual_field", "custom_field", "sortable", "filterable", "searchable", "visible",
    "unique", "external", "created_source",
}  # fmt: skip

REQUIRED_TYPES = {
    "text", "textarea", "email", "phone", "website", "picklist", "multiselectpicklist", "integer", "bigint",
    "double", "currency", "percent", "decimal", "boolean", "date", "datetime", "lookup", "ownerlookup",
    "userlookup", "multiselectlookup", "multi_module_lookup", "consent_lookup", "formula", "rollup_summary",
    "autonumber", "profileimage", "imageupload", "fileupload", "territories", "subform",
}  # fmt: skip

JSON_TYPE_OF = {
    "text": "string", "textarea": "string", "email": "string", "phone": "string", "website": "string",
    "picklist": "string", "autonumber": "string", "bigint": "string", "date": "string", "datetime": "string",
    "integer": "integer", "double": "double", "currency": "double", "percent": "double", "decimal": "double",
    "boolean": "boolean", "lookup": "jsonobject", "ownerlookup": "jsonobject", "userlookup": "jsonobject",
    "multi_module_lookup": "jsonobject", "consent_lookup": "jsonobject", "multiselectpicklist": "jsonarray",
    "multiselectlookup": "jsonarray", "subform": "jsonarray", "territories": "jsonarray",
    "fileupload": "jsonarray", "imageupload": "jsonarray",
}  # fmt: skip

FORMULA_JSON_TYPE = {"currency": "double", "double": "double", "string": "string", "date": "string",
                     "datetime": "string", "boolean": "boolean"}  # fmt: skip


def all_fields() -> Iterator[tuple[str, dict[str, Any]]]:
    for module in demo.module_names():
        for field in demo.fields_payload(module)["fields"]:
            yield module, field


def field(module: str, api_name: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [
        f for f in demo.fields_payload(module)["fields"] if f["api_name"] == api_name
    ]
    assert len(matches) == 1, (module, api_name)
    return matches[0]


def modules_by_name() -> dict[str, dict[str, Any]]:
    return {m["api_name"]: m for m in demo.modules_payload()["modules"]}


# ---------------------------------------------------------------------------------- shape and identity


def test_module_names_in_payload_order() -> None:
    assert demo.module_names() == MODULES
    assert [m["api_name"] for m in demo.modules_payload()["modules"]] == MODULES


def test_payloads_are_deterministic() -> None:
    assert demo.modules_payload() == demo.modules_payload()
    for module in MODULES:
        assert demo.fields_payload(module) == demo.fields_payload(module)


def test_returned_payloads_are_fresh_copies() -> None:
    modules = demo.modules_payload()
    modules["modules"][0]["api_name"] = "Mutated"
    modules["modules"].pop()
    assert demo.modules_payload()["modules"][0]["api_name"] == "Leads"
    assert len(demo.modules_payload()["modules"]) == len(MODULES)

    fields = demo.fields_payload("Leads")
    status = next(f for f in fields["fields"] if f["api_name"] == "Lead_Status")
    status["pick_list_values"].clear()
    status["lookup"]["x"] = 1
    fields["fields"].clear()
    fresh = demo.fields_payload("Leads")["fields"]
    assert fresh
    assert field("Leads", "Lead_Status")["pick_list_values"]
    assert field("Leads", "Lead_Status")["lookup"] == {}

    names = demo.module_names()
    names.append("Nope")
    assert demo.module_names() == MODULES


def test_unknown_module_raises_key_error() -> None:
    with pytest.raises(KeyError):
        demo.fields_payload("Nope")
    with pytest.raises(KeyError):
        demo.fields_payload("leads")  # API names are case-sensitive


def test_everything_is_json_serialisable() -> None:
    text = json.dumps(demo.modules_payload())
    assert json.loads(text) == demo.modules_payload()
    for module in MODULES:
        payload = demo.fields_payload(module)
        assert json.loads(json.dumps(payload)) == payload


def test_every_module_has_the_required_keys() -> None:
    for module in demo.modules_payload()["modules"]:
        assert MODULE_KEYS <= module.keys(), module["api_name"]
        assert module["api_supported"] is True
        assert module["status"] == "visible"
        assert module["visible"] is True
        assert module["generated_type"] in {"default", "subform", "linking"}
        assert module["profiles"] == []
        assert module["modified_by"] is None or set(module["modified_by"]) == {"name", "id"}


def test_every_field_has_the_required_keys() -> None:
    for module, f in all_fields():
        assert FIELD_KEYS <= f.keys(), (module, f["api_name"])
        assert f["created_source"] == ("crm" if f["custom_field"] else "default"), (module, f["api_name"])


def test_ids_are_unique_digit_strings() -> None:
    ids = [m["id"] for m in demo.modules_payload()["modules"]]
    for _, f in all_fields():
        ids.append(f["id"])
        ids.extend(v["id"] for v in f["pick_list_values"])
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert len(ids) == len(set(ids))


def test_field_api_names_unique_per_module_and_no_id_field() -> None:
    for module in MODULES:
        names = [f["api_name"] for f in demo.fields_payload(module)["fields"]]
        assert len(names) == len(set(names)), module
        assert "id" not in names, module


def test_field_counts_are_realistic() -> None:
    counts = {m: len(demo.fields_payload(m)["fields"]) for m in MODULES}
    for big in ("Leads", "Contacts", "Accounts", "Deals"):
        assert 25 <= counts[big] <= 55, (big, counts[big])
    for module in MODULES:
        if module not in ("Leads", "Contacts", "Accounts", "Deals", "Deals_X_Products"):
            assert 8 <= counts[module] <= 40, (module, counts[module])


# ------------------------------------------------------------------------------------------- modules


def test_zoho_module_quirks() -> None:
    modules = modules_by_name()
    assert modules["Events"]["module_name"] == "Meetings"
    assert [name for name, m in modules.items() if m["convertable"]] == ["Leads"]
    assert modules["Quoted_Items"]["generated_type"] == "subform"
    assert modules["Quoted_Items"]["parent_module"] == {"api_name": "Quotes", "id": modules["Quotes"]["id"]}
    assert modules["Deals_X_Products"]["generated_type"] == "linking"
    defaults = [name for name, m in modules.items() if m["generated_type"] == "default"]
    assert defaults == MODULES[:17]
    assert all(modules[name]["parent_module"] == {} for name in defaults)


# -------------------------------------------------------------------------------------------- fields


def test_every_data_type_appears() -> None:
    seen = {f["data_type"] for _, f in all_fields()}
    assert REQUIRED_TYPES <= seen
    assert seen <= set(demo.DATA_TYPES)


def test_json_types_match_data_types() -> None:
    for module, f in all_fields():
        where = (module, f["api_name"])
        dtype = f["data_type"]
        if dtype == "formula":
            assert f["json_type"] == FORMULA_JSON_TYPE[f["formula"]["return_type"]], where
        elif dtype == "rollup_summary":
            assert f["json_type"] == FORMULA_JSON_TYPE[f["rollup_summary"]["return_type"]], where
        elif f["api_name"] == "Tag":
            assert (dtype, f["json_type"]) == ("text", "jsonarray"), where
        elif dtype in JSON_TYPE_OF:
            assert f["json_type"] == JSON_TYPE_OF[dtype], where


def test_lookup_targets_exist() -> None:
    modules = modules_by_name()
    count = 0
    for module, f in all_fields():
        where = (module, f["api_name"])
        if f["data_type"] in ("lookup", "ownerlookup", "userlookup"):
            target = f["lookup"]["module"]
            assert target["api_name"] in modules, where
            assert target["id"] == modules[target["api_name"]]["id"], where
            assert f["lookup"]["id"].isdigit(), where
            if f["data_type"] != "lookup":
                assert target["api_name"] == "Users", where
            count += 1
        else:
            assert f["lookup"] == {}, where
    assert count > 50


@pytest.mark.parametrize(
    ("module", "api_name", "target"),
    [
        ("Contacts", "Account_Name", "Accounts"), ("Contacts", "Vendor_Name", "Vendors"),
        ("Contacts", "Reporting_To", "Contacts"), ("Accounts", "Parent_Account", "Accounts"),
        ("Deals", "Account_Name", "Accounts"), ("Deals", "Contact_Name", "Contacts"),
        ("Deals", "Campaign_Source", "Campaigns"), ("Deals", "Reviewer", "Users"),
        ("Products", "Vendor_Name", "Vendors"), ("Quotes", "Deal_Name", "Deals"),
        ("Sales_Orders", "Quote_Name", "Quotes"), ("Invoices", "Sales_Order", "Sales_Orders"),
        ("Purchase_Orders", "Vendor_Name", "Vendors"), ("Cases", "Product_Name", "Products"),
        ("Cases", "Related_To", "Contacts"), ("Tasks", "Who_Id", "Contacts"),
        ("Events", "Who_Id", "Contacts"), ("Calls", "Who_Id", "Contacts"),
        ("Quoted_Items", "Product_Name", "Products"),
        ("Quoted_Items", "Parent_Id", "Quotes"), ("Campaigns", "Parent_Campaign", "Campaigns"),
        ("Leads", "Owner", "Users"), ("Leads", "Created_By", "Users"),
    ],
)  # fmt: skip
def test_realistic_lookups(module: str, api_name: str, target: str) -> None:
    assert field(module, api_name)["lookup"]["module"]["api_name"] == target


def test_standard_fields_on_every_default_module() -> None:
    for module in MODULES:
        by_name = {f["api_name"]: f for f in demo.fields_payload(module)["fields"]}
        if module == "Deals_X_Products":
            assert [f["data_type"] for f in by_name.values()] == ["lookup", "lookup"]
            continue
        if module == "Users":
            assert "Owner" not in by_name
            continue
        for audit in ("Created_By", "Modified_By"):
            assert by_name[audit]["data_type"] == "ownerlookup", (module, audit)
            assert by_name[audit]["read_only"] is True, (module, audit)
        for stamp in ("Created_Time", "Modified_Time"):
            assert by_name[stamp]["data_type"] == "datetime", (module, stamp)
            assert by_name[stamp]["read_only"] is True, (module, stamp)
        if module != "Quoted_Items":
            assert by_name["Owner"]["data_type"] == "ownerlookup", module
        assert sum(f["display_field"] for f in by_name.values()) == 1, module


def test_multi_module_lookups() -> None:
    names = set(MODULES)
    for module in ("Tasks", "Events", "Calls"):
        what = field(module, "What_Id")
        assert what["data_type"] == "multi_module_lookup"
        mml = what["multi_module_lookup"]
        assert mml["api_name"] == "What_Id"
        assert mml["display_label"] == "Related To"
        targets = [m["api_name"] for m in mml["modules"]]
        assert {"Leads", "Accounts", "Deals", "Cases"} <= set(targets)
        assert field(module, "$se_module")["data_type"] == "text"
    ids = {m["api_name"]: m["id"] for m in demo.modules_payload()["modules"]}
    for _, f in all_fields():
        if f["data_type"] == "multi_module_lookup":
            for target in f["multi_module_lookup"]["modules"]:
                assert target["api_name"] in names
                assert target["id"] == ids[target["api_name"]]
        else:
            assert f["multi_module_lookup"] == {}
    assert {"Leads", "Contacts", "Accounts", "Deals"} <= {
        m["api_name"] for m in field("Notes", "Parent_Id")["multi_module_lookup"]["modules"]
    }


def test_multiselect_lookup_and_linking_module() -> None:
    modules = modules_by_name()
    msl = field("Deals", "Related_Products")["multiselectlookup"]
    assert msl["linking_module"] == {"api_name": "Deals_X_Products", "id": modules["Deals_X_Products"]["id"]}
    assert msl["connected_module"] == {"api_name": "Products", "id": modules["Products"]["id"]}
    assert field("Deals_X_Products", msl["lookup_apiname"])["lookup"]["module"]["api_name"] == "Deals"
    connected = field("Deals_X_Products", msl["connectedlookup_apiname"])
    assert connected["lookup"]["module"]["api_name"] == "Products"


def test_subform_field() -> None:
    modules = modules_by_name()
    items = field("Quotes", "Quoted_Items")
    assert items["data_type"] == "subform"
    assert items["json_type"] == "jsonarray"
    assert items["associated_module"] == {"module": "Quoted_Items", "id": modules["Quoted_Items"]["id"]}


def test_picklists_have_values_and_others_do_not() -> None:
    for module, f in all_fields():
        where = (module, f["api_name"])
        values = f["pick_list_values"]
        if f["data_type"] in ("picklist", "multiselectpicklist"):
            assert values, where
            assert [v["sequence_number"] for v in values] == list(range(1, len(values) + 1)), where
            for v in values:
                assert v["display_value"] and v["actual_value"], where
                assert v["type"] == "used", where
                assert "colour_code" in v and "reference_value" in v, where
            if f["data_type"] == "multiselectpicklist":
                assert values[0]["display_value"] != "-None-", where
        else:
            assert values == [], where


def test_real_picklist_values() -> None:
    status = [v["display_value"] for v in field("Leads", "Lead_Status")["pick_list_values"]]
    assert status[0] == "-None-"
    assert "Not Contacted" in status and "Pre-Qualified" in status
    stage = [v["actual_value"] for v in field("Deals", "Stage")["pick_list_values"]]
    assert stage[0] == "Qualification" and "Closed Won" in stage
    languages = [v["actual_value"] for v in field("Leads", "Languages_Spoken")["pick_list_values"]]
    assert languages == ["English", "German", "French", "Spanish", "Hindi", "Japanese", "Arabic"]


def test_currency_and_numeric_fields() -> None:
    for module, f in all_fields():
        where = (module, f["api_name"])
        if f["data_type"] == "currency":
            assert f["decimal_place"] == 2, where
            assert f["currency"] == {"rounding_option": "normal", "precision": 2}, where
        elif f["data_type"] in ("text", "picklist", "lookup", "date", "boolean"):
            assert f["currency"] == {} and f["decimal_place"] is None, where
    assert field("Deals", "Probability")["data_type"] == "percent"
    assert field("Products", "Qty_in_Stock")["data_type"] == "double"
    assert field("Leads", "No_of_Employees")["json_type"] == "integer"
    assert field("Leads", "Customer_Number")["data_type"] == "bigint"


def test_textarea_is_not_filterable() -> None:
    description = field("Leads", "Description")
    assert description["textarea"] == {"type": "large"}
    for module, f in all_fields():
        if f["data_type"] == "textarea":
            assert f["filterable"] is False, (module, f["api_name"])
        else:
            assert f["textarea"] is None, (module, f["api_name"])


def test_formulas_rollups_and_autonumbers() -> None:
    returns = {f["formula"]["return_type"] for _, f in all_fields() if f["data_type"] == "formula"}
    assert {"currency", "double", "string", "date"} <= returns
    rollup = field("Accounts", "Total_Deal_Amount")
    assert rollup["rollup_summary"]["return_type"] == "currency"
    assert rollup["rollup_summary"]["based_on_module"]["api_name"] == "Deals"
    case_number = field("Cases", "Case_Number")
    assert case_number["data_type"] == "autonumber"
    assert case_number["read_only"] is True
    assert set(case_number["auto_number"]) == {"prefix", "suffix", "start_number", "starting_number_length"}
    for _, f in all_fields():
        assert bool(f["formula"]) == (f["data_type"] == "formula")
        assert bool(f["rollup_summary"]) == (f["data_type"] == "rollup_summary")
        assert bool(f["auto_number"]) == (f["data_type"] == "autonumber")


def test_encrypted_and_reserved_word_fields() -> None:
    encrypted = {(m, f["api_name"]) for m, f in all_fields() if f["crypt"] is not None}
    assert encrypted == {("Contacts", "Passport_Number"), ("Contacts", "Credit_Score")}
    assert field("Contacts", "Passport_Number")["crypt"] == {"mode": "encryption", "status": 1}
    assert field("Contacts", "Credit_Score")["data_type"] == "integer"
    external = field("Accounts", "External")
    assert external["custom_field"] is True
    assert external["data_type"] == "text"


def test_users_fields_are_lower_case() -> None:
    names = {f["api_name"] for f in demo.fields_payload("Users")["fields"]}
    assert {"first_name", "last_name", "full_name", "email", "status", "role", "profile"} <= names
    assert [v["actual_value"] for v in field("Users", "status")["pick_list_values"]] == ["active", "inactive"]


def test_consent_and_special_types() -> None:
    assert field("Leads", "Data_Processing_Basis_Details")["data_type"] == "consent_lookup"
    assert field("Contacts", "Data_Processing_Basis_Details")["json_type"] == "jsonobject"
    assert field("Leads", "Record_Image")["data_type"] == "profileimage"
    assert field("Accounts", "Territories")["data_type"] == "territories"
    assert field("Products", "Product_Photo")["data_type"] == "imageupload"
    assert field("Deals", "Contract_File")["data_type"] == "fileupload"
