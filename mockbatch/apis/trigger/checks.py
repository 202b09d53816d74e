"""Trigger.dev's request checks, in the webapp's order and words: bodies, headers, queries.

The spec's violations (already in ``call.violations``) are worded the way the webapp's zod
schemas word them; a ``(path, keyword)`` a route checks itself is left to it (``lenient``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import wirejson
from ...errors import Violation
from ...specs import violations as schema_violations
from .. import NO_BODY
from .wire import MAX_TASK_ITEMS, MAX_TRIGGER_BODY, MAX_V2_ITEMS, RunStatus, TriggerError

if TYPE_CHECKING:
    from ...specs import Spec
    from .. import Call

Lenient = tuple[tuple[str, str], ...]
ITEM_COUNT: Lenient = (("items", "minItems"), ("items", "maxItems"))


def json_body(call: Call, spec: Spec, limit: int, *, lenient: Lenient) -> dict[str, Any]:
    """The apiBuilder's checks, in its order: size, headers, empty, JSON, body schema."""
    length = call.headers.get("content-length", "")
    if not length.isdigit() or int(length) > limit:
        raise TriggerError(413, "Request body too large")
    headers = [v for v in call.violations if v.location == "header" and v.keyword != "contentType"]
    if headers:
        raise TriggerError(400, "Headers Error", extra={"details": _details(headers)})
    if not call.body:
        raise TriggerError(400, "Request body is empty")
    body = parse(call, spec)
    if body is NO_BODY or (not body and not isinstance(body, (dict, list))):
        raise TriggerError(400, "Invalid JSON")  # JSON.parse failed or gave a falsy value
    if not isinstance(body, dict):
        raise TriggerError(400, f"Validation error: Expected object, received {_kind(body)}")
    problems = _body_violations(call, lenient)
    if problems:
        raise TriggerError(400, _zod_message(problems))
    return body


def one_shot_body(call: Call, spec: Spec) -> dict[str, Any]:
    """The body of ``/api/v2/tasks/batch`` and ``/api/v1/tasks/batch``: 1 to 500 items."""
    body = json_body(call, spec, MAX_TRIGGER_BODY, lenient=ITEM_COUNT)
    count = len(body.get("items", []))
    if count == 0:
        raise TriggerError(400, "Batch cannot be triggered with no items")
    if count > MAX_V2_ITEMS:
        raise TriggerError(
            400,
            f"Batch size of {count} is too large. Maximum allowed batch size is {MAX_V2_ITEMS}.",
        )
    return body


def task_batch_body(call: Call, spec: Spec) -> dict[str, Any]:
    """The body of ``/api/v1/tasks/{task}/batch`` (a loader route): 1 to 100 items."""
    if any(v.location == "header" and v.keyword != "contentType" for v in call.violations):
        raise TriggerError(400, "Invalid headers")
    body = parse(call, spec)
    items = body.get("items") if isinstance(body, dict) else None
    broken = _body_violations(call, ITEM_COUNT)
    if not isinstance(body, dict) or not isinstance(items, list) or broken:
        raise TriggerError(400, "Invalid request body")  # (NO_BODY, unparsable, is no dict)
    if not items:
        raise TriggerError(400, "No items to trigger")
    if len(items) > MAX_TASK_ITEMS:
        raise TriggerError(400, f"Too many items. Maximum allowed batch size is {MAX_TASK_ITEMS}.")
    return body


def parse(call: Call, spec: Spec) -> Any:
    """The JSON body, whatever its content type (as the provider reads it)."""
    if call.json is not NO_BODY:
        return call.json
    try:
        parsed = wirejson.loads(call.body)
    except ValueError:
        return NO_BODY
    where = [*call.operation.pointer, "requestBody", "content", "application/json", "schema"]
    call.violations[:] = [v for v in call.violations if v.location != "body"]
    call.violations.extend(schema_violations(spec.validator(where), parsed, "body"))
    return parsed


def run_statuses(call: Call) -> list[RunStatus] | None:
    """``filter[status]`` of a runs list, or the provider's 400 for the query's problems."""
    problems = [v for v in call.violations if v.location == "query"]
    statuses = split(call.arg("filter[status]"))
    unknown = [s for s in statuses or [] if s not in RunStatus.__members__]
    if unknown and not any(v.path == "filter[status]" for v in problems):
        message = f"Invalid status values: {', '.join(unknown)}"  # the provider's words
        problems.append(Violation("query", "filter[status]", message, "custom"))
    if problems:
        raise TriggerError(400, "Query Error", extra={"details": _details(problems)})
    return None if statuses is None else [RunStatus(s) for s in statuses]


def split(value: str | None) -> list[str] | None:
    """A comma-separated filter's values (None: no filter)."""
    return [part for part in value.split(",") if part] if value else None


def _body_violations(call: Call, lenient: Lenient) -> list[Violation]:
    return [
        v for v in call.violations if v.location == "body" and (v.path, v.keyword) not in lenient
    ]


def _details(violations: list[Violation]) -> list[dict[str, Any]]:
    return [
        {"code": v.keyword or "custom", "message": v.message, "path": [v.path] if v.path else []}
        for v in violations
    ]


def _zod_message(violations: list[Violation]) -> str:
    parts = [f'{v.message} at "{v.path}"' if v.path else v.message for v in violations]
    return "Validation error: " + "; ".join(parts)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number" if isinstance(value, (int, float)) else type(value).__name__
