"""COQL text ⇄ immutable AST: :func:`parse`, :func:`render`, :func:`bind`.

No I/O here: the package turns text into frozen dataclasses (``ast``), back into
the strict COQL Zoho accepts (``render``), and binds ``:name`` parameters.
"""

from coqlkit.language._build import AGGREGATES
from coqlkit.language.ast import (
    Aggregate,
    And,
    Between,
    Column,
    Comparison,
    Condition,
    Expression,
    FieldRef,
    In,
    IsNull,
    Like,
    Limit,
    Node,
    Number,
    Or,
    OrderItem,
    Param,
    Select,
    SelectItem,
    Source,
    Span,
    Star,
    String,
    Value,
)
from coqlkit.language.extensions import Extension, extensions
from coqlkit.language.params import bind, literal, parameters
from coqlkit.language.parser import parse
from coqlkit.language.render import quote, render, render_condition, render_field, render_value
from coqlkit.language.split import Statement, split_statements
from coqlkit.language.words import is_reserved

__all__ = [
    "AGGREGATES",
    "Aggregate",
    "And",
    "Between",
    "Column",
    "Comparison",
    "Condition",
    "Expression",
    "Extension",
    "FieldRef",
    "In",
    "IsNull",
    "Like",
    "Limit",
    "Node",
    "Number",
    "Or",
    "OrderItem",
    "Param",
    "Select",
    "SelectItem",
    "Source",
    "Span",
    "Star",
    "Statement",
    "String",
    "Value",
    "bind",
    "extensions",
    "is_reserved",
    "literal",
    "parameters",
    "parse",
    "quote",
    "render",
    "render_condition",
    "render_field",
    "render_value",
    "split_statements",
]
