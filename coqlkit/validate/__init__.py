"""Semantic checks of a parsed query against the org's metadata, before any credit is spent.

``validate(select, catalog)`` runs every rule and returns every diagnostic, errors first.
Without a catalog only the rules that need no metadata run.

The errors come in the order the reference infers Zoho checks a query (§11.3: limits,
duplicates, aliases, then the metadata: module, fields, operators, values); Zoho
documents no order. A function COQL does not have (``LOWER(x)``) comes before them all.
Within the metadata the order is coqlkit's own choice: the fields of every clause,
WHERE's operators and values, then the types of aggregates, grouping, ORDER BY and GROUP
BY, and each subquery where it stands. coqlkit's sandbox checks the types of aggregates
before WHERE; which of the two Zoho follows is unverified.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from coqlkit.catalog import Catalog
from coqlkit.errors import ValidationError
from coqlkit.language.ast import Select
from coqlkit.validate._context import Context
from coqlkit.validate.diagnostics import Diagnostic, ErrorLevel, Severity
from coqlkit.validate.rules_criteria import CRITERIA_RULES, allowed_operators
from coqlkit.validate.rules_fields import FIELD_RULES
from coqlkit.validate.rules_query import QUERY_RULES
from coqlkit.validate.syntax import explain_syntax_error, label_modules

__all__ = [
    "RULES",
    "Diagnostic",
    "ErrorLevel",
    "Severity",
    "allowed_operators",
    "check",
    "explain_syntax_error",
    "label_modules",
    "validate",
]

logger = logging.getLogger("coqlkit.validate")

#: Every rule, in the order the reference infers Zoho reports problems (§11.3, unverified):
#: limits, duplicates, aliases, then the module, its fields and the values compared with them.
RULES = (*QUERY_RULES, *FIELD_RULES[:3], *CRITERIA_RULES, *FIELD_RULES[3:])


def check(select: Select, catalog: Catalog | None = None) -> Iterator[Diagnostic]:
    """Run every rule on ``select`` and yield what they find, in rule order."""
    ctx = Context(select, catalog)
    for rule in RULES:
        yield from rule(ctx)


def validate(
    select: Select,
    catalog: Catalog | None = None,
    *,
    level: ErrorLevel = ErrorLevel.IGNORE,
    text: str | None = None,
) -> list[Diagnostic]:
    """Every diagnostic for ``select``: errors in the order Zoho would report them, then the rest.

    ``level=ErrorLevel.RAISE`` raises :class:`coqlkit.ValidationError` when there is an
    error; ``WARN`` logs them. ``text`` (the query; by default the text ``select`` was
    parsed from) lets messages quote the source with a caret.

    >>> from coqlkit.language import parse
    >>> [d.hint for d in validate(parse("select Emial from Leads"), Catalog.demo())]
    ['did you mean Email?']
    """
    found = list(check(select, catalog))
    found.sort(key=lambda d: _RANK[d.severity])
    text = text if text is not None else select.text
    errors = [d for d in found if d.is_error]
    if errors and level is ErrorLevel.RAISE:
        raise ValidationError(found, text)
    if errors and level is ErrorLevel.WARN:
        for d in errors:
            logger.warning("%s", d.format(text))
    return found


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
