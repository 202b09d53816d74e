"""schemathesis against the Trigger.dev routes with a valid secret key, over a real socket.

The generic contract run (tests/test_contract.py) sends no valid key, so every route answers
401 there; this run gets past authentication and exercises the handlers.
"""

from __future__ import annotations

import httpx

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.apis.trigger import TriggerProvider
from mockbatch.provider import operation_problems
from mockbatch.resources import specs_dir
from mockbatch.specs import Spec
from mockbatch.transport import InProcessTransport
from mockbatch.verify import exemptions, verify


def test_contract_with_a_valid_key_over_a_socket() -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    with ServerThread(app) as server:
        failures = verify(
            specs_dir() / "trigger.yaml",
            f"{server.url}/trigger",
            headers={"Authorization": "Bearer tr_dev_schemathesis"},
            exempt=exemptions("trigger"),
        )

    assert failures == {}
    entries = app.state.mock.journal.entries()
    assert [e.error for e in entries if e.error] == []
    assert [
        (e.path, e.status, v) for e in entries for v in e.violations if v.location == "response"
    ] == []
    answered = {e.operation for e in entries if e.status is not None and e.status < 300}
    assert answered >= {
        "createBatch", "batchTriggerV3", "batchTriggerV2", "batchTriggerTask",
        "retrieveBatchV1", "retrieveBatchV2", "getBatchResults", "listRuns",
    }  # fmt: skip


def test_every_operation_of_the_spec_has_a_handler_and_no_other() -> None:
    spec = Spec.from_path(specs_dir() / TriggerProvider.spec_file)

    assert operation_problems(TriggerProvider, spec) == []
    assert len(TriggerProvider.operations) == len(spec.operations) == 10


def test_the_test_profile_reads_a_finished_batch_of_the_shipped_scenario() -> None:
    method, path, body = TriggerProvider.profile.poll
    with httpx.Client(
        transport=InProcessTransport(create_app(clock=VirtualClock(), apis=["trigger"])),
        base_url="http://mock/trigger",
        headers=dict(TriggerProvider.profile.headers),
    ) as client:
        answer = client.request(method, path, json=body)
        refused = client.get(path, headers={"Authorization": ""})

    assert answer.status_code == 200
    assert answer.json()["id"] == TriggerProvider.profile.batch_id
    assert answer.json()["status"] == "PARTIAL_FAILED"
    assert set(refused.json()) == TriggerProvider.profile.error_keys
