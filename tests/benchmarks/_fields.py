"""The columns the read benchmarks fetch: 12 Leads fields of mixed types (text, picklist,
multi-select, currency, integer, bigint, datetime, boolean, an owner lookup)."""

FIELDS = (
    "Last_Name",
    "Email",
    "City",
    "Lead_Status",
    "Lead_Source",
    "Annual_Revenue",
    "No_of_Employees",
    "Customer_Number",
    "Created_Time",
    "Owner",
    "Email_Opt_Out",
    "Languages_Spoken",
)
