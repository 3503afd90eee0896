"""Field and module metadata of a deterministic demo Zoho CRM org.

The payloads have the shapes Zoho CRM API v8 returns:

* :func:`modules_payload` is the body of ``GET /crm/v8/settings/modules`` (``{"modules": [...]}``);
* :func:`fields_payload` is the body of ``GET /crm/v8/settings/fields?module=<module>``
  (``{"fields": [...]}``);
* :func:`module_names` lists the module API names in payload order.

The org holds the standard modules (Leads ... Users), the ``Quoted_Items`` subform of Quotes and the
linking module ``Deals_X_Products`` behind the multi-select lookup ``Deals.Related_Products``. Between
them the fields cover every data type the COQL tooling has to know about (see ``DATA_TYPES``), plus a
few traps: encrypted fields (``Contacts.Passport_Number``, ``Contacts.Credit_Score``), a custom field
named after an SQL reserved word (``Accounts.External``) and Zoho's quirks (``Events`` is called
``Meetings`` in ``module_name``; Users fields are lower case).

The data is written as compact tables (one line per field) and expanded by helper functions. Ids are
digit strings taken from one counter in a fixed order, so every call returns the same payload; each call
returns a fresh deep copy that the caller may mutate. Like Zoho, the fields payloads do not list ``id``.
Stdlib only.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any, NamedTuple, TypedDict, cast

__all__ = ["DATA_TYPES", "fields_payload", "module_names", "modules_payload"]

JSON = dict[str, Any]

_ID_PREFIX = "4150868000000"
_FIRST_ID = 2000
_MODIFIED_TIME = "2024-11-05T10:15:30+05:30"
_ADMIN_NAME = "Asha Raman"
_CURRENCY = {"rounding_option": "normal", "precision": 2}
_TEXTAREA_LENGTHS = {"small": 2000, "large": 32000, "rich_text": 50000}

#: Every ``data_type`` value the demo org uses at least once.
DATA_TYPES: tuple[str, ...] = (
    "text", "textarea", "email", "phone", "website", "picklist", "multiselectpicklist", "integer",
    "bigint", "double", "currency", "percent", "decimal", "boolean", "date", "datetime", "lookup",
    "ownerlookup", "userlookup", "multiselectlookup", "multi_module_lookup", "consent_lookup", "formula",
    "rollup_summary", "autonumber", "profileimage", "imageupload", "fileupload", "territories", "subform",
    "layout",
)  # fmt: skip

# json_type per data_type; formula and rollup_summary use their return type ("string" included for that).
_JSON_TYPES: dict[str, str] = {
    "text": "string", "textarea": "string", "email": "string", "phone": "string", "website": "string",
    "picklist": "string", "autonumber": "string", "bigint": "string", "date": "string",
    "datetime": "string", "profileimage": "string", "string": "string",
    "integer": "integer",
    "double": "double", "currency": "double", "percent": "double", "decimal": "double",
    "boolean": "boolean",
    "lookup": "jsonobject", "ownerlookup": "jsonobject", "userlookup": "jsonobject",
    "multi_module_lookup": "jsonobject", "consent_lookup": "jsonobject", "layout": "jsonobject",
    "multiselectpicklist": "jsonarray", "multiselectlookup": "jsonarray", "subform": "jsonarray",
    "territories": "jsonarray", "fileupload": "jsonarray", "imageupload": "jsonarray",
}  # fmt: skip

_LENGTHS: dict[str, int] = {
    "text": 255, "email": 100, "phone": 30, "website": 255, "picklist": 120, "multiselectpicklist": 2000,
    "integer": 9, "bigint": 19, "double": 16, "currency": 16, "percent": 5, "decimal": 16, "boolean": 5,
    "date": 20, "datetime": 120, "autonumber": 120, "formula": 16, "rollup_summary": 16,
}  # fmt: skip
_DEFAULT_LENGTH = 120

_NUMERIC = frozenset({"double", "currency", "percent", "decimal"})
_USER_LOOKUPS = frozenset({"ownerlookup", "userlookup"})
_NOT_FILTERABLE = frozenset(
    {"textarea", "imageupload", "fileupload", "multiselectlookup", "subform", "territories", "layout"}
)
_NOT_SORTABLE = frozenset(
    {"textarea", "multiselectpicklist", "multiselectlookup", "subform", "territories", "imageupload",
     "fileupload", "profileimage", "consent_lookup", "layout"}
)  # fmt: skip
_NOT_SEARCHABLE = frozenset(
    {"subform", "multiselectlookup", "territories", "imageupload", "fileupload", "profileimage",
     "formula", "rollup_summary", "consent_lookup", "layout"}
)  # fmt: skip
_VIRTUAL = frozenset({"subform", "multiselectlookup"})


# --------------------------------------------------------------------------------------------- tables


class _Opts(TypedDict, total=False):
    """Per-field options of a table row; everything not given takes the data type's default."""

    length: int
    to: str  # lookup / userlookup target module (ownerlookup and userlookup default to Users)
    values: Sequence[str]  # picklist values
    none: bool  # prepend "-None-" (default: True for picklist, False for multiselectpicklist)
    ro: bool  # read_only (default True for formula, rollup_summary, autonumber)
    req: bool  # system_mandatory
    custom: bool  # custom field (created_source "crm")
    name: bool  # the module's display field
    returns: str  # formula / rollup_summary return type
    expr: str  # formula expression
    places: int  # decimal places of a numeric field
    modules: Sequence[str]  # multi_module_lookup modules
    prefix: str  # autonumber prefix
    start: int  # autonumber start number
    crypt: bool  # encrypted field
    json_type: str  # override (Tag is text with json_type jsonarray)
    sortable: bool
    textarea: str  # small | large | rich_text
    subform: str  # the subform module of a subform field
    rollup: tuple[str, str, str, JSON | None]  # function, field, related module, criteria
    linking: tuple[str, str, str, str]  # linking module, connected module, lookup, connected lookup


