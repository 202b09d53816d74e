"""The dashboard shows each batch's status in its API's own words: the word the API itself
answers for the same batch at the same moment (``Provider.status_word``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from profiles import profile
from starlette.applications import Starlette

from mockbatch import ServerThread
from mockbatch.mock import Mock
from mockbatch.provider import Provider

C = "/__mockbatch"
Read = tuple[str, str, Callable[[str], Any], Callable[[Any], str]]
READS: dict[str, Read] = {  # api -> (method, path, body for an ID, the word in the answer)
    "ivvy": (
        "POST",
        "/api/1.0/batch?action=progress",
        lambda batch_id: {"async": batch_id},
        lambda answer: f"progress {answer['progress']}",
    ),
    "trigger": ("GET", "/api/v2/batches/{}", lambda _: None, lambda answer: answer["status"]),
    "runtype": ("GET", "/v1/batch/status/{}", lambda _: None, lambda answer: answer["status"]),
    "check": ("GET", "/v1/batch/{}", lambda _: None, lambda answer: answer["status"]),
    "anthropic": (
        "GET",
        "/v1/messages/batches/{}",
        lambda _: None,
        lambda answer: answer["processing_status"],
    ),
    "openai": ("GET", "/v1/batches/{}", lambda _: None, lambda answer: answer["status"]),
}
RUNNING = {  # a shipped batch still running (OpenAI ships none: one is created)
    "ivvy": "a7ec88af7d710bf51b188004bb532d77",
    "trigger": "batch_processing",
    "runtype": "b7f3c9d2-4a1e-4f8a-9c3e-2d5a7f6b8e9c",
    "check": "batch_generated1m",
    "anthropic": "msgbatch_01in_progress",
}


def answered_word(client: httpx.Client, api: str, batch_id: str) -> str:
    """The status word ``api`` answers to a read of ``batch_id``."""
    method, path, body, word = READS[api]
    answer = client.request(
        method,
        f"/{api}{path.format(batch_id)}",
        json=body(batch_id),
        headers=dict(profile(api).headers),
    )
    assert answer.status_code == 200, answer.text
    return word(answer.json())


def shown_word(client: httpx.Client, api: str, batch_id: str) -> str:
    """The status the dashboard's timeline feed shows for ``batch_id``."""
    shown: str = client.get(f"{C}/timeline/{api}/{batch_id}").json()["batch"]["status"]
    return shown


def running(client: httpx.Client, api: str) -> str:
    if api != "openai":
        return RUNNING[api]
    key = dict(profile(api).headers)
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}
    uploaded = client.post(
        "/openai/v1/files",
        headers=key,
        files={"file": ("in.jsonl", json.dumps(line).encode())},
        data={"purpose": "batch"},
    )
    body = {
        "input_file_id": uploaded.json()["id"],
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    }
    created: str = client.post("/openai/v1/batches", headers=key, json=body).json()["id"]
    return created


@pytest.mark.parametrize("api", sorted(READS))
def test_the_dashboard_shows_the_word_the_api_answers(client: httpx.Client, api: str) -> None:
    done, started = profile(api).batch_id, running(client, api)

    words = {}
    for batch_id in (done, started):
        words[batch_id] = answered_word(client, api, batch_id)
        assert shown_word(client, api, batch_id) == words[batch_id]

    assert words[done] != words[started]  # a finished and an unfinished word, both checked


def test_the_live_feed_carries_the_words_and_the_engines(app: Starlette) -> None:
    with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
        answered = {api: answered_word(client, api, RUNNING[api]) for api in RUNNING}
        with client.stream("GET", f"{C}/events") as stream:
            data = next(line for line in stream.iter_lines() if line.startswith("data: "))
    batches = {(b["api"], b["id"]): b for b in json.loads(data.removeprefix("data: "))["batches"]}

    shown = {api: batches[api, batch_id]["status"] for api, batch_id in RUNNING.items()}
    assert shown == answered
    assert batches["ivvy", RUNNING["ivvy"]]["engine_status"] == "in progress"


def test_a_provider_without_words_of_its_own_shows_the_engines(app: Starlette, mock: Mock) -> None:
    ivvy = app.state.providers["ivvy"]
    with mock.engine.lock:
        batch = mock.engine.get("ivvy", RUNNING["ivvy"])
        assert batch is not None
        now = mock.clock.now()
        assert Provider.status_word(ivvy, batch, now) in ("pending", "in progress")
        mock.engine.cancel(batch, running_too=True)
        assert Provider.status_word(ivvy, batch, now) == "cancelled"
