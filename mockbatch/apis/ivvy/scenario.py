"""What an iVvy scenario must hold beyond the generic schema: batch IDs are asyncIds, rules
match on a job's ``namespace``, ``action`` and ``params``, and ``options`` are the shared ones
(iVvy has none of its own)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...scenarios import match_problems, options_problems, options_validator

if TYPE_CHECKING:
    from ...errors import Problem
    from ...scenarios import Scenario

ASYNC_ID = re.compile(r"^[0-9a-f]{32}$")
MATCH_FIELDS = ("namespace", "action", "params.<key>")
OPTIONS: dict[str, Any] = {}  # JSON Schema properties of iVvy's own options
_OPTIONS = options_validator(OPTIONS)


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """Every iVvy-specific problem in ``scenario``, pointing at its place in the file."""
    problems = options_problems(scenario, _OPTIONS)
    for i, batch in enumerate(scenario.batches):
        if not ASYNC_ID.match(batch.id):
            problems.append(
                scenario.problem(
                    ["batches", i, "id"],
                    f"{batch.id!r} is not an iVvy asyncId",
                    "32 lowercase hex digits, e.g. e35e06ee592d17a42dc9e6252a058617",
                )
            )
    problems.extend(match_problems(scenario, MATCH_FIELDS, "iVvy jobs"))
    return problems