class _Row(NamedTuple):
    api: str
    label: str
    dtype: str
    opts: _Opts


def _f(api: str, label: str, dtype: str, **opts: Any) -> _Row:
    # The keys are those of _Opts (typing.Unpack would say so, but needs Python 3.11).
    return _Row(api, label, dtype, cast(_Opts, opts))


class _Module(NamedTuple):
    api: str
    module_name: str
    singular: str
    plural: str
    generated: str = "default"
    parent: str | None = None
    customised: bool = False  # modified by the demo admin (else modified_by is null)


_MODULES: tuple[_Module, ...] = (
    _Module("Leads", "Leads", "Lead", "Leads", customised=True),
    _Module("Contacts", "Contacts", "Contact", "Contacts", customised=True),
    _Module("Accounts", "Accounts", "Account", "Accounts", customised=True),
    _Module("Deals", "Deals", "Deal", "Deals", customised=True),
    _Module("Tasks", "Tasks", "Task", "Tasks"),
    _Module("Events", "Meetings", "Meeting", "Meetings"),
    _Module("Calls", "Calls", "Call", "Calls"),
    _Module("Notes", "Notes", "Note", "Notes"),
    _Module("Products", "Products", "Product", "Products", customised=True),
    _Module("Quotes", "Quotes", "Quote", "Quotes"),
    _Module("Sales_Orders", "SalesOrders", "Sales Order", "Sales Orders"),
    _Module("Purchase_Orders", "PurchaseOrders", "Purchase Order", "Purchase Orders"),
    _Module("Invoices", "Invoices", "Invoice", "Invoices", customised=True),
    _Module("Campaigns", "Campaigns", "Campaign", "Campaigns"),
    _Module("Cases", "Cases", "Case", "Cases", customised=True),
    _Module("Vendors", "Vendors", "Vendor", "Vendors"),
    _Module("Users", "Users", "User", "Users"),
    _Module("Quoted_Items", "Quoted_Items", "Quoted Item", "Quoted Items", "subform", parent="Quotes"),
    _Module("Deals_X_Products", "Deals_X_Products", "Deals X Products", "Deals X Products", "linking",
            customised=True),
)  # fmt: skip

# Picklist values (Zoho's defaults where Zoho ships a list).
_LEAD_SOURCE = (
    "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store", "X (Twitter)",
    "Facebook", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Internal Seminar",
    "Trade Show", "Web Download", "Web Research", "Chat",
)  # fmt: skip
_LEAD_STATUS = (
    "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead", "Not Contacted",
    "Pre-Qualified", "Not Qualified",
)  # fmt: skip
_INDUSTRY = (
    "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
    "Government/Military", "Large Enterprise", "ManagementISV", "MSP (Management Service Provider)",
    "Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
    "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
    "Wireless Industry",
)  # fmt: skip
_RATING = ("Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down")
_SALUTATION = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")
_UNSUBSCRIBED_MODE = ("Consent form", "Manual", "Unsubscribe link", "Zoho Campaigns")
_LANGUAGES = ("English", "German", "French", "Spanish", "Hindi", "Japanese", "Arabic")
_INTERESTS = ("Webinars", "Product Updates", "Case Studies", "Events", "Newsletters", "Partnerships")
_ACCOUNT_TYPE = (
    "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other", "Partner",
    "Press", "Prospect", "Reseller", "Supplier", "Vendor",
)  # fmt: skip
_OWNERSHIP = (
    "Other", "Private", "Public", "Subsidiary", "Partnership", "Government", "Privately Held",
    "Public Company",
)  # fmt: skip
_SUPPORT_TIER = ("Bronze", "Silver", "Gold", "Platinum")
_DEAL_STAGE = (
    "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
    "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost", "Closed-Lost to Competition",
)  # fmt: skip
_DEAL_TYPE = ("Existing Business", "New Business")
_LOSS_REASON = ("Lost to Competitor", "Price", "No Budget", "Missing Features", "No Decision", "Other")
_PIPELINE = ("Standard (Standard)",)
_TASK_STATUS = ("Not Started", "Deferred", "In Progress", "Completed", "Waiting for input")
_TASK_PRIORITY = ("High", "Highest", "Low", "Lowest", "Normal")
_CALL_TYPE = ("Outbound", "Inbound", "Missed")
_CALL_PURPOSE = ("Prospecting", "Administrative", "Negotiation", "Demo", "Project", "Desk")
_CALL_RESULT = (
    "Interested", "Not interested", "No response/Busy", "Requested more info", "Requested call back",
    "Invalid number",
)  # fmt: skip
_CALL_STATUS = ("Scheduled", "Completed", "Overdue", "Cancelled")
_PRODUCT_CATEGORY = ("Hardware", "Software", "CRM Applications")
_MANUFACTURER = ("AltvetPet Inc.", "LexPon Inc.", "MetBeat Corp.")
_USAGE_UNIT = (
    "Box", "Carton", "Dozen", "Each", "Hours", "Impressions", "Lb", "M", "Pack", "Pages", "Pieces",
    "Quantity", "Reams", "Sheet", "Spiral Binder", "Sq Ft",
)  # fmt: skip
_PRODUCT_TAX = ("Sales Tax", "VAT", "Service Tax")
_QUOTE_STAGE = ("Draft", "Negotiation", "Delivered", "On Hold", "Confirmed", "Closed Won", "Closed Lost")
_CARRIER = ("FedEX", "UPS", "USPS", "DHL", "BlueDart")
_ORDER_STATUS = ("Created", "Approved", "Delivered", "Cancelled")
_INVOICE_STATUS = ("Created", "Approved", "Delivered", "Paid", "Cancelled")
_CAMPAIGN_TYPE = (
    "Advertisement", "Banner Ads", "Conference", "Direct mail", "Email", "Partner", "Public Relations",
    "Referral Program", "Telemarketing", "Trade Show", "Webinar", "Others",
)  # fmt: skip
_CAMPAIGN_STATUS = ("Planning", "Active", "Inactive", "Complete")
_CASE_STATUS = ("New", "On Hold", "Escalated", "Closed")
_CASE_PRIORITY = ("High", "Medium", "Low")
_CASE_ORIGIN = ("Email", "Phone", "Web")
_CASE_TYPE = ("Question", "Problem", "Feature Request")
_CASE_REASON = (
    "User did not attend any training", "Complex functionality", "Existing problem",
    "Instructions not clear", "New problem",
)  # fmt: skip
_GL_ACCOUNT = (
    "Sales-Software", "Sales-Hardware", "Rental-Income", "Interest-Income", "Sales-Software-Support",
    "Sales Other", "Interest Sales", "Service-Hardware Labor",
)  # fmt: skip
_USER_STATUS = ("active", "inactive")

