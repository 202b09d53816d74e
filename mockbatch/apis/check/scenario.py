"""What a Check scenario must hold beyond the generic schema, so that every response it leads to
keeps the spec: batch IDs, item inputs, verdict responses, error bodies and batch ``meta``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import Problem
from ...scenarios import Outcome, Scenario, match_problems, options_problems, options_validator
from ...templates import has_placeholders
from .render import ACCEPT_THRESHOLD, ESCALATE_THRESHOLD, VERDICTS

Path = list[str | int]

INPUT_KEYS = ("content", "context", "idempotencyKey")
RESPONSE_KEYS = (
    "verdict",
    "confidence",
    "verificationId",
    "costCents",
    "processingTimeMs",
    "retryCount",
)
ERROR_KEYS = ("errorMessage", "retryCount")
META_KEYS = ("name", "methods", "options")
MATCH_FIELDS = ("content", "context.<key>", "idempotencyKey")
OPTIONS: dict[str, Any] = {  # JSON Schema properties of Check's own options
    "webhook": {
        "description": "Where (and with which secret) batch events are sent.",
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {"url": {"type": "string", "minLength": 1}, "secret": {"type": "string"}},
    },
}
_OPTIONS = options_validator(OPTIONS)


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """Every problem of a Check scenario, with its place in the file."""
    found: list[tuple[Path, str, str]] = []
    for i, batch in enumerate(scenario.batches):
        here: Path = ["batches", i]
        if not (batch.id.startswith("batch_") and batch.id[6:].isalnum() and batch.id.isascii()):
            found.append(
                (
                    [*here, "id"],
                    f"{batch.id!r} is not a Check batch id",
                    "batch_<letters and digits>",
                )
            )
        found.extend(_meta(batch.meta, [*here, "meta"]))
        for j, item in enumerate(batch.items):
            at: Path = [*here, "items", j]
            found.extend(_input(item.input, [*at, "input"]))
            key = "response" if item.ok else "error"
            found.extend(_body(item.body, item.ok, [*at, key]))
        if batch.generate is not None:
            at = [*here, "generate"]
            found.extend(_input(batch.generate.input, [*at, "input"]))
            found.extend(_outcome(batch.generate.outcome, at))
    for i, rule in enumerate(scenario.rules):
        found.extend(_outcome(rule.outcome, ["rules", i]))
    if scenario.default is not None:
        found.extend(_outcome(scenario.default, ["default"]))
    return [
        *options_problems(scenario, _OPTIONS),
        *[scenario.problem(path, message, valid) for path, message, valid in found],
        *match_problems(scenario, MATCH_FIELDS, "Check items"),
    ]


def _outcome(outcome: Outcome, at: Path) -> list[tuple[Path, str, str]]:
    found = []
    if outcome.response is not None:
        found.extend(_body(outcome.response, True, [*at, "response"]))
    if outcome.error is not None:
        found.extend(_body(outcome.error, False, [*at, "error"]))
    return found


def _input(value: Any, at: Path) -> list[tuple[Path, str, str]]:
    if has_placeholders(value) and not isinstance(value, Mapping):
        return []
    if not isinstance(value, Mapping):
        return [(at, "an item's input is a mapping", "content, context, idempotencyKey")]
    found = _unknown(value, INPUT_KEYS, at)
    if not isinstance(value.get("content"), str) or not value["content"]:
        found.append(([*at, "content"], "an item needs non-empty content text", "a string"))
    if "context" in value and not isinstance(value["context"], (Mapping, type(None))):
        found.append(([*at, "context"], "context is a mapping", "a mapping or null"))
    if "idempotencyKey" in value and not isinstance(value["idempotencyKey"], str):
        found.append(([*at, "idempotencyKey"], "idempotencyKey is text; quote it", "a string"))
    return found


def _body(value: Any, ok: bool, at: Path) -> list[tuple[Path, str, str]]:
    if value is None or (not ok and isinstance(value, str)):
        return []  # the defaults, or an error message on its own
    keys = RESPONSE_KEYS if ok else ERROR_KEYS
    if not isinstance(value, Mapping):
        return [(at, "must be a mapping", ", ".join(keys))]
    found = _unknown(value, keys, at)
    verdict = value.get("verdict")
    if ok and verdict is not None and verdict not in VERDICTS and not has_placeholders(verdict):
        hint = "; quote it" if isinstance(verdict, bool) else ""
        found.append(
            (
                [*at, "verdict"],
                f"{verdict!r} is not a verdict{hint}",
                ", ".join(f'"{v}"' for v in VERDICTS),
            )
        )
    confidence = value.get("confidence")
    number = isinstance(confidence, (int, float)) and not isinstance(confidence, bool)
    if ok and confidence is not None and not has_placeholders(confidence):
        if not number or not 0 <= confidence <= 1:
            found.append(
                ([*at, "confidence"], f"{confidence!r} is not a confidence", "a number from 0 to 1")
            )
    ver = value.get("verificationId")
    if ok and ver is not None and not (isinstance(ver, str) and ver.startswith("ver_")):
        found.append(([*at, "verificationId"], f"{ver!r} is not a verification id", "ver_..."))
    for key in ("costCents", "processingTimeMs", "retryCount"):
        count = value.get(key)
        if count is not None and not has_placeholders(count):
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                found.append(([*at, key], f"{count!r} is not a count", "an integer, 0 or more"))
    return found


def _meta(meta: Mapping[str, Any], at: Path) -> list[tuple[Path, str, str]]:
    found = _unknown(meta, META_KEYS, at)
    if "name" in meta and not isinstance(meta["name"], (str, type(None))):
        found.append(([*at, "name"], "a batch name is text", "a string"))
    methods = meta.get("methods", {})
    weights = methods.values() if isinstance(methods, Mapping) else [None]
    if any(isinstance(w, bool) or not isinstance(w, (int, float)) for w in weights):
        found.append(
            ([*at, "methods"], "methods map a method to its weight", "e.g. {reasoning: 1.0}")
        )
    options = meta.get("options", {})
    if not isinstance(options, Mapping):
        return [
            *found,
            (
                [*at, "options"],
                "options is a mapping",
                "acceptThreshold, escalateThreshold, maxRetries",
            ),
        ]
    accept = options.get("acceptThreshold", ACCEPT_THRESHOLD)
    escalate = options.get("escalateThreshold", ESCALATE_THRESHOLD)
    for key, value in (("acceptThreshold", accept), ("escalateThreshold", escalate)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            found.append(
                ([*at, "options", key], f"{value!r} is not a threshold", "a number from 0 to 1")
            )
            return found
    if accept <= escalate:
        found.append(
            (
                [*at, "options", "acceptThreshold"],
                "must be greater than escalateThreshold",
                f"more than {escalate}",
            )
        )
    return found


def _unknown(
    value: Mapping[str, Any], keys: tuple[str, ...], at: Path
) -> list[tuple[Path, str, str]]:
    return [([*at, key], "unknown key", ", ".join(keys)) for key in value if key not in keys]
