"""What Check checks of a request before it reads it: the key first, then the query and path
parameters, then a JSON body. Refusals that carry a ``requestId`` take it here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...auth import Verdict, judge
from ...specs import MISSING, Memo
from .. import NO_BODY, Call
from .errors import CheckError, validation_error

if TYPE_CHECKING:
    from ...context import Context

KEY = re.compile(r"Bearer vfy_[A-Za-z0-9_-]+")
_FORMED = Memo(size=256)  # Authorization header -> whether it has Check's key format


def request_id(ctx: Context) -> str:
    """A new ``req_…`` ID for an error body."""
    return "req_" + ctx.ids.next("check.request")[:12]


def bad_request(ctx: Context, message: str) -> CheckError:
    """400 ``bad_request`` with a request ID."""
    return CheckError(400, "bad_request", message, request_id=request_id(ctx))


def authorize(ctx: Context, call: Call) -> None:
    """Refuse a missing, malformed, unknown or forbidden key (401, 403), as the scenarios'
    auth settings say."""
    auth = call.headers.get("authorization")
    key = auth[7:].strip() if auth and auth.lower().startswith("bearer ") else auth
    verdict = judge(ctx.auth(), key, well_formed=_well_formed(auth))
    if verdict is Verdict.OK:
        return
    if verdict is Verdict.FORBIDDEN:
        message = "This API key may not use the Batch API"
        raise CheckError(403, "forbidden", message, request_id=request_id(ctx))
    if verdict is Verdict.MISSING:
        message = "API key is required. Include it in the Authorization header as 'Bearer vfy_...'"
    else:
        message = "Invalid API key. Send 'Authorization: Bearer vfy_...' with an active key"
    raise CheckError(401, "unauthorized", message, request_id=request_id(ctx))


def _well_formed(auth: str | None) -> bool:
    """Whether an Authorization header has Check's key format (remembered: clients send the
    same one every time)."""
    if not auth:
        return False
    found: bool = _FORMED.find(auth)
    if found is MISSING:
        found = _FORMED.keep(auth, KEY.fullmatch(auth) is not None)
    return found


def check_parameters(ctx: Context, call: Call) -> None:
    """422 for a query or path parameter that breaks the spec, or a query parameter the
    operation does not declare."""
    if not call.query and not call.violations:  # a poll, usually
        return
    declared = {p.name for p in call.operation.parameters if p.location == "query"}
    fields = [
        {"field": v.path, "message": v.message}
        for v in call.violations
        if v.location in ("query", "path")
    ]
    fields += [
        {"field": name, "message": "Unknown query parameter"}
        for name in call.query
        if name not in declared
    ]
    if fields:
        raise validation_error(fields, request_id(ctx))


def json_body(ctx: Context, call: Call) -> dict[str, Any]:
    """The request's JSON object: 400 when it is not JSON (or not sent as JSON), 422 when it is
    not an object."""
    for v in call.violations:
        if v.location == "header" and v.keyword == "contentType":
            raise bad_request(ctx, "Content-Type must be application/json")
        if v.keyword == "json":
            raise bad_request(ctx, f"Request body is {v.message}")
    if call.json is NO_BODY:
        raise bad_request(ctx, "Request body is required")
    if not isinstance(call.json, dict):
        fields = [{"field": "body", "message": "Must be an object"}]
        raise validation_error(fields, request_id(ctx))
    return call.json


def page(call: Call, default_limit: int) -> tuple[int, int]:
    """(limit, offset) from the query (already checked against the spec)."""
    limit = call.arg("limit")
    offset = call.arg("offset")
    return (int(limit) if limit else default_limit), (int(offset) if offset else 0)
