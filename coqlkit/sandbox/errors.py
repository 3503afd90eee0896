"""Zoho's error envelope: ``{"code", "details", "message", "status": "error"}``."""

from __future__ import annotations

from typing import Any

__all__ = ["STATUS", "ZohoError"]

# HTTP status Zoho answers each code with (reference §5, §7, §8).
STATUS = {
    "SYNTAX_ERROR": 400,
    "INVALID_QUERY": 400,
    "INVALID_DATA": 400,
    "LIMIT_EXCEEDED": 400,
    "DUPLICATE_DATA": 400,
    "INVALID_ALIAS": 400,
    "DUPLICATE_ALIAS": 400,
    "MANDATORY_NOT_FOUND": 400,
    "REQUIRED_PARAM_MISSING": 400,
    "INVALID_MODULE": 400,
    "INVALID_REQUEST_METHOD": 400,
    "INVALID_REQUEST": 400,
    "PAGE_RANGE_EXCEEDED": 400,
    "CRITERIA_LIMIT_EXCEEDED": 400,  # bulk read: more than 25 comparisons
    "VALUE_LIMIT_EXCEEDED_IN_CRITERIA": 400,  # bulk read: more than 200 values
    "INVALID_CRITERIA": 400,  # bulk read: malformed criteria, or a comparator it does not know
    "FIELD_AND_COMPARATOR_IN_CRITERIA_NOT_COMPATIBLE": 400,  # bulk read: comparator vs field type
    "FIELD_IN_CRITERIA_NOT_SUPPORTED": 400,  # bulk read: a field criteria cannot name
    "INVALID_TOKEN": 401,
    "AUTHENTICATION_FAILURE": 401,
    "OAUTH_SCOPE_MISMATCH": 401,
    "NO_PERMISSION": 403,
    "INVALID_URL_PATTERN": 404,
    "RESOURCE_NOT_FOUND": 404,
    "MEDIA_TYPE_NOT_SUPPORTED": 415,
    "TOO_MANY_REQUESTS": 429,
    "LIMIT_REACHED": 429,
    "INTERNAL_ERROR": 500,
}


class ZohoError(Exception):
    """An error the sandbox answers with, in Zoho's shape and with Zoho's HTTP status."""

    def __init__(
        self, code: str, message: str, details: dict[str, Any] | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.status = status if status is not None else STATUS.get(code, 400)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}
