"""The official Trigger.dev SDK (``@trigger.dev/sdk`` 4.8.3, pinned in tests/trigger_sdk/)
against a mock this suite starts on 127.0.0.1: batchTrigger, retrieve until terminal, results,
runs.list, with partial failures, asserting what the SDK itself returned.

Needs ``node`` on PATH (skipped without it); installs the pinned packages with ``npm ci`` the
first time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_contract_kept
from node_sdk import node_with, run_driver

from mockbatch import Scenario, ServerThread, VirtualClock, create_app, load_scenarios
from mockbatch.mock import Mock

from .helpers import BATCH_ID, RUN_ID

SDK_DIR = Path(__file__).resolve().parents[2] / "trigger_sdk"
KEY = "tr_dev_sdk_test"
REPORT_RULE = """
api: trigger
name: sdk-test
rules:
  - match: {task: sdk-report}
    response: {report: "{input.payload.name}", row: "{index}"}
    fail_every: 3
    error:
      type: BUILT_IN_ERROR
      name: RangeError
      message: "no rows for {input.payload.name}"
      stackTrace: "RangeError: no rows\\n    at run (src/trigger/report.ts:9:3)"
    after: {polls: 2}
"""


@pytest.fixture(scope="session")
def node() -> str:
    """``node``, with the pinned SDK installed (``npm ci``) in tests/trigger_sdk/."""
    return node_with(SDK_DIR, "@trigger.dev/sdk")


@pytest.fixture
def served() -> Iterator[tuple[str, Mock]]:
    scenarios = [*load_scenarios(), Scenario.from_text(REPORT_RULE, source="sdk-test.yaml")]
    app = create_app(  # the journal keeps the key as sent: the test checks the SDK sends it
        scenarios=scenarios, clock=VirtualClock(), check_responses=True, journal_secrets=True
    )
    with ServerThread(app) as server:
        yield f"{server.url}/trigger", app.state.mock
    assert_contract_kept(app.state.mock)


def drive(node: str, base_url: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run driver.mjs; the JSON it prints (it fails the test on an SDK error)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIGGER_", "VERCEL_"))}
    env["TRIGGER_SECRET_KEY"] = KEY
    return run_driver(node, SDK_DIR, base_url, spec, env)


def test_sdk_batch_trigger_poll_results_and_runs_with_partial_failures(
    node: str, served: tuple[str, Mock]
) -> None:
    base_url, mock = served
    names = ["a", "b", "c", "d", "e"]
    spec = {
        "task": "sdk-report",
        "payloads": [{"name": n} for n in names],
        "pageSize": 2,
        "idempotencyKey": "report-2026-01-01",
        "missingBatch": "batch_missing",
    }

    out = drive(node, base_url, spec)

    handle = out["trigger"]
    batch_id = handle["batchId"]
    assert re.fullmatch(BATCH_ID, batch_id)
    assert handle["runCount"] == 5
    assert handle["publicAccessToken"].count(".") == 2  # a JWT the SDK signed itself

    # batch.retrieve until terminal: the runs finish at the second poll, the third one fails
    assert out["polls"] == [
        {"status": "PROCESSING", "runs": 5},
        {"status": "PARTIAL_FAILED", "runs": 5},
    ]
    retrieved = out["retrieve"]
    assert retrieved["id"] == batch_id
    assert retrieved["createdAtIsDate"] and retrieved["completedAtIsDate"]
    assert retrieved["idempotencyKey"] == _sha256("report-2026-01-01")
    run_ids = retrieved["runs"]
    assert len(run_ids) == 5 and all(re.fullmatch(RUN_ID, r) for r in run_ids)

    # getBatchResults: typed, one result per run
    items = out["results"]["items"]
    assert out["results"]["id"] == batch_id
    assert [item["id"] for item in items] == run_ids
    assert [item["ok"] for item in items] == [True, True, False, True, True]
    assert json.loads(items[0]["output"]) == {"report": "a", "row": 0}
    assert items[0]["outputType"] == "application/json"
    assert items[2]["error"] == {
        "type": "BUILT_IN_ERROR",
        "name": "RangeError",
        "message": "no rows for c",
        "stackTrace": "RangeError: no rows\n    at run (src/trigger/report.ts:9:3)",
    }

    # runs.list({ batch }): three cursor pages, and the same runs when iterated one by one
    pages = out["runs"]["pages"]
    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [run for page in pages for run in page]
    assert [run["id"] for run in listed] == run_ids == out["runs"]["each"]
    assert [run["status"] for run in listed] == [
        "COMPLETED", "COMPLETED", "FAILED", "COMPLETED", "COMPLETED",
    ]  # fmt: skip
    assert all(run["createdAtIsDate"] and run["taskIdentifier"] == "sdk-report" for run in listed)

    # the same idempotency key: the SDK gets the cached batch and sends no items
    assert out["again"]["batchId"] == batch_id
    assert out["missing"] == {
        "name": "TriggerApiError",
        "class": "NotFoundError",
        "status": 404,
        "message": "Not found",
    }

    sent = [(e.method, e.path.removeprefix("/trigger"), e.status) for e in mock.journal.entries()]
    assert sent == [
        ("POST", "/api/v3/batches", 202),
        ("POST", f"/api/v3/batches/{batch_id}/items", 200),
        ("GET", f"/api/v2/batches/{batch_id}", 200),
        ("GET", f"/api/v2/batches/{batch_id}", 200),
        ("GET", f"/api/v1/batches/{batch_id}/results", 200),
        *[("GET", "/api/v1/runs", 200)] * 6,
        ("POST", "/api/v3/batches", 200),
        ("GET", "/api/v2/batches/batch_missing", 404),
    ]
    items_request = mock.journal.entries()[1]
    assert items_request.headers["content-type"] == "application/x-ndjson"
    assert all(e.headers["authorization"] == f"Bearer {KEY}" for e in mock.journal.entries())


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