# Modules a polymorphic What_Id / Notes.Parent_Id can point to.
_WHAT_ID_MODULES = (
    "Leads", "Accounts", "Deals", "Products", "Quotes", "Sales_Orders", "Purchase_Orders", "Invoices",
    "Campaigns", "Vendors", "Cases",
)  # fmt: skip
_NOTE_PARENT_MODULES = ("Leads", "Contacts", *_WHAT_ID_MODULES[1:])


def _owner(label: str) -> _Row:
    return _f("Owner", label, "ownerlookup")


def _audit(*, last_activity: bool = False) -> list[_Row]:
    rows = [
        _f("Created_By", "Created By", "ownerlookup", ro=True),
        _f("Modified_By", "Modified By", "ownerlookup", ro=True),
        _f("Created_Time", "Created Time", "datetime", ro=True),
        _f("Modified_Time", "Modified Time", "datetime", ro=True),
    ]
    if last_activity:
        rows.append(_f("Last_Activity_Time", "Last Activity Time", "datetime", ro=True))
    return rows


def _tag() -> _Row:
    """Zoho lists tags as a text field whose JSON value is an array."""
    return _f("Tag", "Tag", "text", json_type="jsonarray", length=2000, sortable=False)


def _record_meta() -> list[_Row]:
    """Tag plus the v8 system fields for record locking and change tracking."""
    return [
        _tag(),
        _f("Locked__s", "Locked", "boolean", ro=True),
        _f("Change_Log_Time__s", "Change Log Time", "datetime", ro=True),
    ]


def _address(prefix: str, zip_api: str) -> list[_Row]:
    p, lp = (f"{prefix}_", f"{prefix} ") if prefix else ("", "")
    return [
        _f(f"{p}Street", f"{lp}Street", "text", length=250),
        _f(f"{p}City", f"{lp}City", "text", length=100),
        _f(f"{p}State", f"{lp}State", "text", length=100),
        _f(zip_api, zip_api.replace("_", " "), "text", length=30),
        _f(f"{p}Country", f"{lp}Country", "text", length=100),
    ]


def _activity_links() -> list[_Row]:
    """Who_Id, the polymorphic What_Id and $se_module shared by Tasks, Events and Calls."""
    return [
        _f("Who_Id", "Contact Name", "lookup", to="Contacts"),
        _f("What_Id", "Related To", "multi_module_lookup", modules=_WHAT_ID_MODULES),
        _f("$se_module", "Related Module", "text", length=120),
    ]


def _inventory_totals() -> list[_Row]:
    return [
        _f("Sub_Total", "Sub Total", "currency", ro=True),
        _f("Discount", "Discount", "currency"),
        _f("Tax", "Tax", "currency"),
        _f("Adjustment", "Adjustment", "currency"),
        _f("Grand_Total", "Grand Total", "currency", ro=True),
        _f("Terms_and_Conditions", "Terms and Conditions", "textarea", textarea="small"),
        _f("Description", "Description", "textarea", textarea="large"),
        *_audit(),
        _tag(),
    ]


