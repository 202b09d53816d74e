"""The checks on a Runtype request: its key, a results request's paging, a submitted body.

Auth comes first, then the parameters, then the ID (README, "Runtype"); each failure is a
:class:`~.errors.RuntypeError` with one detail per problem.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...auth import Verdict, judge
from ...errors import Violation
from .. import Call
from .errors import Detail, RuntypeError
from .wire import Page

if TYPE_CHECKING:
    from ...context import Context

DOCS_KEY = "<apiKey>"  # the docs' curl lines send this placeholder as the key
DEFAULT_LIMIT = 10  # the docs' example answers a request without `limit` with limit 10
MAX_LIMIT = 100
MAX_OFFSET_DIGITS = 18
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CODES = {"required": "MISSING_REQUIRED_FIELD", "enum": "INVALID_ENUM", "type": "INVALID_TYPE"}


def authorize(ctx: Context, call: Call) -> None:
    """A bearer key (or the bare key, as the docs' curl sends it), judged by the scenario's
    auth mode: ``rt_…`` keys, or the docs' own placeholder ``<apiKey>``; 403 if forbidden."""
    raw = call.headers.get("authorization", "").strip()
    scheme, _, rest = raw.partition(" ")
    key = rest.strip() if scheme.lower() == "bearer" else ("" if rest else raw)
    settings = ctx.auth()
    also_forbidden = ctx.options().get("forbidden_keys")
    if also_forbidden:  # a scenario's own list, besides the auth settings'
        forbidden = frozenset((*settings.forbidden, *also_forbidden))
        settings = replace(settings, forbidden=forbidden)
    verdict = judge(settings, key, well_formed=key.startswith("rt_") or key == DOCS_KEY)
    if verdict is Verdict.FORBIDDEN:
        raise RuntypeError(
            403, "Forbidden", Detail("this API key may not access this resource", "FORBIDDEN")
        )
    if verdict is not Verdict.OK:
        reasons = {
            Verdict.MISSING: f"unsupported scheme {scheme!r}" if rest else "no API key",
            Verdict.MALFORMED: "not a Runtype API key (they start with rt_)",
            Verdict.UNKNOWN: "unknown API key",
        }
        raise RuntypeError(
            401,
            "Unauthorized",
            Detail(f"{reasons[verdict]}: send Authorization: Bearer <key>", "UNAUTHORIZED"),
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
