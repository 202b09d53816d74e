"""Runtype's error shape and the checks on a request: results paging, a submitted body.

Errors are ``{"error": ..., "details"?: [{message, code?, path?, suggestion?}]}`` (Runtype's
``Error`` schema); the strings and codes are mockbatch's (Runtype publishes none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError, Violation
from . import Call
from .runtype_render import Page

DEFAULT_LIMIT = 10  # the docs' example answers a request without `limit` with limit 10
MAX_LIMIT = 100
MAX_OFFSET_DIGITS = 18
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CODES = {"required": "MISSING_REQUIRED_FIELD", "enum": "INVALID_ENUM", "type": "INVALID_TYPE"}


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
    return RuntypeError(
        404, f"{what} not found", Detail(f"no {what.lower()} with ID {value!r}", "NOT_FOUND", param)
    )


def parse_page(call: Call) -> Page:
    """``limit``, ``offset`` and ``status`` of a results request; 400 listing every bad one."""
    details = []
    limit = _decimal(call.arg("limit"), DEFAULT_LIMIT)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        details.append(_bad("limit", call.arg("limit"), f"an integer from 1 to {MAX_LIMIT}"))
    offset = _decimal(call.arg("offset"), 0)
    if offset is None:
        details.append(_bad("offset", call.arg("offset"), "an integer from 0"))
    if details or limit is None or offset is None:
        raise RuntypeError(400, "Invalid query parameters", *details)
    return Page(limit=limit, offset=offset, status=call.arg("status"))


def _decimal(raw: str | None, default: int) -> int | None:
    if raw is None:
        return default
    if not _DECIMAL.fullmatch(raw) or len(raw) > MAX_OFFSET_DIGITS:
        return None
    return int(raw)


def _bad(name: str, raw: str | None, valid: str) -> Detail:
    return Detail(
        f"{name} must be {valid}, without sign or leading zeros; got {raw!r}",
        "INVALID_VALUE",
        name,
        f"{name}={DEFAULT_LIMIT if name == 'limit' else 0}",
    )


def valid_body(call: Call) -> dict[str, Any]:
    """The submitted body once it keeps the spec; else 400 with one detail per violation."""
    broken = [v for v in call.violations if v.location in ("body", "header")]
    if not broken and isinstance(call.json, dict):
        return call.json
    not_object = [v for v in broken if v.keyword == "type" and not v.path]
    broken = not_object or broken  # a body that is no object breaks nothing else worth saying
    raise RuntypeError(400, "Invalid request body", *[_detail(v) for v in broken])


def _detail(v: Violation) -> Detail:
    if v.keyword == "json":
        return Detail(f"the body is not JSON: {v.message}", "INVALID_JSON")
    if v.location == "header":
        return Detail(v.message, "INVALID_CONTENT_TYPE", v.path, "Content-Type: application/json")
    if v.keyword == "oneOf" and not v.path:
        return Detail(
            "exactly one of flowId, flowDefinition and agentId is required",
            "MISSING_REQUIRED_FIELD",
            "flowId",
        )
    if v.keyword == "anyOf" and not v.path:
        return Detail(
            "at least one record is required, in recordIds or records",
            "MISSING_REQUIRED_FIELD",
            "records",
        )
    if v.keyword == "required" and not v.path and v.message.startswith("a request body"):
        return Detail(v.message, "MISSING_REQUIRED_FIELD")
    return Detail(v.message, _CODES.get(v.keyword, "INVALID_VALUE"), v.path)
