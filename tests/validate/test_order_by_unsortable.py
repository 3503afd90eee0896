"""ORDER BY a field that cannot be sorted: an error for the types Zoho documents as
unsupported, a warning for a field the org's metadata marks ``sortable: false``."""

from __future__ import annotations

import pytest

from coqlkit import Catalog, parse, validate


# The types the reference names as unsupported (§2.3, §4) are errors; a field the metadata
# marks sortable: false (a file upload, an encrypted field) is a warning, since Zoho
# documents no refusal for it (coqlkit's sandbox refuses a file upload; Zoho is unverified).
@pytest.mark.parametrize(
    ("module", "field", "severity"),
    [
        ("Products", "Product_Photo", "error"),  # image upload
        ("Quotes", "Quoted_Items", "error"),  # subform
        ("Deals", "Related_Products", "error"),  # multi-select lookup
        ("Accounts", "Territories", "error"),
        ("Deals", "Contract_File", "warning"),  # file upload
        ("Contacts", "Credit_Score", "warning"),  # encrypted integer
    ],
)
def test_order_by_a_field_that_cannot_be_sorted(
    demo: Catalog, module: str, field: str, severity: str
) -> None:
    found = validate(parse(f"select id from {module} where id is not null order by {field}"), demo)
    assert [(d.code, d.severity.value) for d in found] == [("INVALID_QUERY", severity)]
    if severity == "warning":
        assert found[0].hint is not None and "sortable: false" in found[0].hint
