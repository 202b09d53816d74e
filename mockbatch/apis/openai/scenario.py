"""What an OpenAI scenario must hold beyond the generic schema: its own options, and rules that
match on the fields of a request line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...scenarios import match_problems, options_problems, options_validator

if TYPE_CHECKING:
    from ...errors import Problem
    from ...scenarios import Scenario

VIEW_FIELDS = ("custom_id", "method", "url", "body.<key>")
OPTIONS: dict[str, Any] = {  # JSON Schema properties of OpenAI's own options
    "webhook": {
        "description": "Where batch.* events go, and the whsec_ secret that signs them.",
        "type": "object",
        "additionalProperties": False,
        "required": ["url"],
        "properties": {"url": {"type": "string"}, "secret": {"type": "string"}},
    },
    "never_finish": {
        "description": "custom_id globs of requests that never finish (their batch expires).",
        "type": "array",
        "items": {"type": "string"},
    },
}


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """Unknown options, and rules matching fields a request line does not have."""
    problems = options_problems(scenario, options_validator(OPTIONS))
    return problems + match_problems(scenario, VIEW_FIELDS, "OpenAI batch requests")
