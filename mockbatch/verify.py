"""Contract checks with schemathesis: generated valid and invalid requests against a server,
every response checked against the API's OpenAPI document.

schemathesis is an optional dependency (``pip install 'mockbatch[verify]'``, also in ``[test]``);
it is imported only when :func:`run` runs, never on the serving path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATEFUL_STEPS = 5  # per stateful scenario: follows the links, stays modest on 2 cores


@dataclass(frozen=True, slots=True)
class Contract:
    """What ``verify`` needs to know of a registered API: its OpenAPI document, the checks
    that cannot hold for it (each with its reason), the media types beyond JSON it is sent."""

    spec: Path
    exempt: Mapping[str, str]
    media_types: tuple[str, ...]

    @classmethod
    def of(cls, api: str) -> Contract:
        """The registered provider ``api``'s contract (all of it is the provider's)."""
        from .registry import provider

        made = provider(api)
        spec = made.data_dirs()[0] / made.spec_file
        return cls(spec, made.verify_exemptions, made.media_types)


def exemptions(api: str) -> Mapping[str, str]:
    """The checks that cannot hold for ``api``, each with its reason (``verify_exemptions``)."""
    return Contract.of(api).exempt


def check_names() -> list[str]:
    """Every check schemathesis has: what ``schemathesis run --checks all`` runs."""
    import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
    from schemathesis.checks import CHECKS

    return sorted(CHECKS.get_all_names())


@dataclass(frozen=True, slots=True)
class Report:
    """What a run found: ``failures`` per operation (empty: the contract holds), the operations
    tested, how many requests were sent, and for each (operation, failure) the first case's
    details and how to reproduce it."""

    failures: dict[str, set[str]]
    operations: list[str]
    requests: int
    examples: dict[tuple[str, str], str] = field(default_factory=dict)


def verify(spec: str | Path, base_url: str, **options: Any) -> dict[str, set[str]]:
    """:func:`run`, returning only the failures:
    ``{"POST /api/1.0/batch": {"not_a_server_error: ...", ...}}``; empty means the server keeps
    the contract."""
    return run(spec, base_url, **options).failures


def run(
    spec: str | Path,
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    checks: Iterable[str] | None = None,
    exempt: Iterable[str] = (),
    media_types: Iterable[str] = (),
    max_examples: int = 25,
    seed: int = 1234,
    app: Any = None,
) -> Report:
    """:func:`verify`, with the operations tested and the number of requests sent.

    ``checks`` None runs every check schemathesis has but those in ``exempt``; the stateful
    phase runs too (links between operations), so that its checks mean something. Bodies of
    ``media_types`` and of every registered provider's (e.g. NDJSON) go on the wire as the
    text they are.
    """
    import schemathesis
    from schemathesis.engine import from_schema

    known = check_names()
    unknown = sorted({*(checks or ()), *exempt} - set(known))
    if unknown:
        raise ValueError(f"unknown schemathesis check(s) {unknown}; known: {', '.join(known)}")
    enabled = set(known if checks is None else checks) - set(exempt)

    from .registry import providers

    texts = {*media_types, *(t for made in providers().values() for t in made.media_types)}
    if texts:
        schemathesis.serializer.alias(sorted(texts), "text/plain")

    raw = _config(base_url, headers or {}, seed, max_examples, enabled)
    schema = schemathesis.openapi.from_path(str(spec), config=schemathesis.Config.from_dict(raw))
    if app is not None:
        schema.app = app
    return _report(from_schema(schema).execute())


def _config(
    base_url: str, headers: Mapping[str, str], seed: int, max_examples: int, enabled: set[str]
) -> dict[str, Any]:
    """schemathesis' configuration for a run (every phase, only the ``enabled`` checks)."""
    return {
        "base-url": base_url,
        "headers": dict(headers),
        "seed": seed,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": max_examples,
            "deterministic": True,
            "database": "none",
        },
        "phases": {"stateful": {"enabled": True, "max-steps": STATEFUL_STEPS}},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in enabled}},
    }


def _report(found_events: Iterable[Any]) -> Report:
    """What schemathesis' events say: failures per operation, operations, requests sent."""
    from schemathesis.engine import Status, events

    report = Report({}, [], 0, {})
    operations: dict[str, None] = {}

    def found(operation: str, failure: str, example: str) -> None:
        report.failures.setdefault(operation, set()).add(failure)
        report.examples.setdefault((operation, failure), example.strip())

    requests = 0
    for event in found_events:
        if isinstance(event, events.ScenarioFinished):
            operations[event.recorder.label] = None
            requests += len(event.recorder.interactions)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE:
                        info = node.failure_info
                        title = info.failure.title if info else ""
                        example = _example(info) if info else ""
                        found(event.recorder.label, f"{node.name}: {title}", example)
        elif isinstance(event, events.NonFatalError):
            operations[event.label] = None
            found(event.label, f"error: {type(event.value).__name__}", str(event.value)[:300])
        elif isinstance(event, events.FatalError):
            raise event.exception
    return Report(report.failures, list(operations), requests, report.examples)


def _example(info: Any) -> str:
    """The first line of what went wrong, and the command that reproduces it."""
    first = next((line for line in str(info.failure.message).splitlines() if line.strip()), "")
    return f"{first}\n{info.code_sample}"
