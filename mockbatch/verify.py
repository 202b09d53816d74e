"""Contract checks with schemathesis: generated valid and invalid requests against a server,
every response checked against the API's OpenAPI document.

schemathesis is a test-time dependency (``pip install 'mockbatch[test]'``); it is imported only
when :func:`verify` runs, never on the serving path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
    "missing_required_header",
)

NDJSON = ("application/x-ndjson", "application/ndjson")

# Checks that cannot hold for an API, with the reason.
EXEMPT: dict[str, dict[str, str]] = {
    "ivvy": {
        # The body's keys depend on the `action` query parameter, which OpenAPI cannot tie to
        # the body schema: a body valid for one action is rightly refused for another.
        "positive_data_acceptance": "body schema depends on the action query parameter",
    },
}


def verify(
    spec: str | Path,
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    checks: Iterable[str] = CHECKS,
    max_examples: int = 25,
    seed: int = 1234,
    app: Any = None,
) -> dict[str, set[str]]:
    """Run schemathesis against ``base_url`` (or in process against ``app``).

    Returns the failures: ``{"POST /api/1.0/batch": {"not_a_server_error", ...}}``; empty means
    the server keeps the contract.
    """
    import schemathesis
    from schemathesis.engine import Status, events, from_schema

    # NDJSON bodies (e.g. Trigger.dev's batch items) go on the wire as the text they are.
    schemathesis.serializer.alias(list(NDJSON), "text/plain")

    raw = {
        "base-url": base_url,
        "headers": dict(headers or {}),
        "seed": seed,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": max_examples,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
    }
    schema = schemathesis.openapi.from_path(str(spec), config=schemathesis.Config.from_dict(raw))
    if app is not None:
        schema.app = app
    failures: dict[str, set[str]] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE:
                        title = node.failure_info.failure.title if node.failure_info else ""
                        failures.setdefault(event.recorder.label, set()).add(
                            f"{node.name}: {title}"
                        )
        elif isinstance(event, events.NonFatalError):
            failures.setdefault(event.label, set()).add(f"error: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return failures