_FIELDS: dict[str, list[_Row]] = {
    "Leads": [
        _owner("Lead Owner"),
        _f("Company", "Company", "text", length=200),
        _f("Salutation", "Salutation", "picklist", values=_SALUTATION),
        _f("First_Name", "First Name", "text", length=40),
        _f("Last_Name", "Last Name", "text", length=80, req=True),
        _f("Full_Name", "Full Name", "text", length=120, ro=True, name=True),
        _f("Designation", "Title", "text", length=100),
        _f("Email", "Email", "email"),
        _f("Secondary_Email", "Secondary Email", "email"),
        _f("Phone", "Phone", "phone"),
        _f("Mobile", "Mobile", "phone"),
        _f("Fax", "Fax", "phone"),
        _f("Website", "Website", "website"),
        _f("Skype_ID", "Skype ID", "text", length=50),
        _f("Twitter", "Twitter", "text", length=50),
        _f("Lead_Source", "Lead Source", "picklist", values=_LEAD_SOURCE),
        _f("Lead_Status", "Lead Status", "picklist", values=_LEAD_STATUS),
        _f("Industry", "Industry", "picklist", values=_INDUSTRY),
        _f("No_of_Employees", "No. of Employees", "integer"),
        _f("Annual_Revenue", "Annual Revenue", "currency"),
        _f("Rating", "Rating", "picklist", values=_RATING),
        _f("Email_Opt_Out", "Email Opt Out", "boolean"),
        _f("Unsubscribed_Mode", "Unsubscribed Mode", "picklist", values=_UNSUBSCRIBED_MODE, ro=True),
        _f("Unsubscribed_Time", "Unsubscribed Time", "datetime", ro=True),
        *_address("", "Zip_Code"),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Record_Image", "Lead Image", "profileimage"),
        _f("Layout", "Layout", "layout"),
        _f("Data_Processing_Basis_Details", "Data Processing Basis Details", "consent_lookup"),
        _f("Converted__s", "Is Converted", "boolean", ro=True),
        _f("Converted_Date_Time", "Converted Date Time", "datetime", ro=True),
        _f("Lead_Conversion_Time", "Lead Conversion Time", "integer", ro=True),
        _f("Days_Visited", "Days Visited", "integer", ro=True),
        _f("Visitor_Score", "Visitor Score", "bigint", ro=True),
        _f("Average_Time_Spent_Minutes", "Average Time Spent (Minutes)", "double", ro=True),
        _f("First_Visited_Time", "First Visited Time", "datetime", ro=True),
        _f("Languages_Spoken", "Languages Spoken", "multiselectpicklist", values=_LANGUAGES, custom=True),
        _f("Customer_Number", "Customer Number", "bigint", custom=True),
        *_audit(last_activity=True),
        *_record_meta(),
    ],
    "Contacts": [
        _owner("Contact Owner"),
        _f("Lead_Source", "Lead Source", "picklist", values=_LEAD_SOURCE),
        _f("Salutation", "Salutation", "picklist", values=_SALUTATION),
        _f("First_Name", "First Name", "text", length=40),
        _f("Last_Name", "Last Name", "text", length=80, req=True),
        _f("Full_Name", "Full Name", "text", length=120, ro=True, name=True),
        _f("Account_Name", "Account Name", "lookup", to="Accounts"),
        _f("Vendor_Name", "Vendor Name", "lookup", to="Vendors"),
        _f("Reporting_To", "Reporting To", "lookup", to="Contacts"),
        _f("Email", "Email", "email"),
        _f("Secondary_Email", "Secondary Email", "email"),
        _f("Title", "Title", "text", length=100),
        _f("Department", "Department", "text", length=30),
        _f("Phone", "Phone", "phone"),
        _f("Home_Phone", "Home Phone", "phone"),
        _f("Other_Phone", "Other Phone", "phone"),
        _f("Mobile", "Mobile", "phone"),
        _f("Fax", "Fax", "phone"),
        _f("Assistant", "Assistant", "text", length=30),
        _f("Asst_Phone", "Asst Phone", "phone"),
        _f("Date_of_Birth", "Date of Birth", "date"),
        _f("Email_Opt_Out", "Email Opt Out", "boolean"),
        _f("Skype_ID", "Skype ID", "text", length=50),
        _f("Twitter", "Twitter", "text", length=50),
        _f("Unsubscribed_Mode", "Unsubscribed Mode", "picklist", values=_UNSUBSCRIBED_MODE, ro=True),
        _f("Unsubscribed_Time", "Unsubscribed Time", "datetime", ro=True),
        *_address("Mailing", "Mailing_Zip"),
        *_address("Other", "Other_Zip"),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Record_Image", "Contact Image", "profileimage"),
        _f("Data_Processing_Basis_Details", "Data Processing Basis Details", "consent_lookup"),
        _f("Interests", "Interests", "multiselectpicklist", values=_INTERESTS, custom=True),
        _f("Passport_Number", "Passport Number", "text", length=50, custom=True, crypt=True),
        _f("Credit_Score", "Credit Score", "integer", custom=True, crypt=True),
        _f("Greeting", "Greeting", "formula", returns="string", custom=True, length=255,
           expr="Concat(${Contacts.Salutation},' ',${Contacts.Last Name})"),
        *_audit(last_activity=True),
        *_record_meta(),
    ],
    "Accounts": [
        _owner("Account Owner"),
        _f("Account_Name", "Account Name", "text", length=200, req=True, name=True),
        _f("Account_Site", "Account Site", "text", length=80),
        _f("Parent_Account", "Parent Account", "lookup", to="Accounts"),
        _f("Account_Number", "Account Number", "text", length=40),
        _f("Account_Type", "Account Type", "picklist", values=_ACCOUNT_TYPE),
        _f("Industry", "Industry", "picklist", values=_INDUSTRY),
        _f("Ownership", "Ownership", "picklist", values=_OWNERSHIP),
        _f("Rating", "Rating", "picklist", values=_RATING),
        _f("Phone", "Phone", "phone"),
        _f("Fax", "Fax", "phone"),
        _f("Website", "Website", "website"),
        _f("Ticker_Symbol", "Ticker Symbol", "text", length=30),
        _f("Employees", "Employees", "integer"),
        _f("Annual_Revenue", "Annual Revenue", "currency"),
        _f("SIC_Code", "SIC Code", "integer"),
        *_address("Billing", "Billing_Code"),
        *_address("Shipping", "Shipping_Code"),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Record_Image", "Account Image", "profileimage"),
        _f("Territories", "Territories", "territories"),
        _f("External", "External", "text", length=100, custom=True),
        _f("Support_Tier", "Support Tier", "picklist", values=_SUPPORT_TIER, custom=True),
        _f("Customer_Since", "Customer Since", "date", custom=True),
        _f("Credit_Limit", "Credit Limit", "currency", custom=True),
        _f("Total_Deal_Amount", "Total Deal Amount", "rollup_summary", returns="currency", custom=True,
           rollup=("SUM", "Amount", "Deals", None)),
        _f("Last_Won_Deal_Date", "Last Won Deal Date", "rollup_summary", returns="date", custom=True,
           rollup=("MAX", "Closing_Date", "Deals",
                   {"comparator": "equal", "field": {"api_name": "Stage"}, "value": "Closed Won"})),
        *_audit(last_activity=True),
        *_record_meta(),
    ],
    "Deals": [
        _owner("Deal Owner"),
        _f("Deal_Name", "Deal Name", "text", length=120, req=True, name=True),
        _f("Account_Name", "Account Name", "lookup", to="Accounts"),
        _f("Contact_Name", "Contact Name", "lookup", to="Contacts"),
        _f("Campaign_Source", "Campaign Source", "lookup", to="Campaigns"),
        _f("Amount", "Amount", "currency"),
        _f("Closing_Date", "Closing Date", "date", req=True),
        _f("Pipeline", "Pipeline", "picklist", values=_PIPELINE, none=False),
        _f("Stage", "Stage", "picklist", values=_DEAL_STAGE, none=False, req=True),
        _f("Type", "Type", "picklist", values=_DEAL_TYPE),
        _f("Probability", "Probability (%)", "percent"),
        _f("Expected_Revenue", "Expected Revenue", "currency", ro=True),
        _f("Next_Step", "Next Step", "text", length=100),
        _f("Lead_Source", "Lead Source", "picklist", values=_LEAD_SOURCE),
        _f("Reason_For_Loss__s", "Reason For Loss", "picklist", values=_LOSS_REASON),
        _f("Lead_Conversion_Time", "Lead Conversion Time", "integer", ro=True),
        _f("Sales_Cycle_Duration", "Sales Cycle Duration", "integer", ro=True),
        _f("Overall_Sales_Duration", "Overall Sales Duration", "integer", ro=True),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Territories", "Territories", "territories"),
        _f("Layout", "Layout", "layout"),
        _f("Reviewer", "Reviewer", "userlookup", custom=True),
        _f("Contract_File", "Contract File", "fileupload", custom=True),
        _f("Related_Products", "Related Products", "multiselectlookup", custom=True,
           linking=("Deals_X_Products", "Products", "Deal", "Product")),
        _f("Weighted_Amount", "Weighted Amount", "formula", returns="currency", custom=True,
           expr="${Deals.Amount}*${Deals.Probability (%)}/100"),
        _f("Follow_Up_Date", "Follow-up Date", "formula", returns="date", custom=True,
           expr="Adddate(${Deals.Closing Date},7,'DAY')"),
        *_audit(last_activity=True),
        *_record_meta(),
    ],
    "Tasks": [
        _owner("Task Owner"),
        _f("Subject", "Subject", "text", length=255, req=True, name=True),
        _f("Due_Date", "Due Date", "date"),
        *_activity_links(),
        _f("Status", "Status", "picklist", values=_TASK_STATUS, none=False),
        _f("Priority", "Priority", "picklist", values=_TASK_PRIORITY, none=False),
        _f("Send_Notification_Email", "Send Notification Email", "boolean"),
        _f("Closed_Time", "Closed Time", "datetime", ro=True),
        _f("Description", "Description", "textarea", textarea="large"),
        *_audit(),
        _tag(),
    ],
    "Events": [
        _owner("Host"),
        _f("Event_Title", "Title", "text", length=255, req=True, name=True),
        _f("Venue", "Location", "text", length=255),
        _f("All_day", "All day", "boolean"),
        _f("Start_DateTime", "From", "datetime", req=True),
        _f("End_DateTime", "To", "datetime", req=True),
        *_activity_links(),
        _f("Check_In_Time", "Check-In Time", "datetime", ro=True),
        _f("Check_In_Address", "Check-In Address", "text", length=255, ro=True),
        _f("Check_In_City", "Check-In City", "text", length=100, ro=True),
        _f("Description", "Description", "textarea", textarea="large"),
        *_audit(),
        _tag(),
    ],
    "Calls": [
        _owner("Call Owner"),
        _f("Subject", "Subject", "text", length=255, req=True, name=True),
        _f("Call_Type", "Call Type", "picklist", values=_CALL_TYPE, none=False, req=True),
        _f("Call_Purpose", "Call Purpose", "picklist", values=_CALL_PURPOSE),
        *_activity_links(),
        _f("Call_Start_Time", "Call Start Time", "datetime", req=True),
        _f("Call_Duration", "Call Duration", "text", length=10),
        _f("Call_Duration_in_seconds", "Call Duration (in seconds)", "integer", ro=True),
        _f("Outgoing_Call_Status", "Outgoing Call Status", "picklist", values=_CALL_STATUS, none=False,
           ro=True),
        _f("Call_Result", "Call Result", "picklist", values=_CALL_RESULT),
        _f("Call_Agenda", "Call Agenda", "text", length=255),
        _f("Caller_ID", "Caller ID", "phone"),
        _f("Dialled_Number", "Dialled Number", "phone"),
        _f("Description", "Description", "textarea", textarea="large"),
        *_audit(),
        _tag(),
    ],
    "Notes": [
        _owner("Note Owner"),
        _f("Note_Title", "Note Title", "text", length=120, name=True),
        _f("Note_Content", "Note Content", "textarea", textarea="large", req=True),
        _f("Parent_Id", "Parent ID", "multi_module_lookup", modules=_NOTE_PARENT_MODULES, req=True),
        _f("$se_module", "Parent Module", "text", length=120),
        *_audit(),
    ],
    "Products": [
        _owner("Product Owner"),
        _f("Product_Name", "Product Name", "text", length=120, req=True, name=True),
        _f("Product_Code", "Product Code", "text", length=40),
        _f("Product_Active", "Product Active", "boolean"),
        _f("Product_Category", "Product Category", "picklist", values=_PRODUCT_CATEGORY),
        _f("Manufacturer", "Manufacturer", "picklist", values=_MANUFACTURER),
        _f("Vendor_Name", "Vendor Name", "lookup", to="Vendors"),
        _f("Handler", "Handler", "userlookup"),
        _f("Sales_Start_Date", "Sales Start Date", "date"),
        _f("Sales_End_Date", "Sales End Date", "date"),
        _f("Support_Start_Date", "Support Start Date", "date"),
        _f("Support_Expiry_Date", "Support Expiry Date", "date"),
        _f("Unit_Price", "Unit Price", "currency"),
        _f("Commission_Rate", "Commission Rate", "percent"),
        _f("Tax", "Tax", "multiselectpicklist", values=_PRODUCT_TAX),
        _f("Taxable", "Taxable", "boolean"),
        _f("Usage_Unit", "Usage Unit", "picklist", values=_USAGE_UNIT),
        _f("Qty_Ordered", "Qty Ordered", "double", ro=True),
        _f("Qty_in_Stock", "Qty in Stock", "double"),
        _f("Qty_in_Demand", "Qty in Demand", "double", ro=True),
        _f("Reorder_Level", "Reorder Level", "integer"),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Record_Image", "Product Image", "profileimage"),
        _f("Product_Photo", "Product Photo", "imageupload", custom=True),
        _f("Weight_Kg", "Weight (kg)", "decimal", places=3, custom=True),
        *_audit(),
        *_record_meta(),
    ],
    "Quotes": [
        _owner("Quote Owner"),
        _f("Quote_Number", "Quote Number", "autonumber", prefix="QT-", start=1000),
        _f("Subject", "Subject", "text", length=120, req=True, name=True),
        _f("Deal_Name", "Deal Name", "lookup", to="Deals"),
        _f("Account_Name", "Account Name", "lookup", to="Accounts", req=True),
        _f("Contact_Name", "Contact Name", "lookup", to="Contacts"),
        _f("Quote_Stage", "Quote Stage", "picklist", values=_QUOTE_STAGE, none=False),
        _f("Valid_Till", "Valid Till", "date"),
        _f("Team", "Team", "text", length=100),
        _f("Carrier", "Carrier", "picklist", values=_CARRIER),
        *_address("Billing", "Billing_Code"),
        *_address("Shipping", "Shipping_Code"),
        _f("Quoted_Items", "Quoted Items", "subform", subform="Quoted_Items", req=True),
        *_inventory_totals(),
    ],
    "Sales_Orders": [
        _owner("Sales Order Owner"),
        _f("SO_Number", "SO Number", "autonumber", prefix="SO-", start=1000),
        _f("Subject", "Subject", "text", length=120, req=True, name=True),
        _f("Deal_Name", "Deal Name", "lookup", to="Deals"),
        _f("Quote_Name", "Quote Name", "lookup", to="Quotes"),
        _f("Account_Name", "Account Name", "lookup", to="Accounts", req=True),
        _f("Contact_Name", "Contact Name", "lookup", to="Contacts"),
        _f("Customer_No", "Customer No.", "text", length=120),
        _f("Purchase_Order", "Purchase Order", "text", length=100),
        _f("Due_Date", "Due Date", "date"),
        _f("Carrier", "Carrier", "picklist", values=_CARRIER),
        _f("Status", "Status", "picklist", values=_ORDER_STATUS),
        _f("Pending", "Pending", "text", length=100),
        _f("Excise_Duty", "Excise Duty", "currency"),
        _f("Sales_Commission", "Sales Commission", "currency"),
        *_address("Billing", "Billing_Code"),
        *_address("Shipping", "Shipping_Code"),
        *_inventory_totals(),
    ],
    "Purchase_Orders": [
        _owner("Purchase Order Owner"),
        _f("PO_Number", "PO Number", "autonumber", prefix="PO-", start=1000),
        _f("Subject", "Subject", "text", length=120, req=True, name=True),
        _f("Vendor_Name", "Vendor Name", "lookup", to="Vendors", req=True),
        _f("Contact_Name", "Contact Name", "lookup", to="Contacts"),
        _f("Requisition_No", "Requisition No", "text", length=100),
        _f("Tracking_Number", "Tracking Number", "text", length=100),
        _f("PO_Date", "PO Date", "date"),
        _f("Due_Date", "Due Date", "date"),
        _f("Carrier", "Carrier", "picklist", values=_CARRIER),
        _f("Status", "Status", "picklist", values=_ORDER_STATUS),
        _f("Excise_Duty", "Excise Duty", "currency"),
        _f("Sales_Commission", "Sales Commission", "currency"),
        *_address("Billing", "Billing_Code"),
        *_address("Shipping", "Shipping_Code"),
        *_inventory_totals(),
    ],
    "Invoices": [
        _owner("Invoice Owner"),
        _f("Invoice_Number", "Invoice Number", "autonumber", prefix="INV-", start=1000),
        _f("Subject", "Subject", "text", length=120, req=True, name=True),
        _f("Sales_Order", "Sales Order", "lookup", to="Sales_Orders"),
        _f("Deal_Name__s", "Deal Name", "lookup", to="Deals"),
        _f("Account_Name", "Account Name", "lookup", to="Accounts", req=True),
        _f("Contact_Name", "Contact Name", "lookup", to="Contacts"),
        _f("Invoice_Date", "Invoice Date", "date"),
        _f("Due_Date", "Due Date", "date"),
        _f("Purchase_Order", "Purchase Order", "text", length=100),
        _f("Status", "Status", "picklist", values=_INVOICE_STATUS),
        _f("Excise_Duty", "Excise Duty", "currency"),
        _f("Sales_Commission", "Sales Commission", "currency"),
        _f("Is_Overdue", "Is Overdue", "formula", returns="boolean", custom=True,
           expr="Datecomp(Now(),${Invoices.Due Date})>0"),
        *_address("Billing", "Billing_Code"),
        *_address("Shipping", "Shipping_Code"),
        *_inventory_totals(),
    ],
    "Campaigns": [
        _owner("Campaign Owner"),
        _f("Campaign_Name", "Campaign Name", "text", length=120, req=True, name=True),
        _f("Type", "Type", "picklist", values=_CAMPAIGN_TYPE),
        _f("Status", "Status", "picklist", values=_CAMPAIGN_STATUS),
        _f("Start_Date", "Start Date", "date"),
        _f("End_Date", "End Date", "date"),
        _f("Parent_Campaign", "Parent Campaign", "lookup", to="Campaigns"),
        _f("Expected_Revenue", "Expected Revenue", "currency"),
        _f("Budgeted_Cost", "Budgeted Cost", "currency"),
        _f("Actual_Cost", "Actual Cost", "currency"),
        _f("Expected_Response", "Expected Response", "integer"),
        _f("Num_sent", "Num sent", "integer"),
        _f("Description", "Description", "textarea", textarea="large"),
        *_audit(),
        _tag(),
    ],
    "Cases": [
        _owner("Case Owner"),
        _f("Case_Number", "Case Number", "autonumber", prefix="CS-", start=1000),
        _f("Subject", "Subject", "text", length=255, req=True, name=True),
        _f("Status", "Status", "picklist", values=_CASE_STATUS, none=False, req=True),
        _f("Priority", "Priority", "picklist", values=_CASE_PRIORITY),
        _f("Case_Origin", "Case Origin", "picklist", values=_CASE_ORIGIN, req=True),
        _f("Type", "Type", "picklist", values=_CASE_TYPE),
        _f("Case_Reason", "Case Reason", "picklist", values=_CASE_REASON),
        _f("Product_Name", "Product Name", "lookup", to="Products"),
        _f("Account_Name", "Account Name", "lookup", to="Accounts"),
        _f("Related_To", "Related To", "lookup", to="Contacts"),
        _f("Deal_Name", "Deal Name", "lookup", to="Deals"),
        _f("Reported_By", "Reported By", "text", length=120),
        _f("Email", "Email", "email"),
        _f("Phone", "Phone", "phone"),
        _f("No_of_comments", "No of comments", "integer", ro=True),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Internal_Comments", "Internal Comments", "textarea", textarea="small"),
        _f("Solution", "Solution", "textarea", textarea="small"),
        _f("Age_in_Days", "Age in Days", "formula", returns="double", custom=True,
           expr="Datecomp(Now(),${Cases.Created Time})/1440"),
        *_audit(),
        _tag(),
    ],
    "Vendors": [
        _owner("Vendor Owner"),
        _f("Vendor_Name", "Vendor Name", "text", length=120, req=True, name=True),
        _f("Email", "Email", "email"),
        _f("Phone", "Phone", "phone"),
        _f("Website", "Website", "website"),
        _f("GL_Account", "GL Account", "picklist", values=_GL_ACCOUNT),
        _f("Category", "Category", "text", length=100),
        *_address("", "Zip_Code"),
        _f("Description", "Description", "textarea", textarea="large"),
        _f("Record_Image", "Vendor Image", "profileimage"),
        *_audit(),
        _tag(),
    ],
    # Zoho's Users fields are lower case, apart from a few (Reporting_To, Modified_By, Modified_Time).
    "Users": [
        _f("first_name", "First Name", "text", length=40),
        _f("last_name", "Last Name", "text", length=50, req=True),
        _f("full_name", "Full Name", "text", length=120, ro=True, name=True),
        _f("email", "Email", "email", req=True),
        _f("phone", "Phone", "phone"),
        _f("mobile", "Mobile", "phone"),
        _f("fax", "Fax", "phone"),
        _f("website", "Website", "website"),
        _f("alias", "Alias", "text", length=40),
        _f("dob", "Date of Birth", "date"),
        _f("role", "Role", "text", length=120, req=True),
        _f("profile", "Profile", "text", length=120, req=True),
        _f("status", "Status", "picklist", values=_USER_STATUS, none=False, ro=True),
        _f("Reporting_To", "Reports To", "lookup", to="Users"),
        _f("street", "Street", "text", length=250),
        _f("city", "City", "text", length=100),
        _f("state", "State", "text", length=100),
        _f("zip", "Zip Code", "text", length=30),
        _f("country", "Country", "text", length=100),
        _f("time_zone", "Time Zone", "text", length=100),
        _f("language", "Language", "text", length=20),
        _f("locale", "Locale", "text", length=20),
        _f("Isonline", "Is Online", "boolean", ro=True),
        _f("created_by", "Created By", "ownerlookup", ro=True),
        _f("Modified_By", "Modified By", "ownerlookup", ro=True),
        _f("created_time", "Created Time", "datetime", ro=True),
        _f("Modified_Time", "Modified Time", "datetime", ro=True),
    ],
    "Quoted_Items": [
        _f("Parent_Id", "Parent Id", "lookup", to="Quotes", req=True),
        _f("Product_Name", "Product Name", "lookup", to="Products", req=True, name=True),
        _f("Sequence_Number", "Sequence Number", "integer"),
        _f("Quantity", "Quantity", "double", req=True),
        _f("List_Price", "List Price", "currency"),
        _f("Discount", "Discount", "currency"),
        _f("Tax", "Tax", "currency"),
        _f("Total", "Total", "currency", ro=True),
        _f("Total_After_Discount", "Total After Discount", "currency", ro=True),
        _f("Net_Total", "Net Total", "currency", ro=True),
        _f("Product_Description", "Description", "textarea", textarea="small"),
        *_audit(),
    ],
    "Deals_X_Products": [
        _f("Deal", "Deal", "lookup", to="Deals", req=True),
        _f("Product", "Product", "lookup", to="Products", req=True),
    ],
}  # fmt: skip


