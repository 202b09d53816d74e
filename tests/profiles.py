"""What the cross-cutting tests know of a provider: its test profile, nothing else.

Every test parametrised over :func:`apis` runs for each registered provider (a provider from
another package too). A provider without a profile fails those tests: a forgotten provider is
never skipped.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from mockbatch.app import load_specs
from mockbatch.journal import Journal
from mockbatch.provider import TestProfile
from mockbatch.registry import names, provider


def apis() -> list[str]:
    """Every registered provider's name (what the tests are parametrised over)."""
    return names()


def profile(api: str) -> TestProfile:
    """``api``'s test profile; an assertion error if it declares none."""
    __tracebackhide__ = True
    found = provider(api).profile
    assert found.batch_id and found.error_keys, f"{api} declares no test profile (profile=...)"
    return found


def poll(client: httpx.Client, api: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """The profile's read of its shipped batch (with the profile's headers unless given)."""
    method, path, body = profile(api).poll
    sent = dict(profile(api).headers) if headers is None else headers
    return client.request(method, f"/{api}{path}", json=body, headers=sent)


def keyless(api: str) -> dict[str, str]:
    """The profile's headers without its credentials (those the journal would mask): what a
    client sends with no key, the other headers an API requires (a version...) kept."""
    judge = Journal(secret_headers=provider(api).secret_headers)
    return {k: v for k, v in profile(api).headers.items() if not judge.is_secret(k)}


def error_format(api: str, body: Any) -> bool:
    """Whether ``body`` is an error in ``api``'s own format (it has the profile's keys)."""
    return isinstance(body, dict) and profile(api).error_keys <= set(body)


def body_routes(api: str) -> list[tuple[str, str]]:
    """(method, path) of every operation of ``api`` that takes a body, with the profile's batch
    ID in its path parameters."""
    spec = load_specs([api])[api]
    found = []
    for operation in spec.operations.values():
        if operation.body_types:
            path = re.sub(r"\{[^}]+\}", profile(api).batch_id, operation.path)
            found.append((operation.method.upper(), f"/{api}{path}"))
    return sorted(found)
