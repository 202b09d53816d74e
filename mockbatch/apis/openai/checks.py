"""Requests checked against the spec, refused in OpenAI's words: a JSON body's missing,
unknown and ill-typed parameters, and the list queries."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .. import NO_BODY
from .wire import OpenAIError, missing

if TYPE_CHECKING:
    from ...errors import Violation
    from .. import Call

_REQUIRED = re.compile(r"'([^']+)' is a required property")
_UNEXPECTED = re.compile(r"\('([^']+)'")
NOT_JSON = (
    "We could not parse the JSON body of your request. The body must be a JSON object"
    " (Content-Type: application/json)."
)


def json_body(call: Call, *, own: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object a request sent; OpenAI's 400 for the first thing wrong with it.

    ``own`` are the parameters whose enum the caller words itself."""
    body = call.json
    if body is NO_BODY or not isinstance(body, dict):
        raise OpenAIError(400, NOT_JSON)
    problems = [v for v in call.violations if v.location == "body"]
    for violation in problems:
        if violation.keyword == "required":
            found = _REQUIRED.search(violation.message)
            name = found.group(1) if found else violation.path
            raise missing(f"{violation.path}.{name}" if violation.path else name)
    for violation in problems:
        if violation.keyword == "additionalProperties":
            found = _UNEXPECTED.search(violation.message)
            name = found.group(1) if found else violation.path
            raise OpenAIError(400, f"Unrecognized request argument supplied: {name}")
    for violation in problems:
        if not (violation.keyword == "enum" and violation.path in own):
            raise invalid(violation)
    return body


def query(call: Call) -> None:
    """The list queries: OpenAI's 400 for a parameter the spec refuses."""
    for violation in call.violations:
        if violation.location == "query":
            raise invalid(violation)


def invalid(violation: Violation) -> OpenAIError:
    code = "invalid_type" if violation.keyword == "type" else "invalid_value"
    param = violation.path or None
    return OpenAIError(
        400, f"Invalid '{violation.path}': {violation.message}", param=param, code=code
    )