# ------------------------------------------------------------------------------------------- expansion


class _Context:
    """The id counter and module index used while one payload set is expanded."""

    def __init__(self) -> None:
        self._counter = _FIRST_ID
        self.module_ids: dict[str, str] = {}
        self.plurals = {m.api: m.plural for m in _MODULES}

    def new_id(self) -> str:
        self._counter += 1
        return f"{_ID_PREFIX}{self._counter:06d}"

    def module_ref(self, api_name: str) -> JSON:
        return {"api_name": api_name, "id": self.module_ids[api_name]}


def _module_json(ctx: _Context, spec: _Module, seq: int, admin: JSON) -> JSON:
    system = spec.api == "Users"
    subform = spec.generated == "subform"
    return {
        "api_name": spec.api,
        "module_name": spec.module_name,
        "singular_label": spec.singular,
        "plural_label": spec.plural,
        "id": ctx.module_ids[spec.api],
        "api_supported": True,
        "generated_type": spec.generated,
        "status": "visible",
        "visible": True,
        "visibility": 1,
        "sequence_number": seq,
        "creatable": not (system or subform),
        "editable": not (system or subform),
        "deletable": not (system or subform),
        "viewable": True,
        "convertable": spec.api == "Leads",
        "profiles": [],
        "parent_module": ctx.module_ref(spec.parent) if spec.parent else {},
        "modified_time": _MODIFIED_TIME,
        "modified_by": dict(admin) if spec.customised else None,
    }


