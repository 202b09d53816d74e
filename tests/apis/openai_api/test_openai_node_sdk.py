"""The official OpenAI Node SDK (``openai`` 6.49.0, pinned in tests/openai_sdk/) against a mock
this suite starts on 127.0.0.1: upload, create, retrieve until completed, the output and error
files, the batches list auto-paginated and an unknown batch, asserting what the SDK returned.

Needs ``node`` on PATH (skipped without it); installs the pinned package with ``npm ci`` the
first time (skipped without ``npm`` then).
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
from node_sdk import node_with, pinned, run_driver

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.mock import Mock

from .helpers import jsonl

SDK_DIR = Path(__file__).resolve().parents[2] / "openai_sdk"
KEY = "sk-proj-node-sdk-test"
FILE_ID = r"file-[A-Za-z0-9]{22}"
BATCH_ID = r"batch_[0-9a-f]{32}"


@pytest.fixture(scope="session")
def node() -> str:
    """``node``, with the pinned SDK installed (``npm ci``) in tests/openai_sdk/."""
    return node_with(SDK_DIR, "openai")


@pytest.fixture
def served() -> Iterator[tuple[str, Mock]]:
    app = create_app(  # the journal keeps the key as sent: the test checks the SDK sends it
        clock=VirtualClock(), check_responses=True, journal_secrets=True
    )
    with ServerThread(app) as server:
        yield f"{server.url}/openai/v1", app.state.mock
    assert_contract_kept(app.state.mock)


def drive(node: str, base_url: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run driver.mjs; the JSON it prints (it fails the test on an SDK error)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = KEY
    return run_driver(node, SDK_DIR, base_url, spec, env)


def test_node_sdk_upload_create_poll_and_files(node: str, served: tuple[str, Mock]) -> None:
    base_url, mock = served
    spec = {
        "jsonl": jsonl("q1", "fail-q2", "q3").decode(),
        "metadata": {"job": "nightly"},
        "missingBatch": "batch_missing",
        "wait": {"clock": base_url.replace("/openai/v1", "/__mockbatch/clock"), "seconds": 5},
    }

    out = drive(node, base_url, spec)

    upload = out["upload"]
    assert re.fullmatch(FILE_ID, upload["id"])
    assert {k: upload[k] for k in ("object", "bytes", "filename", "purpose", "status")} == {
        "object": "file",
        "bytes": len(spec["jsonl"]),
        "filename": "input.jsonl",
        "purpose": "batch",
        "status": "processed",
    }
    created = out["created"]
    assert re.fullmatch(BATCH_ID, created["id"])
    assert (created["status"], created["input_file_id"]) == ("validating", upload["id"])
    assert created["request_counts"] == {"total": 0, "completed": 0, "failed": 0}

    # retrieve every 5 s until terminal: validating, in_progress, then the shipped requests
    # finish at the third retrieve (5 s on: finalizing) and the batch at the fourth
    assert [(p["status"], p["counts"]) for p in out["polls"]] == [
        ("validating", {"total": 0, "completed": 0, "failed": 0}),
        ("in_progress", {"total": 3, "completed": 0, "failed": 0}),
        ("finalizing", {"total": 3, "completed": 2, "failed": 1}),
        ("completed", {"total": 3, "completed": 2, "failed": 1}),
    ]
    batch = out["batch"]
    assert batch["model"] == "gpt-4o-mini" and batch["metadata"] == {"job": "nightly"}
    assert batch["usage"]["total_tokens"] == 24

    output, errors = out["output"], out["errors"]
    assert output["file"]["id"] == batch["output_file_id"]
    assert (output["file"]["purpose"], output["file"]["filename"]) == (
        "batch_output",
        f"{batch['id']}_output.jsonl",
    )
    lines = [json.loads(x) for x in output["text"].splitlines()]
    assert [x["custom_id"] for x in lines] == ["q1", "q3"]
    assert all(x["response"]["status_code"] == 200 and x["error"] is None for x in lines)
    reply = lines[0]["response"]["body"]
    assert (reply["object"], reply["model"]) == ("chat.completion", "gpt-4o-mini")
    assert reply["choices"][0]["message"]["content"] == "Mock reply to q1."
    failed = [json.loads(x) for x in errors["text"].splitlines()]
    assert errors["file"]["filename"] == f"{batch['id']}_error.jsonl"
    assert [(x["custom_id"], x["response"]["status_code"]) for x in failed] == [("fail-q2", 400)]

    assert out["listed"] == [batch["id"], "batch_done"]  # limit 1: one page each
    assert out["missing"] == {
        "name": "Error",
        "class": "NotFoundError",
        "status": 404,
        "message": "404 No batch found with id 'batch_missing'.",
        "code": None,
        "param": "batch_id",
        "type": "invalid_request_error",
    }

    entries = mock.journal.entries()
    sent = [(e.method, e.path.removeprefix("/openai/v1"), e.status) for e in entries]
    output_id, error_id = batch["output_file_id"], batch["error_file_id"]
    assert sent == [
        ("POST", "/files", 200),
        ("POST", "/batches", 200),
        *[("GET", f"/batches/{batch['id']}", 200)] * 4,
        ("GET", f"/files/{output_id}", 200),
        ("GET", f"/files/{output_id}/content", 200),
        ("GET", f"/files/{error_id}", 200),
        ("GET", f"/files/{error_id}/content", 200),
        *[("GET", "/batches", 200)] * 2,
        ("GET", "/batches/batch_missing", 404),
    ]
    assert entries[0].headers["content-type"].startswith("multipart/form-data; boundary=")
    assert all(e.headers["authorization"] == f"Bearer {KEY}" for e in entries)
    assert all(e.headers["user-agent"] == f"OpenAI/JS {pinned(SDK_DIR, 'openai')}" for e in entries)
