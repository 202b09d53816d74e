"""The official Node SDK (``@anthropic-ai/sdk`` 1.16.0, pinned in tests/anthropic_sdk/) against
a mock this suite starts on 127.0.0.1: create, retrieve until ended, results (fetched from the
``results_url`` the batch names), cancel, and the typed NotFoundError.

Needs ``node`` on PATH (skipped without it); installs the pinned package with ``npm ci`` the
first time.
"""

from __future__ import annotations

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

from .helpers import BATCH_ID, KEY, params

SDK_DIR = Path(__file__).resolve().parents[2] / "anthropic_sdk"
RULES = """
api: anthropic
name: node-sdk-test
rules:
  - match: {custom_id: "node-fail-*"}
    error: {type: invalid_request_error, message: "no answer for {input.custom_id}"}
    after: {polls: 2}
  - match: {custom_id: "node-*"}
    response: "echo {input.custom_id}"
    after: {polls: 2}
"""


@pytest.fixture(scope="session")
def node() -> str:
    """``node``, with the pinned SDK installed (``npm ci``) in tests/anthropic_sdk/."""
    return node_with(SDK_DIR, "@anthropic-ai/sdk")


@pytest.fixture
def served() -> Iterator[tuple[str, Mock]]:
    scenarios = [*load_scenarios(), Scenario.from_text(RULES, source="node-sdk-test.yaml")]
    app = create_app(  # the journal keeps the key as sent: the test checks how the SDK sends it
        scenarios=scenarios, clock=VirtualClock(), check_responses=True, journal_secrets=True
    )
    with ServerThread(app) as server:
        yield server.url, app.state.mock
    assert_contract_kept(app.state.mock)


def drive(node: str, base_url: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run driver.mjs; the JSON it prints (it fails the test on an SDK error)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return run_driver(node, SDK_DIR, base_url, spec, env)


def test_node_sdk_create_retrieve_results_cancel(node: str, served: tuple[str, Mock]) -> None:
    url, mock = served
    requests = [
        {"custom_id": "node-1", "params": params("first")},
        {"custom_id": "node-fail-2", "params": params("second")},
    ]
    spec = {"key": KEY, "requests": requests, "missingBatch": "msgbatch_01missing"}

    out = drive(node, f"{url}/anthropic", spec)

    created, ended = out["created"], out["ended"]
    assert re.fullmatch(BATCH_ID, created["id"]) and created["type"] == "message_batch"
    assert created["status"] == "in_progress" and created["counts"]["processing"] == 2
    assert out["polls"] == ["in_progress", "ended"]
    assert ended["counts"] == {
        "processing": 0, "succeeded": 1, "errored": 1, "canceled": 0, "expired": 0,
    }  # fmt: skip
    assert ended["resultsUrl"] == f"{url}/anthropic/v1/messages/batches/{created['id']}/results"
    results = {line["custom_id"]: line["result"] for line in out["results"]}
    assert results["node-1"]["message"]["content"] == [{"type": "text", "text": "echo node-1"}]
    assert results["node-fail-2"]["error"]["error"] == {
        "type": "invalid_request_error",
        "message": "no answer for node-fail-2",
    }

    assert out["canceling"]["status"] == "canceling" and out["canceling"]["cancelInitiatedAt"]
    assert out["canceled"]["status"] == "ended" and out["canceled"]["counts"]["canceled"] == 2
    assert out["canceledResults"] == ["canceled", "canceled"]
    assert out["missing"] == {
        "class": "NotFoundError",
        "status": 404,
        "type": "not_found_error",
        "isNotFound": True,
    }

    entries = mock.journal.entries()
    assert all(e.headers["authorization"] == f"Bearer {KEY}" for e in entries)
    assert {e.headers["anthropic-version"] for e in entries} == {"2026-10-21"}
    downloads = [e for e in entries if e.path.endswith("/results")]
    assert len(downloads) == 2 and all(e.status == 200 for e in downloads)
