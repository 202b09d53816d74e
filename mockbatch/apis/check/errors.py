"""Check's errors: ``{"error": {"code", "message", "details"?, "requestId"?}}``.

Validation errors list what broke in ``details`` as ``[{"field", "message"}]``, one entry per
JSON Schema error of the request, in words a client developer reads (``items[0].content:
Required field is missing``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ApiError, MethodNotAllowed, NotFound
from ...keypaths import key_path
from .. import Reply

if TYPE_CHECKING:
    import jsonschema

    from ...validators import Validator

Detail = dict[str, str]

FAULT_CODES = {  # injected faults and rate limits: Check's documented codes
    429: "rate_limited",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
_TYPES = {
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class CheckError(ApiError):
    """An error in Check's envelope; ``body`` replaces the envelope where the docs show
    another shape (the upload's parse failure)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[Detail] | None = None,
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.fields = fields or []
        self.request_id = request_id
        self.body = body
        self.headers: dict[str, str] = {}

    def render(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["details"] = self.fields
        if self.request_id:
            error["requestId"] = self.request_id
        return {"error": error}


def error_reply(error: ApiError) -> Reply:
    """Any error as Check's envelope: its own errors as they are, the mock's (405, 404, 413,
    injected faults, rate limits) with Check's codes, anything else as 500 ``internal_error``."""
    if isinstance(error, CheckError):
        return Reply(error.status, error.render(), error.headers)
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed):
        headers["allow"] = ", ".join(error.details.get("allow", []))
        body = {"error": {"code": "method_not_allowed", "message": error.message}}
        return Reply(405, body, headers)
    if isinstance(error, NotFound):
        return Reply(404, {"error": {"code": "not_found", "message": error.message}}, headers)
    if error.status == 413:
        message = "Request body exceeds the server's maximum size"
        return Reply(413, {"error": {"code": "payload_too_large", "message": message}}, headers)
    code = FAULT_CODES.get(error.status)
    if code is not None:
        found: dict[str, Any] = {"code": code, "message": error.message}
        if "retry_after" in error.details:
            found["retryAfter"] = error.details["retry_after"]
        return Reply(error.status, {"error": found}, headers)
    body = {"error": {"code": "internal_error", "message": "Internal server error"}}
    return Reply(500, body, headers)


def not_found(what: str = "Batch") -> CheckError:
    return CheckError(404, "not_found", f"{what} not found")


def validation_error(fields: list[Detail], request_id: str, status: int = 422) -> CheckError:
    """422 ``validation_error``; the message names the first problem."""
    first = fields[0]
    return CheckError(
        status,
        "validation_error",
        f"{first['field']}: {first['message']}",
        fields=fields,
        request_id=request_id,
    )


def schema_details(validator: Validator, instance: Any) -> list[Detail]:
    """Every way ``instance`` breaks the schema, as ``{"field", "message"}`` entries."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    return [detail for error in errors for detail in _details(error)]


def _details(error: jsonschema.ValidationError) -> list[Detail]:
    path = list(error.absolute_path)
    field = key_path(path) or "body"
    keyword = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    if keyword == "required":
        why = (
            "Required when retryOnLowConfidence is true"
            if "then" in error.relative_schema_path
            else "Required field is missing"
        )
        return [_at(path, k, why) for k in value if k not in instance]
    if keyword == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [_at(path, k, "Unknown field") for k in instance if k not in known]
    if "propertyNames" in error.relative_schema_path:  # the key itself broke the schema
        valid = ", ".join(map(str, value)) if keyword == "enum" else str(value)
        return [_at(path, instance, f"Unknown key (valid: {valid})")]
    if keyword == "oneOf" and isinstance(instance, dict):  # items xor fileId
        if "items" in instance and "fileId" in instance:
            return [{"field": "fileId", "message": "Give items or fileId, not both"}]
        return [{"field": "items", "message": "Required field is missing (or give fileId)"}]
    return [{"field": field, "message": _message(keyword, value, instance, error.message)}]


def _message(keyword: Any, value: Any, instance: Any, fallback: str) -> str:
    if keyword == "type":
        names = value if isinstance(value, list) else [value]
        return "Must be " + " or ".join(_TYPES.get(str(n), str(n)) for n in names)
    if keyword == "minLength":
        return "Must not be empty" if value == 1 else f"Must be at least {value} characters"
    if keyword == "maxLength":
        return f"Must be at most {value:,} characters"
    if keyword == "minItems":
        return f"At least {value} item{'s' if value != 1 else ''} required"
    if keyword == "maxItems":
        return f"At most {value:,} items per batch on the Pro plan (got {len(instance):,})"
    if keyword == "minimum":
        return f"Must be at least {value}"
    if keyword == "maximum":
        return f"Must be at most {value}"
    if keyword in ("enum", "const"):
        allowed = value if isinstance(value, list) else [value]
        return "Must be one of: " + ", ".join(map(str, allowed))
    return fallback


def _at(path: list[Any], key: Any, message: str) -> Detail:
    return {"field": key_path([*path, str(key)]), "message": message}