def _pick_list(ctx: _Context, values: Sequence[str], with_none: bool) -> list[JSON]:
    shown = ["-None-", *values] if with_none else list(values)
    return [
        {"display_value": value, "actual_value": value, "reference_value": value, "id": ctx.new_id(),
         "sequence_number": seq, "type": "used", "colour_code": None}
        for seq, value in enumerate(shown, start=1)
    ]  # fmt: skip


def _field_json(ctx: _Context, module: str, row: _Row) -> JSON:
    api, label, dtype, o = row
    value_type = o.get("returns", dtype)
    if dtype == "textarea":
        length = _TEXTAREA_LENGTHS[o.get("textarea", "small")]
    else:
        length = o.get("length", _LENGTHS.get(dtype, _DEFAULT_LENGTH))
    read_only = o.get("ro", dtype in ("formula", "rollup_summary", "autonumber"))
    custom = o.get("custom", False)
    encrypted = o.get("crypt", False)
    field: JSON = {
        "api_name": api,
        "id": ctx.new_id(),
        "field_label": label,
        "display_label": label,
        "data_type": dtype,
        "json_type": o.get("json_type", _JSON_TYPES[value_type]),
        "length": length,
        "decimal_place": o.get("places", 2) if value_type in _NUMERIC else None,
        "currency": dict(_CURRENCY) if value_type == "currency" else {},
        "lookup": {},
        "multiselectlookup": {},
        "multi_module_lookup": {},
        "multiuserlookup": {},
        "pick_list_values": [],
        "formula": {},
        "rollup_summary": {},
        "auto_number": {},
        "associated_module": None,
        "crypt": {"mode": "encryption", "status": 1} if encrypted else None,
        "textarea": {"type": o.get("textarea", "small")} if dtype == "textarea" else None,
        "read_only": read_only,
        "field_read_only": read_only,
        "system_mandatory": o.get("req", False),
        "virtual_field": dtype in _VIRTUAL,
        "custom_field": custom,
        "display_field": o.get("name", False),
        "sortable": o.get("sortable", dtype not in _NOT_SORTABLE and not encrypted),
        "filterable": dtype not in _NOT_FILTERABLE,
        "searchable": dtype not in _NOT_SEARCHABLE and not encrypted,
        "visible": True,
        "unique": {},
        "external": None,
        "created_source": "crm" if custom else "default",
    }
    if dtype == "lookup" or dtype in _USER_LOOKUPS:
        target = o.get("to", "Users")
        field["lookup"] = {
            "module": ctx.module_ref(target),
            "display_label": ctx.plurals[module],
            "api_name": module,
            "id": ctx.new_id(),
        }
    elif dtype == "multi_module_lookup":
        field["multi_module_lookup"] = {
            "modules": [ctx.module_ref(m) for m in o["modules"]],
            "api_name": api,
            "display_label": label,
        }
    elif dtype == "multiselectlookup":
        linking, connected, lookup_api, connected_api = o["linking"]
        field["multiselectlookup"] = {
            "linking_module": ctx.module_ref(linking),
            "connected_module": ctx.module_ref(connected),
            "lookup_apiname": lookup_api,
            "connectedlookup_apiname": connected_api,
            "api_name": api,
            "display_label": label,
            "id": ctx.new_id(),
        }
    elif dtype in ("picklist", "multiselectpicklist"):
        field["pick_list_values"] = _pick_list(ctx, o["values"], o.get("none", dtype == "picklist"))
    elif dtype == "formula":
        field["formula"] = {"return_type": value_type, "expression": o["expr"]}
    elif dtype == "rollup_summary":
        function, of_field, related, criteria = o["rollup"]
        field["rollup_summary"] = {
            "return_type": value_type,
            "expression": {
                "function": function,
                "function_parameters": [{"api_name": of_field}],
                "criteria": copy.deepcopy(criteria),
            },
            "based_on_module": ctx.module_ref(related),
            "related_list": {"api_name": related, "id": ctx.new_id()},
            "rollup_based_on": "related_list",
        }
    elif dtype == "autonumber":
        start = o.get("start", 1)
        field["auto_number"] = {"prefix": o.get("prefix", ""), "suffix": "", "start_number": start,
                                "starting_number_length": 0}  # fmt: skip
    elif dtype == "subform":
        field["associated_module"] = {"module": o["subform"], "id": ctx.module_ids[o["subform"]]}
    return field


