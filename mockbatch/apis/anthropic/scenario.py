"""What an Anthropic scenario must hold beyond the generic schema.

Batch IDs are ``msgbatch_...``; an item's input is a request, ``{custom_id, params}``; an
``error`` is a message string or ``{type, message}`` with a documented error type; a
``response`` is a string (the reply's text) or a partial message; rules match on
``custom_id`` and ``params.<key>``; there are no Anthropic-only ``options``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...errors import Problem
from ...scenarios import match_problems, options_problems, options_validator
from .checks import CUSTOM_ID
from .wire import RESULT_ERROR_TYPES

if TYPE_CHECKING:
    from ...scenarios import Outcome, Scenario

BATCH_ID = re.compile(r"msgbatch_[A-Za-z0-9_]+")
VIEW_FIELDS = ("custom_id", "params.<key>")
ITEMS = "Anthropic batch requests"
ERROR_HINT = "a message string, or {type, message} with type one of " + ", ".join(
    RESULT_ERROR_TYPES
)
_OPTIONS = options_validator({})


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """Every Anthropic-specific problem in ``scenario``."""
    problems: list[Problem] = []
    for i, batch in enumerate(scenario.batches):
        where: list[str | int] = ["batches", i]
        if not BATCH_ID.fullmatch(batch.id):
            problems.append(
                scenario.problem(
                    [*where, "id"],
                    f"{batch.id!r} is not a message batch ID",
                    "msgbatch_ and letters, digits or _, e.g. msgbatch_01example",
                )
            )
        for j, item in enumerate(batch.items):
            path = [*where, "items", j]
            _check_request(scenario, [*path, "input"], item.input, problems)
            _check_body(scenario, path, item.ok, item.body, problems)
    for i, rule in enumerate(scenario.rules):
        _check_outcome(scenario, ["rules", i], rule.outcome, problems)
    if scenario.default is not None:
        _check_outcome(scenario, ["default"], scenario.default, problems)
    problems.extend(match_problems(scenario, VIEW_FIELDS, ITEMS))
    problems.extend(options_problems(scenario, _OPTIONS))
    return problems


def _check_request(
    scenario: Scenario, path: list[str | int], request: Any, problems: list[Problem]
) -> None:
    custom_id = request.get("custom_id") if isinstance(request, Mapping) else None
    params = request.get("params") if isinstance(request, Mapping) else None
    if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
        problems.append(
            scenario.problem(path, "a request needs a custom_id", "1-64 of a-z A-Z 0-9 _ -")
        )
    if not isinstance(params, Mapping):
        problems.append(
            scenario.problem(path, "a request needs its params", "{model, max_tokens, messages}")
        )


def _check_outcome(
    scenario: Scenario, where: list[str | int], outcome: Outcome, problems: list[Problem]
) -> None:
    if outcome.error is not None:
        _check_body(scenario, where, False, outcome.error, problems)
    if outcome.response is not None:
        _check_body(scenario, where, True, outcome.response, problems)


def _check_body(
    scenario: Scenario, where: list[str | int], ok: bool, body: Any, problems: list[Problem]
) -> None:
    if body is None or isinstance(body, str):
        return
    if ok:
        if not isinstance(body, Mapping):
            problems.append(
                scenario.problem(
                    [*where, "response"], "not a message", "a string or {text, usage, ...}"
                )
            )
        return
    if not isinstance(body, Mapping) or body.get("type", "api_error") not in RESULT_ERROR_TYPES:
        problems.append(scenario.problem([*where, "error"], "not an error object", ERROR_HINT))
