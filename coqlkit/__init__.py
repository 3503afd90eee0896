"""coqlkit: Zoho CRM's COQL as if it were a database.

The stable API::

    >>> import coqlkit
    >>> q = coqlkit.parse("select Last_Name, Email from Leads where Lead_Status = :status")
    >>> coqlkit.render(coqlkit.bind(q, {"status": "Contacted"}))
    "select Last_Name, Email from Leads where Lead_Status = 'Contacted'"
    >>> [d.code for d in coqlkit.validate(q, coqlkit.Catalog.demo())]
    ['SYNTAX_ERROR']

Importing coqlkit loads only the language core (lark): the transport, Arrow and the
front ends are imported when first used.
"""

from coqlkit.catalog import Catalog, Field, FieldType, Module
from coqlkit.errors import (
    ApiError,
    AuthError,
    CatalogError,
    ConfigError,
    CoqlError,
    CoqlSyntaxError,
    CreditBudgetExceeded,
    ParameterError,
    RateLimited,
    RenderError,
    TransportError,
    ValidationError,
    ZohoApiError,
)
from coqlkit.language import bind, parse, render
from coqlkit.language.ast import Select
from coqlkit.validate import Diagnostic, ErrorLevel, Severity, validate

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthError",
    "Catalog",
    "CatalogError",
    "ConfigError",
    "CoqlError",
    "CoqlSyntaxError",
    "CreditBudgetExceeded",
    "Diagnostic",
    "ErrorLevel",
    "Field",
    "FieldType",
    "Module",
    "ParameterError",
    "RateLimited",
    "RenderError",
    "Select",
    "Severity",
    "TransportError",
    "ValidationError",
    "ZohoApiError",
    "bind",
    "parse",
    "render",
    "validate",
]
