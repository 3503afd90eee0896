"""The sandbox's record generator: deterministic, consistent, realistic rows for any catalog."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coqlkit.catalog import Catalog, FieldType, demo
from coqlkit.sandbox.seed import plan_counts, populate, record_id
from coqlkit.sandbox.store import MODULE_SUFFIX, Store, quote_name

F = FieldType
RECORDS = 1500
DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
DATE = re.compile(r"\d{4}-\d\d-\d\d")
FIRST, LAST = "2023-01-01T00:00:00", "2026-06-30T23:59:59"


def digest(store: Store) -> str:
    """A hash of every row of every table (ordered by id), and of the info table."""
    h = hashlib.sha256()
    for module in sorted(m.api_name for m in store.modules()):
        for row in store.query(f"SELECT * FROM {quote_name(module)} ORDER BY id"):
            h.update(repr(row).encode())
    for row in store.query("SELECT * FROM _sandbox_info ORDER BY key"):
        h.update(repr(row).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict[str, int]]]:
    store = Store(tmp_path_factory.mktemp("seed") / "org.sqlite3", Catalog.demo())
    counts = populate(store, records=RECORDS, seed=7)
    yield store, counts
    store.close()


@pytest.fixture(scope="module")
def store(org: tuple[Store, dict[str, int]]) -> Store:
    return org[0]


def rows(store: Store, module: str, *columns: str) -> list[tuple[Any, ...]]:
    cols = ", ".join(quote_name(c) for c in columns)
    return list(store.query(f"SELECT {cols} FROM {quote_name(module)} ORDER BY id"))


def column(store: Store, module: str, name: str) -> list[Any]:
    return [r[0] for r in rows(store, module, name)]


def ids(store: Store, module: str) -> set[int]:
    return set(column(store, module, "id"))


# ---- ids and counts ----------------------------------------------------------------------------


def test_record_ids_are_19_digits_unique_across_modules_and_increasing() -> None:
    made = [record_id(m, n) for m in (0, 1, 18, 9998) for n in (0, 1, 2, 199_999, 10**8 - 2)]
    assert all(len(str(i)) == 19 for i in made)
    assert len(set(made)) == len(made)
    assert record_id(3, 0) < record_id(3, 1) < record_id(3, 1000)
    for bad in ((-1, 0), (9999, 0), (0, -1), (0, 10**8)):
        with pytest.raises(ValueError, match="no record id"):
            record_id(*bad)


def test_plan_counts_demo_proportions() -> None:
    counts = plan_counts(Catalog.demo(), 200_000, demo=True)
    assert counts["Leads"] == 200_000
    assert counts["Contacts"] == 80_000 and counts["Accounts"] == 40_000 and counts["Deals"] == 60_000
    assert counts["Quoted_Items"] == 3 * counts["Quotes"] and counts["Deals_X_Products"] == counts["Deals"]
    assert counts["Users"] == 10 + 200_000 // 2500
    small = plan_counts(Catalog.demo(), 100, demo=True)
    assert small["Products"] == 20 and small["Campaigns"] == 10 and small["Vendors"] == 10
    assert min(small.values()) >= 5
    assert set(counts) == {m.api_name for m in Catalog.demo() if m.fields is not None}


def test_plan_counts_other_orgs_get_records_everywhere() -> None:
    counts = plan_counts(Catalog.demo(), 700, demo=False)
    assert {n for m, n in counts.items() if m != "Users"} == {700} and counts["Users"] == 10
    with pytest.raises(ValueError, match="records"):
        plan_counts(Catalog.demo(), -1, demo=True)


def test_counts_follow_the_plan_and_info_is_recorded(org: tuple[Store, dict[str, int]]) -> None:
    store, counts = org
    assert counts == plan_counts(store.catalog, RECORDS, demo=True)
    assert {m: store.count(m) for m in counts} == counts
    assert store.info("seed") == "7" and store.info("records") == str(RECORDS)
    first_user = min(ids(store, "Users"))
    assert store.info("current_user") == str(first_user)
    assert rows(store, "Users", "full_name", "profile")[0] == ("Asha Raman", "Administrator")


def test_ids_are_unique_across_the_whole_database(store: Store) -> None:
    every = [i for m in store.modules() for i in ids(store, m.api_name)]
    assert len(every) == len(set(every)) == sum(store.count(m.api_name) for m in store.modules())
    assert {len(str(i)) for i in every} == {19}


# ---- determinism -------------------------------------------------------------------------------

CHILD = """
import sys
from coqlkit.catalog import Catalog
from coqlkit.sandbox.seed import populate
from coqlkit.sandbox.store import Store
sys.path.insert(0, {tests!r})
from test_seed import digest
store = Store({path!r}, Catalog.demo())
populate(store, records=400, seed=3)
print(digest(store))
store.close()
"""


def test_same_inputs_give_identical_tables_in_another_process(tmp_path: Path) -> None:
    here = Store(":memory:", Catalog.demo())
    populate(here, records=400, seed=3)
    child = CHILD.format(tests=str(Path(__file__).parent), path=str(tmp_path / "child.sqlite3"))
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == digest(here)
    other = Store(":memory:", Catalog.demo())
    populate(other, records=400, seed=4)
    assert digest(other) != digest(here)
    here.close()
    other.close()


# ---- lookups -----------------------------------------------------------------------------------


def test_every_lookup_points_at_an_existing_record(store: Store) -> None:
    checked = 0
    for module in store.modules():
        for col in store.columns(module.api_name):
            field = col.field
            if field.type is F.CONSENT_LOOKUP:
                assert set(column(store, module.api_name, col.name)) == {None}  # no Consents module
            elif field.is_lookup and col.name == field.api_name:
                values = {v for v in column(store, module.api_name, col.name) if v is not None}
                assert values, f"{module.api_name}.{field.api_name} is always null"
                assert values <= ids(store, field.lookup_module or ""), f"{module.api_name}.{field.api_name}"
                checked += 1
    assert checked > 60


def test_multi_module_lookups_name_their_module(store: Store) -> None:
    for module, name in (
        ("Tasks", "What_Id"),
        ("Events", "What_Id"),
        ("Calls", "What_Id"),
        ("Notes", "Parent_Id"),
    ):
        field = store.catalog.module(module).fields[name]  # type: ignore[union-attr]
        seen = Counter()
        for rid, target, se_module in rows(store, module, name, name + MODULE_SUFFIX, "$se_module"):
            assert se_module == target
            if rid is None:
                assert target is None
                continue
            assert target in field.modules
            assert rid in ids(store, target)
            seen[target] += 1
        assert len(seen) >= 5, seen
        if module == "Notes":
            assert None not in column(store, module, name)  # mandatory


def test_self_lookups_point_to_earlier_records(store: Store) -> None:
    for module, name in (
        ("Accounts", "Parent_Account"),
        ("Contacts", "Reporting_To"),
        ("Users", "Reporting_To"),
    ):
        pairs = [(i, p) for i, p in rows(store, module, "id", name) if p is not None]
        assert pairs and all(p < i for i, p in pairs)


def test_linked_records_agree(store: Store) -> None:
    contact_account = dict(rows(store, "Contacts", "id", "Account_Name"))
    deals = rows(store, "Deals", "Contact_Name", "Account_Name")
    agree = [a == contact_account[c] for c, a in deals if c is not None and contact_account[c] is not None]
    assert agree and all(agree)
    deal_account = dict(rows(store, "Deals", "id", "Account_Name"))
    quotes = rows(store, "Quotes", "Deal_Name", "Account_Name")
    assert all(a == deal_account[d] for d, a in quotes if d is not None and deal_account[d] is not None)


# ---- values ------------------------------------------------------------------------------------


def test_picklist_values_come_from_the_field(store: Store) -> None:
    for module in store.modules():
        for field in (module.fields or {}).values():
            if field.value_type not in (F.PICKLIST, F.MULTISELECTPICKLIST):
                continue
            allowed = set(field.picklist_values) - {"-None-"}
            values = [v for v in column(store, module.api_name, field.api_name) if v is not None]
            if field.value_type is F.PICKLIST:
                assert set(values) <= allowed, f"{module.api_name}.{field.api_name}"
                continue
            for value in values:
                parts = value.split(";")
                assert 1 <= len(parts) <= 3 and len(set(parts)) == len(parts) and set(parts) <= allowed


def test_common_picklist_values_are_common(store: Store) -> None:
    statuses = Counter(column(store, "Leads", "Lead_Status"))
    assert statuses["Not Contacted"] > 2 * statuses["Junk Lead"]
    assert Counter(column(store, "Calls", "Call_Type")).most_common(1)[0][0] == "Outbound"


def test_dates_and_datetimes_are_in_storage_form(store: Store) -> None:
    for module in store.modules():
        for field in (module.fields or {}).values():
            pattern = {F.DATETIME: DATETIME, F.DATE: DATE}.get(field.value_type)
            if pattern is None:
                continue
            for value in column(store, module.api_name, field.api_name):
                assert value is None or pattern.fullmatch(value), (
                    f"{module.api_name}.{field.api_name}: {value}"
                )


def test_created_before_modified_before_now(store: Store) -> None:
    for module in store.modules():
        created = "created_time" if module.api_name == "Users" else "Created_Time"
        if module.fields is None or created not in module.fields:
            continue
        for c, m in rows(store, module.api_name, created, "Modified_Time"):
            assert FIRST <= c <= m <= LAST, module.api_name
    times = column(store, "Leads", "Created_Time")
    assert times == sorted(times)  # ids increase with creation time, as in Zoho
    assert min(times) < "2024-01-01" and max(times) > "2026-01-01"


def test_events_end_after_they_start(store: Store) -> None:
    events = rows(store, "Events", "Start_DateTime", "End_DateTime", "All_day")
    assert all(start < end for start, end, _ in events)
    assert {a for _, _, a in events} == {0, 1}


def test_deal_stage_probability_and_amounts_agree(store: Store) -> None:
    deals = rows(store, "Deals", "Stage", "Probability", "Amount", "Weighted_Amount", "Expected_Revenue",
                 "Reason_For_Loss__s", "Closing_Date")  # fmt: skip
    stages = Counter()
    for stage, prob, amount, weighted, expected, reason, closing in deals:
        stages[stage] += 1
        if stage == "Closed Won":
            assert prob == 100
        elif stage.startswith("Closed"):
            assert prob == 0
        else:
            assert 0 < prob < 100 and reason is None
        if stage.startswith("Closed"):
            assert closing <= LAST[:10]
        if amount is not None:
            assert weighted == expected == round(amount * prob / 100, 2)
    assert stages["Closed Won"] and stages["Closed Lost"] and stages["Qualification"]


def test_line_items_add_up(store: Store) -> None:
    items = rows(store, "Quoted_Items", "Parent_Id", "Sequence_Number", "Quantity", "List_Price", "Discount", "Tax",
                 "Total", "Total_After_Discount", "Net_Total", "id")  # fmt: skip
    per_quote: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for item in items:
        parent, _, qty, price, discount, tax, total, after, net, _ = item
        assert total == round(qty * price, 2)
        assert after == round(total - discount, 2)
        assert net == pytest.approx(qty * price - discount + tax, abs=0.011)
        per_quote[parent].append(item)
    assert set(per_quote) == ids(store, "Quotes")  # every quote has line items
    for quote, sub, disc, tax, adj, grand, sub_items in rows(
        store, "Quotes", "id", "Sub_Total", "Discount", "Tax", "Adjustment", "Grand_Total", "Quoted_Items"
    ):
        mine = per_quote[quote]
        assert [i[1] for i in mine] == list(range(1, len(mine) + 1))
        assert sub == pytest.approx(sum(i[8] for i in mine), abs=0.011)
        assert grand == round(sub - disc + tax + adj, 2)
        assert [int(x["id"]) for x in json.loads(sub_items)] == [i[9] for i in mine]


def test_linking_rows_are_unique_and_match_the_multiselect_lookup(store: Store) -> None:
    pairs = rows(store, "Deals_X_Products", "Deal", "Product", "id")
    assert len({(d, p) for d, p, _ in pairs}) == len(pairs)
    linked: dict[int, list[int]] = defaultdict(list)
    for deal, product, _ in pairs:
        linked[deal].append(product)
    for deal, related in rows(store, "Deals", "id", "Related_Products"):
        got = [int(x["Product"]["id"]) for x in json.loads(related)] if related else []
        assert got == linked.get(deal, [])
        assert related is None or all(x["Product"]["name"] for x in json.loads(related))


def test_account_rollups_are_computed_from_deals(store: Store) -> None:
    amounts: dict[int, float] = defaultdict(float)
    for account, amount in rows(store, "Deals", "Account_Name", "Amount"):
        if account is not None:
            amounts[account] += amount or 0
    for account, total in rows(store, "Accounts", "id", "Total_Deal_Amount"):
        assert total == pytest.approx(amounts.get(account, 0), abs=0.01)


def test_realistic_people_and_companies(store: Store) -> None:
    people = rows(
        store, "Leads", "First_Name", "Last_Name", "Full_Name", "Email", "Email_Opt_Out", "Unsubscribed_Time"
    )
    email = re.compile(r"[a-z0-9.]+@[a-z0-9-]+(\.[a-z]+)+")
    for first, last, full, mail, opt_out, unsubscribed in people:
        assert full == (f"{first} {last}" if first else last)
        assert mail is None or email.fullmatch(mail)
        assert (unsubscribed is not None) == bool(opt_out)
    assert 0.02 < sum(p[4] for p in people) / len(people) < 0.15  # opting out is rare
    names = column(store, "Accounts", "Account_Name")
    assert len(set(names)) == len(names)
    revenue = [v for v in column(store, "Leads", "Annual_Revenue") if v is not None]
    assert all(v > 0 and v % 1000 == 0 for v in revenue) and max(revenue) > 20 * min(revenue)


def test_numbers_have_their_places_and_ranges(store: Store) -> None:
    for module in store.modules():
        for field in (module.fields or {}).values():
            values = [v for v in column(store, module.api_name, field.api_name) if v is not None]
            if field.value_type is F.CURRENCY:
                assert all(round(v, 2) == v for v in values), f"{module.api_name}.{field.api_name}"
            elif field.value_type is F.PERCENT:
                assert all(0 <= v <= 100 for v in values), f"{module.api_name}.{field.api_name}"
            elif field.value_type is F.BOOLEAN:
                assert set(values) <= {0, 1}


def test_json_columns_hold_json(store: Store) -> None:
    for module, name in (("Accounts", "Territories"), ("Leads", "Tag"), ("Deals", "Contract_File"),
                         ("Products", "Product_Photo"), ("Leads", "Layout")):  # fmt: skip
        values = [json.loads(v) for v in column(store, module, name) if v is not None]
        assert values, f"{module}.{name}"
        assert all(x for x in values)
    tags = [[t["name"] for t in json.loads(v)] for v in column(store, "Leads", "Tag") if v is not None]
    assert all(len(set(t)) == len(t) for t in tags) and {len(t) for t in tags} == {1, 2}


def mandatory() -> Iterator[tuple[str, str]]:
    for module in demo.module_names():
        for field in demo.fields_payload(module)["fields"]:
            if field["system_mandatory"]:
                yield module, field["api_name"]


def test_mandatory_fields_are_never_null(store: Store) -> None:
    required = list(mandatory())
    assert len(required) > 30
    for module, name in required:
        assert None not in column(store, module, name), f"{module}.{name}"


@pytest.mark.parametrize(
    ("module", "name", "low", "high"),
    [("Leads", "Fax", 0.65, 0.85), ("Leads", "Description", 0.35, 0.55), ("Leads", "Email", 0.05, 0.2),
     ("Contacts", "Mailing_City", 0.1, 0.3), ("Deals", "Campaign_Source", 0.7, 0.9), ("Leads", "Salutation", 0.15, 0.35)],
)  # fmt: skip
def test_optional_fields_are_null_in_realistic_shares(
    store: Store, module: str, name: str, low: float, high: float
) -> None:
    values = column(store, module, name)
    assert low <= values.count(None) / len(values) <= high


# ---- another org -------------------------------------------------------------------------------


def fld(api: str, dtype: str, **extra: Any) -> dict[str, Any]:
    return {"api_name": api, "data_type": dtype, "field_label": api.replace("_", " "), **extra}


def picks(*values: str) -> list[dict[str, str]]:
    return [{"display_value": v, "actual_value": v} for v in ("-None-", *values)]


def to(module: str) -> dict[str, Any]:
    return {"module": {"api_name": module}}


EVERY_TYPE = [
    fld("Name", "text"), fld("Notes", "textarea"), fld("Contact_Email", "email"), fld("Hotline", "phone"),
    fld("Homepage", "website"), fld("Phase", "picklist", pick_list_values=picks("Plan", "Build", "Run")),
    fld("Skills", "multiselectpicklist", pick_list_values=picks("SQL", "Python", "Go", "Rust")),
    fld("Headcount", "integer"), fld("Big_Number", "bigint"), fld("Ratio", "double"), fld("Budget", "currency"),
    fld("Done", "percent"), fld("Weight", "decimal", decimal_place=3), fld("Active", "boolean"),
    fld("Kickoff", "date"), fld("Last_Sync", "datetime"), fld("Client", "lookup", lookup=to("Clients")),
    fld("Owner", "ownerlookup", lookup=to("Users")), fld("Sponsor", "userlookup", lookup=to("Users")),
    fld("Helpers", "multiuserlookup"), fld("Tools", "multiselectlookup", multiselectlookup={"linking_module": {"api_name": "Project_Clients"}}),
    fld("Regarding", "multi_module_lookup", multi_module_lookup={"modules": [{"api_name": "Clients"}, {"api_name": "Projects"}]}),
    fld("Consent", "consent_lookup"), fld("Score", "formula", formula={"return_type": "double"}),
    fld("Spent", "rollup_summary", rollup_summary={"return_type": "currency"}), fld("Ref", "autonumber"),
    fld("Avatar", "profileimage"), fld("Photos", "imageupload"), fld("Files", "fileupload"),
    fld("Territories", "territories"), fld("Tasks_List", "subform"), fld("Layout", "layout"),
    fld("Email", "integer"),  # a known name with another type: the generic path serves it
    fld("Stage", "picklist", pick_list_values=picks("Idea", "Closed Won")),  # a known name, other values
    fld("Parent_Project", "lookup", lookup=to("Projects")),
]  # fmt: skip


def other_org() -> Catalog:
    kinds = (("Projects", "custom"), ("Clients", "custom"), ("Users", "default"), ("Archive", "custom"),
             ("Tasks_List", "subform"), ("Project_Clients", "linking"))  # fmt: skip
    modules = {"modules": [{"api_name": m, "generated_type": g} for m, g in kinds]}
    fields = {
        "Projects": {"fields": EVERY_TYPE},
        "Clients": {
            "fields": [
                fld("Client_Name", "text"),
                fld("City", "text"),
                fld("Zip_Code", "text"),
                fld("Parent", "lookup", lookup=to("Clients")),
                fld("Birth_Date", "date"),
            ]
        },
        "Users": {"fields": [fld("full_name", "text"), fld("email", "email")]},
        "Tasks_List": {
            "fields": [
                fld("Parent_Id", "lookup", lookup=to("Projects")),
                fld("Task", "text"),
                fld("Hours", "double"),
            ]
        },
        "Project_Clients": {
            "fields": [
                fld("Project", "lookup", lookup=to("Projects")),
                fld("Client", "lookup", lookup=to("Clients")),
            ]
        },
        "Archive": None,  # fields not loaded: no table
    }
    return Catalog.from_payloads(modules, fields)


def test_another_org_fills_every_table_from_types(tmp_path: Path) -> None:
    catalog = other_org()
    store = Store(tmp_path / "other.sqlite3", catalog)
    assert {FieldType.of(f["data_type"]) for f in EVERY_TYPE} == set(FieldType)
    counts = populate(store, records=300, seed=1)
    assert counts == {"Projects": 300, "Clients": 300, "Users": 10, "Tasks_List": 300, "Project_Clients": 300}
    assert {m: store.count(m) for m in counts} == counts
    projects = {f["api_name"]: column(store, "Projects", f["api_name"]) for f in EVERY_TYPE}
    assert projects["Ref"][:2] == ["PRO-0001", "PRO-0002"]
    assert None not in projects["Name"] and None not in projects["Owner"]
    assert set(projects["Phase"]) <= {"Plan", "Build", "Run", None} and set(projects["Stage"]) <= {
        "Idea",
        "Closed Won",
        None,
    }
    assert all(isinstance(v, int) for v in projects["Email"] if v is not None)
    assert all(p is None or set(p.split(";")) <= {"SQL", "Python", "Go", "Rust"} for p in projects["Skills"])
    assert {v for v in projects["Client"] if v} <= ids(store, "Clients")
    assert {v for v in projects["Sponsor"] if v} <= ids(store, "Users")
    assert set(projects["Consent"]) == {None}
    assert {json.loads(v)["name"] for v in projects["Layout"]} == {"Standard"}  # a known name: realistic
    items: dict[int, list[int]] = defaultdict(list)
    for parent, item in rows(store, "Tasks_List", "Parent_Id", "id"):
        items[parent].append(item)
    for project, tasks, tools in rows(store, "Projects", "id", "Tasks_List", "Tools"):
        assert [int(t["id"]) for t in json.loads(tasks or "[]")] == items.get(project, [])
        assert all(t["Client"]["id"] and t["Client"]["name"] for t in json.loads(tools or "[]"))
    links = rows(store, "Project_Clients", "Project", "Client")
    assert None not in {x for pair in links for x in pair} and len(set(links)) == len(links)
    for name in ("Photos", "Files", "Territories", "Helpers"):
        assert all(isinstance(json.loads(v), list) for v in projects[name] if v is not None), name
    assert all(DATETIME.fullmatch(v) for v in projects["Last_Sync"] if v) and all(
        DATE.fullmatch(v) for v in projects["Kickoff"] if v
    )
    assert all(0 <= v <= 100 for v in projects["Done"] if v is not None)
    assert all(round(v, 3) == v for v in projects["Weight"] if v is not None)
    regarding = rows(store, "Projects", "Regarding", "Regarding" + MODULE_SUFFIX)
    assert {m for _, m in regarding} <= {"Clients", "Projects", None}
    assert all(rid in ids(store, m) for rid, m in regarding if rid is not None)
    parents = rows(store, "Projects", "id", "Parent_Project")
    assert all(p < i for i, p in parents if p is not None)
    again = Store(":memory:", catalog)
    populate(again, records=300, seed=1)
    assert digest(again) == digest(store)
    store.close()
    again.close()