@functools.cache
def _payloads() -> tuple[JSON, dict[str, JSON]]:
    ctx = _Context()
    for spec in _MODULES:
        ctx.module_ids[spec.api] = ctx.new_id()
    admin: JSON = {"name": _ADMIN_NAME, "id": ctx.new_id()}
    modules = {"modules": [_module_json(ctx, spec, seq, admin) for seq, spec in enumerate(_MODULES, 1)]}
    fields = {
        spec.api: {"fields": [_field_json(ctx, spec.api, row) for row in _FIELDS[spec.api]]}
        for spec in _MODULES
    }
    return modules, fields


# ------------------------------------------------------------------------------------------------- API


def modules_payload() -> JSON:
    """The body of ``GET /crm/v8/settings/modules`` for the demo org (a fresh copy on every call)."""
    return copy.deepcopy(_payloads()[0])


def fields_payload(module: str) -> JSON:
    """The body of ``GET /crm/v8/settings/fields?module=<module>`` (a fresh copy on every call).

    ``module`` is a module API name as listed by :func:`module_names` (case-sensitive).

    Raises:
        KeyError: ``module`` is not a module of the demo org.
    """
    fields = _payloads()[1]
    if module not in fields:
        raise KeyError(module)
    return copy.deepcopy(fields[module])


def module_names() -> list[str]:
    """The API names of the demo org's modules, in the order of :func:`modules_payload`."""
    return [spec.api for spec in _MODULES]
