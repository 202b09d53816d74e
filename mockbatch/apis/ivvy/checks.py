"""The checks an iVvy request passes before its action runs: the ``action`` parameter, the body
(JSON, an object), and the body schema of that action, each failure with its specific code.

The spec's request body is any action's body (OpenAPI cannot tie it to a query parameter), so
the dispatcher's body violations are dropped here and the action's own schema is applied.
"""

from __future__ import annotations

import re
from typing import Any

from ...errors import Violation
from ...specs import Memo, Spec
from ...specs import violations as schema_violations
from .. import NO_BODY, Call
from .wire import ACTIONS, IvvyError

# Which specific code a RunRequest violation gets, most important first.
_PRECEDENCE = (23017, 24448, 24092, 24093, 23016)


def action_of(call: Call) -> str:
    """The request's ``action``, one of :data:`ACTIONS`."""
    action = call.arg("action")
    if action is None:
        raise IvvyError(23017, param="action")
    if action not in ACTIONS:
        raise IvvyError(23016, param="action", more=[f"Value must be one of: {', '.join(ACTIONS)}"])
    return action


def json_object(call: Call) -> dict[str, Any]:
    """The body, a JSON object sent as ``application/json``; the spec's body checks dropped."""
    for v in call.violations:
        if v.location == "header":
            raise IvvyError(
                23016, param="Content-Type", more=["Valid request types: application/json"]
            )
        if v.keyword == "json":
            raise IvvyError(23016, param="body", more=[v.message])
    if call.json is NO_BODY or not isinstance(call.json, dict):
        raise IvvyError(23016, param="body", more=["The body must be a JSON object"])
    call.violations[:] = [v for v in call.violations if v.location != "body"]
    return call.json


class BodyChecks:
    """The actions' body schemas (``RunRequest``, ``AsyncRequest``), their results remembered
    by the body's bytes in :attr:`memo` (polls send the same body again and again)."""

    def __init__(self, spec: Spec) -> None:
        self._run_schema = spec.component("RunRequest")
        self._async_schema = spec.component("AsyncRequest")
        self.memo = Memo()

    def run(self, call: Call) -> dict[str, Any]:
        """A ``run`` body that holds: its jobs, their parts and the callbackUrl checked."""
        violations = self._check(self._run_schema, call)
        if violations:
            call.violations.extend(violations)
            raise _run_error(violations)
        body: dict[str, Any] = call.json
        return body

    def async_id(self, call: Call) -> str:
        """The batch ID (``async``) of a progress, results, restart or repost body."""
        violations = self._check(self._async_schema, call)
        if violations:
            call.violations.extend(violations)
            if any(v.keyword == "required" for v in violations):
                raise IvvyError(23017, param="async")
            raise IvvyError(23016, param="async", more=[v.message for v in violations])
        batch_id: str = call.json["async"]
        return batch_id

    def _check(self, validator: Any, call: Call) -> list[Violation]:
        key = (id(validator), call.body)
        found = self.memo.get(
            key, lambda: tuple(schema_violations(validator, call.json, "body")), len(call.body)
        )
        return list(found)


def _run_error(violations: list[Violation]) -> IvvyError:
    codes: dict[int, list[str]] = {}
    for v in violations:
        codes.setdefault(_run_code(v), []).append(f"{v.path or 'body'}: {v.message}")
    code = next(c for c in _PRECEDENCE if c in codes)
    if code == 23017:
        return IvvyError(23017, param="jobs")
    if code == 23016:
        return IvvyError(23016, param="callbackUrl", more=codes[code])
    return IvvyError(code, more=codes[code])


def _run_code(v: Violation) -> int:
    parts = [p for p in re.split(r"[.\[\]]+", v.path) if p]
    if not parts:
        return 23017 if v.keyword == "required" and "'jobs'" in v.message else 23016
    if parts[0] == "callbackUrl":
        return 23016
    if parts == ["jobs"] and v.keyword == "maxItems":
        return 24448
    empty = v.keyword in ("minItems", "minLength") or v.message.startswith("None is not")
    return 24093 if empty else 24092
