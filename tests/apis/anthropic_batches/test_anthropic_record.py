"""``mockbatch record --api anthropic``: a client's run recorded through mockbatch, replayed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from record_helpers import Answer, answer, record_and_replay

from mockbatch import VirtualClock

KEY = "sk-ant-api03-record-do-not-write-5e6f"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
BATCHES = "/v1/messages/batches"
MAX_POLLS = 20  # a bound for a batch that never ends, not a speed check
UNKNOWN = "msgbatch_01unknown"
# The fields that move with the clock or name the server's own address.
MOVING = ("created_at", "expires_at", "ended_at", "archived_at", "cancel_initiated_at")


def _requests(*custom_ids: str) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": c,
            "params": {
                "model": "claude-sonnet-4-5",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": f"prompt {c}"}],
            },
        }
        for c in custom_ids
    ]


def _steady(found: Answer) -> Answer:
    """An answer without the fields that depend on the clock or the server's address."""
    status, body = found
    if isinstance(body, dict):
        body = {k: ("<moves>" if k in MOVING and v is not None else v) for k, v in body.items()}
        if isinstance(body.get("results_url"), str):
            body["results_url"] = body["results_url"].split("/v1/", 1)[1]
    return status, body


def _results(http: httpx.Client, url: str) -> Answer:
    """The results file at ``url``, as the lines the SDK streams (JSON Lines)."""
    got = http.get(url, headers=HEADERS)
    if got.status_code != 200:
        return answer(got)
    return got.status_code, [json.loads(line) for line in got.text.splitlines()]


def _poll(http: httpx.Client, batch_id: str) -> dict[str, Any]:
    found: dict[str, Any] = http.get(f"{BATCHES}/{batch_id}", headers=HEADERS).json()
    return found


def _until_ended(http: httpx.Client, clock: VirtualClock, batch_id: str) -> list[Answer]:
    """Retrieve (a second apart) until the batch has ended, at most MAX_POLLS times, then
    download its results from the ``results_url`` it gave, as the SDK does."""
    seen: list[Answer] = []
    for _ in range(MAX_POLLS):
        clock.advance(1)
        batch = _poll(http, batch_id)
        seen.append(_steady((200, batch)))
        if batch["processing_status"] == "ended":
            return [*seen, _results(http, batch["results_url"])]
    raise AssertionError(f"{batch_id} never ended: {seen[-1]}")


def _create(http: httpx.Client, *custom_ids: str) -> tuple[Answer, str]:
    made = http.post(BATCHES, json={"requests": _requests(*custom_ids)}, headers=HEADERS)
    return _steady(answer(made)), made.json()["id"]


def _client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """A batch that succeeds and errors (its results read too early first), one canceled at
    once, one whose last request expires, and a batch that does not exist."""
    made, batch = _create(http, "one", "fail-two", "three")
    answers = [made, _results(http, f"{BATCHES}/{batch}/results")]
    answers += _until_ended(http, clock, batch)
    made, second = _create(http, "four", "five")
    answers.append(made)
    answers.append(_steady(answer(http.post(f"{BATCHES}/{second}/cancel", headers=HEADERS))))
    answers += _until_ended(http, clock, second)
    made, third = _create(http, "six", "expire-seven")
    answers.append(made)
    for _ in range(3):  # "six" ends; "expire-seven" is still running at its 24 h
        clock.advance(2)
        answers.append(_steady((200, _poll(http, third))))
    clock.advance(86_400)
    answers += _until_ended(http, clock, third)
    answers.append(answer(http.get(f"{BATCHES}/{UNKNOWN}", headers=HEADERS)))
    return answers


def test_a_recorded_run_replays_the_same_answers(tmp_path: Path) -> None:
    run = record_and_replay("anthropic", _client, tmp_path)
    assert run.recorded[1][0] == 400  # results before the end
    assert run.recorded[-1][0] == 404
    results = [a[1] for a in run.recorded if isinstance(a[1], list)]
    assert [[line["result"]["type"] for line in r] for r in results] == [
        ["succeeded", "errored", "succeeded"],
        ["canceled", "canceled"],
        ["succeeded", "expired"],
    ]
    assert run.replayed == run.recorded
    assert KEY not in run.text
    assert "x-api-key" in run.text  # the file says which header was dropped
