"""``mockbatch record --api openai``: a client's uploads and batches recorded through
mockbatch, replayed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from record_helpers import Answer, answer, record_and_replay

from mockbatch import VirtualClock
from mockbatch.app import load_scenarios
from mockbatch.scenarios import Scenario

KEY = "sk-proj-record-do-not-write-1a2b3c"
HEADERS = {"Authorization": f"Bearer {KEY}"}
MAX_POLLS = 20  # a bound for a batch that never ends, not a speed check
TERMINAL = ("completed", "failed", "expired", "cancelled")
# The fields that move with the clock (Unix seconds).
MOVING = frozenset(
    {
        "created",
        "created_at",
        "expires_at",
        "in_progress_at",
        "finalizing_at",
        "completed_at",
        "failed_at",
        "expired_at",
        "cancelling_at",
        "cancelled_at",
    }
)


def _steady(value: Any) -> Any:
    """``value`` with every time that moves with the clock replaced by a marker."""
    if isinstance(value, dict):
        return {
            k: "<moves>" if k in MOVING and v is not None else _steady(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


def _answer(response: httpx.Response) -> Answer:
    """(status, JSON body)."""
    status, body = answer(response)
    return status, _steady(body)


def _content(http: httpx.Client, file_id: str) -> Answer:
    """(status, the lines of a JSON Lines file)."""
    got = http.get(f"/v1/files/{file_id}/content", headers=HEADERS)
    return got.status_code, _steady([json.loads(line) for line in got.text.splitlines()])


def _jsonl(*custom_ids: str) -> bytes:
    lines = [
        {
            "custom_id": c,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": c}]},
        }
        for c in custom_ids
    ]
    return "\n".join(json.dumps(line) for line in lines).encode()


def _batch(http: httpx.Client, *custom_ids: str) -> tuple[list[Answer], str]:
    """Upload an input file and create a batch of it: both answers, and the batch's ID."""
    form = {"file": ("input.jsonl", _jsonl(*custom_ids))}
    uploaded = http.post("/v1/files", headers=HEADERS, files=form, data={"purpose": "batch"})
    body = {
        "input_file_id": uploaded.json()["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    created = http.post("/v1/batches", headers=HEADERS, json=body)
    return [_answer(uploaded), _answer(created)], created.json()["id"]


def _until_terminal(http: httpx.Client, clock: VirtualClock, batch_id: str) -> list[Answer]:
    """Retrieve (5 seconds apart) until the batch is terminal, at most MAX_POLLS times."""
    seen: list[Answer] = []
    for _ in range(MAX_POLLS):
        clock.advance(5)
        seen.append(_answer(http.get(f"/v1/batches/{batch_id}", headers=HEADERS)))
        if seen[-1][1].get("status") in TERMINAL:
            return seen
    raise AssertionError(f"{batch_id} never finished: {seen[-1]}")


def _files(http: httpx.Client, batch: dict[str, Any]) -> list[Answer]:
    """The batch's output and error files' contents."""
    found = []
    for key in ("output_file_id", "error_file_id"):
        if batch[key] is not None:
            found.append(_content(http, batch[key]))
    return found


def _client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """A batch that succeeds and fails (its input file read back), a batch that does not
    exist, a cancel too late (409), and a batch cancelled at once."""
    answers, batch = _batch(http, "one", "fail-two", "three")
    input_file = answers[0][1]["id"]
    answers.append(_answer(http.get(f"/v1/files/{input_file}", headers=HEADERS)))
    answers.append(_content(http, input_file))
    answers.append(_answer(http.get("/v1/batches/batch_unknown", headers=HEADERS)))
    answers += _until_terminal(http, clock, batch)
    ended = http.get(f"/v1/batches/{batch}", headers=HEADERS).json()
    answers += _files(http, ended)
    answers.append(_answer(http.post(f"/v1/batches/{batch}/cancel", headers=HEADERS)))
    made, second = _batch(http, "four", "five")
    answers += made
    answers.append(_answer(http.post(f"/v1/batches/{second}/cancel", headers=HEADERS)))
    answers += _until_terminal(http, clock, second)
    answers += _files(http, http.get(f"/v1/batches/{second}", headers=HEADERS).json())
    return answers


def test_a_recorded_run_replays_the_same_answers(tmp_path: Path) -> None:
    run = record_and_replay("openai", _client, tmp_path)
    statuses = [s for s, _ in run.recorded]
    assert statuses[:5] == [200, 200, 200, 200, 404]
    assert 409 in statuses
    steps = [
        b["status"] for _, b in run.recorded if isinstance(b, dict) and "batch" == b.get("object")
    ]
    assert steps[:3] == ["validating", "validating", "in_progress"]
    assert "finalizing" in steps and "completed" in steps and steps[-1] == "cancelled"
    lines = [b for _, b in run.recorded if isinstance(b, list)]
    outcomes = [[(x["custom_id"], x["error"] is None) for x in file] for file in lines[1:]]
    assert outcomes == [
        [("one", True), ("three", True)],
        [("fail-two", True)],  # its HTTP 400 is in `response`
        [("four", False), ("five", False)],  # cancelled
    ]
    assert run.replayed == run.recorded
    assert KEY not in run.text
    assert "authorization" in run.text  # the file says which header was dropped


# An upstream whose next batch stays validating for three retrieves (the mock's own: two).
SLOW_VALIDATION = Scenario.from_dict(
    {
        "api": "openai",
        "batches": [
            {"id": "file-slowinput", "on_create": True, "items": []},
            {
                "id": "batch_slow",
                "on_create": True,
                "meta": {"validated": {"polls": 3}},
                "items": [],
            },
        ],
    }
)


def _one_batch(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    answers, batch = _batch(http, "one")
    return answers + _until_terminal(http, clock, batch)


def test_a_provider_that_validates_longer_is_replayed_so(tmp_path: Path) -> None:
    upstream = [SLOW_VALIDATION, *load_scenarios()]
    run = record_and_replay("openai", _one_batch, tmp_path, scenarios=upstream)
    steps = [body["status"] for _, body in run.recorded[1:]]
    assert steps == ["validating", "validating", "validating", "finalizing", "completed"]
    assert run.replayed == run.recorded
    assert "    meta:\n      validated:\n        polls: 3\n        seconds: 15\n" in run.text
