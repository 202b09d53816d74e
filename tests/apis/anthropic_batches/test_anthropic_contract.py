"""schemathesis against the Anthropic routes with a valid key, over a real socket and in
process; the operations table against the spec; the test profile against the shipped scenario.

The generic contract run (tests/test_contract.py) sends no valid key, so most answers are 401
there; this run gets past the key check and exercises the handlers.
"""

from __future__ import annotations

import httpx

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.apis.anthropic import AnthropicProvider
from mockbatch.provider import operation_problems
from mockbatch.resources import specs_dir
from mockbatch.specs import Spec
from mockbatch.transport import InProcessTransport
from mockbatch.verify import exemptions, verify

from .helpers import HEADERS

SPEC = specs_dir() / "anthropic.yaml"


def test_contract_with_a_valid_key_over_a_socket() -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    with ServerThread(app) as server:
        failures = verify(
            SPEC, f"{server.url}/anthropic", headers=HEADERS, exempt=exemptions("anthropic")
        )

    assert failures == {}
    entries = app.state.mock.journal.entries()
    assert [e.error for e in entries if e.error] == []
    assert [
        (e.path, e.status, v) for e in entries for v in e.violations if v.location == "response"
    ] == []
    answered = {e.operation for e in entries if e.status is not None and e.status < 300}
    assert answered >= {"createMessageBatch", "listMessageBatches"}


def test_contract_in_process_with_a_valid_key() -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    failures = verify(
        SPEC,
        "http://mockbatch.test/anthropic",
        app=app,
        headers=HEADERS,
        exempt=exemptions("anthropic"),
        max_examples=10,
    )
    assert failures == {}
    assert [e.error for e in app.state.mock.journal.entries() if e.error] == []


def test_every_operation_of_the_spec_has_a_handler_and_no_other() -> None:
    spec = Spec.from_path(SPEC)

    assert operation_problems(AnthropicProvider, spec) == []
    assert len(AnthropicProvider.operations) == len(spec.operations) == 6


def test_the_test_profile_reads_an_ended_batch_of_the_shipped_scenario() -> None:
    method, path, body = AnthropicProvider.profile.poll
    with httpx.Client(
        transport=InProcessTransport(create_app(clock=VirtualClock(), apis=["anthropic"])),
        base_url="http://mock/anthropic",
        headers=dict(AnthropicProvider.profile.headers),
    ) as client:
        answer = client.request(method, path, json=body)
        refused = client.get(path, headers={"x-api-key": ""})

    assert answer.status_code == 200
    assert answer.json()["id"] == AnthropicProvider.profile.batch_id
    assert answer.json()["processing_status"] == "ended"
    assert set(refused.json()) == AnthropicProvider.profile.error_keys
