"""schemathesis against the Trigger.dev routes with a valid secret key, over a real socket.

The generic contract run (tests/test_contract.py) sends no valid key, so every route answers
401 there; this run gets past authentication and exercises the handlers.
"""

from __future__ import annotations

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.resources import specs_dir
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
