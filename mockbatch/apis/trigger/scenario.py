"""What a Trigger.dev scenario must hold beyond the generic schema.

Batch IDs are ``batch_...`` and fixed run IDs ``run_...``; every item names its ``task``; a
failure is a ``TaskRunError`` (or a string, served as a ``STRING_ERROR``); rules match on the
item view (``task``, ``payload``, ``options``, ``index``); ``meta`` and ``options`` take only
the keys the adapter reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...errors import Problem
from ...scenarios import match_problems, options_problems, options_validator
from ...specs import violations

if TYPE_CHECKING:
    from ...scenarios import Outcome, Scenario
    from ...specs import Spec

BATCH_ID = re.compile(r"batch_[A-Za-z0-9]+")
RUN_ID = re.compile(r"run_[A-Za-z0-9]+")
VIEW_FIELDS = ("index", "task", "payload.<key>", "options.<key>")
ITEMS = "Trigger.dev items"
_MOMENT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "polls": {"type": "integer", "minimum": 0},
        "seconds": {"type": "number", "minimum": 0},
    },
}
OPTIONS: dict[str, Any] = {  # JSON Schema properties of Trigger.dev's own options
    "abort": {
        "description": "Batches with an item matching `match` are aborted at `cancel`.",
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["match"],
            "properties": {"match": {"type": "object", "minProperties": 1}, "cancel": _MOMENT},
        },
    },
}
_OPTIONS = options_validator(OPTIONS)
ERROR_HINT = (
    "a string, or {type: BUILT_IN_ERROR, name, message, stackTrace} | {type: CUSTOM_ERROR, raw}"
    " | {type: STRING_ERROR, raw} | {type: INTERNAL_ERROR, code, message?}"
)


def scenario_problems(scenario: Scenario, spec: Spec) -> list[Problem]:
    """Every Trigger.dev-specific problem in ``scenario``."""
    problems: list[Problem] = []
    check_error = _error_checker(scenario, spec, problems)
    for i, batch in enumerate(scenario.batches):
        where: list[str | int] = ["batches", i]
        if not BATCH_ID.fullmatch(batch.id):
            problems.append(
                scenario.problem(
                    [*where, "id"],
                    f"{batch.id!r} is not a Trigger.dev batch ID",
                    "batch_ and letters or digits, e.g. batch_1234",
                )
            )
        for j, item in enumerate(batch.items):
            if item.key is not None and not RUN_ID.fullmatch(item.key):
                problems.append(
                    scenario.problem(
                        [*where, "items", j, "id"],
                        f"{item.key!r} is not a run ID",
                        "run_ and letters or digits",
                    )
                )
            _check_task(scenario, [*where, "items", j, "input"], item.input, problems)
            if not item.ok:
                check_error([*where, "items", j, "error"], item.body)
        if batch.generate is not None:
            _check_task(scenario, [*where, "generate", "input"], batch.generate.input, problems)
            _check_outcome([*where, "generate"], batch.generate.outcome, check_error)
        generated = batch.generate.count if batch.generate is not None else None
        _check_meta(
            scenario,
            where,
            batch.meta,
            generated or len(batch.items),
            problems,
            generated=generated is not None,
        )
    for i, rule in enumerate(scenario.rules):
        _check_outcome(["rules", i], rule.outcome, check_error)
    if scenario.default is not None:
        _check_outcome(["default"], scenario.default, check_error)
    problems.extend(match_problems(scenario, VIEW_FIELDS, ITEMS))
    wrong_options = options_problems(scenario, _OPTIONS)
    problems.extend(wrong_options)
    if not wrong_options:  # the abort rules are well formed: check what they match on
        problems.extend(match_problems(scenario, VIEW_FIELDS, ITEMS, matches=_aborts(scenario)))
    return problems


def _aborts(scenario: Scenario) -> list[tuple[list[str | int], Mapping[str, Any]]]:
    rules = scenario.options.get("abort", [])
    return [(["options", "abort", i, "match"], rule["match"]) for i, rule in enumerate(rules)]


def _error_checker(scenario: Scenario, spec: Spec, problems: list[Problem]) -> Any:
    validator = spec.component("TaskRunError")

    def check(path: list[str | int], body: Any) -> None:
        if isinstance(body, str):
            return
        found = violations(validator, body, "error")
        if found:
            problems.append(scenario.problem(path, "not a Trigger.dev TaskRunError", ERROR_HINT))

    return check


def _check_outcome(where: list[str | int], outcome: Outcome, check_error: Any) -> None:
    if outcome.error is not None:
        check_error([*where, "error"], outcome.error)


def _check_task(
    scenario: Scenario, path: list[str | int], item_input: Any, problems: list[Problem]
) -> None:
    task = item_input.get("task") if isinstance(item_input, Mapping) else None
    if not isinstance(task, str) or not task:
        problems.append(
            scenario.problem(
                path,
                "an item's input needs its task identifier",
                "{task: my-task, payload: ..., options: ...}",
            )
        )


def _check_meta(
    scenario: Scenario,
    where: list[str | int],
    meta: Mapping[str, Any],
    items: int,
    problems: list[Problem],
    *,
    generated: bool = False,
) -> None:
    for key, value in meta.items():
        path = [*where, "meta", key]
        if key == "runCount":
            if isinstance(value, bool) or not isinstance(value, int) or value < max(items, 1):
                problems.append(
                    scenario.problem(
                        path,
                        f"runCount {value!r} is below the batch's items",
                        f"an integer of at least {max(items, 1)}",
                    )
                )
            elif generated and value != items:
                # runs cannot be streamed into a generated batch: it is sealed from the start
                problems.append(
                    scenario.problem(
                        path, f"runCount {value!r} is not the generated count", str(items)
                    )
                )
        elif key == "idempotencyKey":
            if not isinstance(value, str) or not value:
                problems.append(scenario.problem(path, "not a string", "a non-empty string"))
        else:
            problems.append(scenario.problem(path, "unknown key", "runCount, idempotencyKey"))
