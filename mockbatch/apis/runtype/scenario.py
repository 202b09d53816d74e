"""What a Runtype scenario must hold beyond the generic schema: record inputs, result bodies,
batch ``meta``, rule keys and the ``options`` (keys, records, flows, schedules)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from ...errors import Problem
from ...scenarios import Outcome, Scenario, match_problems, options_problems, options_validator
from .wire import BODY_KEYS

BATCH_ID = re.compile(r"^[^/?#\s]+$")
META_KEYS = ("agentId", "flowId", "flowName")
MATCH_FIELDS = ("agentId", "flowId", "record.<key>")

_TEXT = {"type": "string", "minLength": 1}
OPTIONS: dict[str, Any] = {  # JSON Schema properties of Runtype's own options
    "forbidden_keys": {"type": "array", "items": _TEXT},
    "flows": {"type": "object", "additionalProperties": _TEXT},
    "records": {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "name", "type"],
            "properties": {"id": _TEXT, "name": _TEXT, "type": _TEXT, "metadata": {}},
        },
    },
    "schedules": {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "target"],
            "properties": {
                "id": _TEXT,
                "target": {
                    "title": "target",
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"flowId": _TEXT, "agentId": _TEXT, "recordType": _TEXT},
                    "oneOf": [{"required": ["flowId"]}, {"required": ["agentId"]}],
                },
            },
        },
    },
}
_OPTIONS = options_validator(OPTIONS)


def problems(scenario: Scenario) -> list[Problem]:
    """Every Runtype-specific problem in ``scenario``, pointing at its place in the file."""
    found = options_problems(scenario, _OPTIONS)
    for i, batch in enumerate(scenario.batches):
        where: list[str | int] = ["batches", i]
        if not BATCH_ID.match(batch.id):
            found.append(
                scenario.problem(
                    [*where, "id"],
                    f"{batch.id!r} cannot be a path segment",
                    "no '/', '?', '#' or spaces, e.g. batchId or a UUID",
                )
            )
        for key, value in batch.meta.items():
            if key not in META_KEYS:
                found.append(_unknown(scenario, [*where, "meta", key], key, META_KEYS))
            elif not isinstance(value, str):
                found.append(scenario.problem([*where, "meta", key], "must be a string"))
        for j, item in enumerate(batch.items):
            found.extend(_input_problems(scenario, [*where, "items", j, "input"], item.input))
            kind = "response" if item.ok else "error"
            found.extend(_body_problems(scenario, [*where, "items", j, kind], item.body, item.ok))
        if batch.generate is not None:
            gen: list[str | int] = [*where, "generate"]
            found.extend(_input_problems(scenario, [*gen, "input"], batch.generate.input))
            found.extend(_outcome_problems(scenario, gen, batch.generate.outcome))
    for i, rule in enumerate(scenario.rules):
        found.extend(_outcome_problems(scenario, ["rules", i], rule.outcome))
    if scenario.default is not None:
        found.extend(_outcome_problems(scenario, ["default"], scenario.default))
    found.extend(match_problems(scenario, MATCH_FIELDS, "Runtype items"))
    return found


def _input_problems(scenario: Scenario, where: list[str | int], value: Any) -> list[Problem]:
    record = value.get("record") if isinstance(value, Mapping) else None
    if not isinstance(record, Mapping) or record.get("id") in (None, ""):
        return [
            scenario.problem(
                where,
                "a Runtype item's input is its record",
                "{record: {id: rec_1, name: John Doe, type: user}}",
            )
        ]
    return []


def _outcome_problems(
    scenario: Scenario, where: list[str | int], outcome: Outcome
) -> list[Problem]:
    found = []
    if outcome.response is not None:
        found.extend(_body_problems(scenario, [*where, "response"], outcome.response, True))
    if outcome.error is not None:
        found.extend(_body_problems(scenario, [*where, "error"], outcome.error, False))
    return found


def _body_problems(
    scenario: Scenario, where: list[str | int], body: Any, ok: bool
) -> list[Problem]:
    if body is None or (not ok and isinstance(body, str)):
        return []
    keys = BODY_KEYS if ok else ("error", *BODY_KEYS)
    if not isinstance(body, Mapping):
        valid = "a mapping of " + ", ".join(keys)
        return [
            scenario.problem(
                where, "not a Runtype result", valid if ok else f"a message or {valid}"
            )
        ]
    found = [_unknown(scenario, [*where, key], key, keys) for key in body if key not in keys]
    if not ok and not isinstance(body.get("error"), str):
        found.append(scenario.problem([*where, "error"], "a failure needs its error message"))
    return found


def _unknown(scenario: Scenario, where: list[str | int], key: str, valid: Any) -> Problem:
    close = difflib.get_close_matches(key, list(valid), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return scenario.problem(where, f"unknown key{hint}", ", ".join(valid))
