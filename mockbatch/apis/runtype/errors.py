"""Runtype's error shape, and every :class:`~mockbatch.errors.ApiError` rendered in it.

Errors are ``{"error": ..., "details"?: [{message, code?, path?, suggestion?}]}`` (Runtype's
``Error`` schema); the strings and codes are mockbatch's (Runtype publishes none).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import ApiError, MethodNotAllowed, NotFound
from .. import Reply


@dataclass(frozen=True, slots=True)
class Detail:
    """One entry of an error's ``details``."""

    message: str
    code: str = ""
    path: str = ""
    suggestion: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"message": self.message, "code": self.code, "path": self.path}
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return {k: v for k, v in out.items() if v}


class RuntypeError(ApiError):
    """A Runtype error: ``{"error": ..., "details"?: [...]}`` with an HTTP status."""

    def __init__(self, status: int, error: str, *details: Detail) -> None:
        super().__init__(status, error)
        self.items = details


def not_found(what: str, param: str, value: str) -> RuntypeError:
    """The 404 for an unknown batch, run or schedule, naming the path parameter."""
    return RuntypeError(
        404, f"{what} not found", Detail(f"no {what.lower()} with ID {value!r}", "NOT_FOUND", param)
    )


def error_reply(error: ApiError) -> Reply:
    """``error`` as Runtype's body: its own errors as raised, the generic ones translated."""
    headers: dict[str, str] = {}
    if isinstance(error, RuntypeError):
        status, text, details = error.status, error.message, list(error.items)
    elif isinstance(error, MethodNotAllowed):
        allowed = ", ".join(error.details.get("allow", []))
        status, text = 405, "Method not allowed"
        details = [Detail(f"{error.message}; allowed: {allowed}", "METHOD_NOT_ALLOWED")]
        headers["allow"] = allowed
    elif isinstance(error, NotFound):
        status, text = 404, "Not found"
        details = [Detail(error.message, "NOT_FOUND")]
    elif error.status == 413:
        status, text, details = 413, "Request body too large", [Detail(error.message)]
    elif 400 <= error.status < 600 and error.status != 500:  # injected faults, rate limits
        status, text, details = error.status, error.message, []
    else:
        status, text, details = 500, "Internal server error", []
    body: dict[str, Any] = {"error": text}
    if details:
        body["details"] = [d.to_json() for d in details]
    return Reply(status, body, headers)
