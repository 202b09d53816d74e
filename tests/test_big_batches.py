"""Big batches cost what is read, not the batch: a retrieve reads one state per group of items
that share a spec, and results files go out in chunks, never whole in memory."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apis.openai_api.helpers import API, KEY, batch, jsonl, retrieve, until_terminal
from starlette.applications import Starlette

from mockbatch import Scenario, VirtualClock, create_app
from mockbatch.apis import FROZEN_MAX_ITEMS, Stream, chunked
from mockbatch.apis.anthropic import results as anthropic_results
from mockbatch.apis.linefile import FIRST_CHUNK, HEAD_BYTES
from mockbatch.apis.openai import results as openai_results
from mockbatch.engine import Batch
from mockbatch.transport import InProcessTransport

CHUNK = 16 * 1024
seen: list[int] = []  # get(made=...): len(made) at each body message
ANTHROPIC_KEY = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}


def get(
    app: Starlette, path: str, headers: dict[str, str], made: list[Any] | None = None
) -> tuple[dict[str, str], list[bytes]]:
    """A GET straight to the app: the response's headers and each body message's bytes (and,
    with ``made``, how many things were in it at each body message, appended to ``seen``)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("mockbatch.test", 80),
    }
    started: dict[str, str] = {}
    bodies: list[bytes] = []
    asked: list[bool] = []
    seen.clear()

    async def receive() -> dict[str, Any]:
        if asked:  # the client stays until the response is complete
            await asyncio.Event().wait()
        asked.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update({k.decode(): v.decode() for k, v in message["headers"]})
            started["status"] = str(message["status"])
        else:
            bodies.append(message.get("body", b""))
            if made is not None:
                seen.append(len(made))

    asyncio.run(app(scope, receive, send))
    return started, bodies


def counted(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Patch ``owner.name`` (a function of a batch or a state and an item's index, then
    anything) to note each index it is called with; the list of those indexes."""
    made: list[int] = []
    real = getattr(owner, name)

    def counting(batch: Any, index: int, *rest: Any) -> Any:
        made.append(index)
        return real(batch, index, *rest)

    monkeypatch.setattr(owner, name, counting)
    return made


def test_a_stream_stops_when_the_client_goes() -> None:
    made: list[int] = []

    def pieces() -> Iterator[bytes]:
        for n in range(1_000):
            made.append(n)
            yield b"x" * 1024

    sent: list[dict[str, Any]] = []
    asked: list[bool] = []

    async def receive() -> dict[str, Any]:
        if asked:
            await asyncio.sleep(0)  # the client leaves after the first chunks
            return {"type": "http.disconnect"}
        asked.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        asked.append(True)
        await Stream(chunked(pieces(), 4096), 1_024_000, threading.Lock()).send(send, receive)

    asyncio.run(run())

    assert 0 < len(sent) < 5 and len(made) < 20


@pytest.fixture
def openai() -> Iterator[tuple[Starlette, httpx.Client]]:
    app = create_app(clock=VirtualClock(), apis=["openai"], check_responses=True)
    transport = InProcessTransport(app)
    with httpx.Client(transport=transport, base_url="http://mockbatch.test") as http:
        yield app, http


def test_a_retrieve_reads_a_state_per_group_not_per_request(
    openai: tuple[Starlette, httpx.Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = openai
    ids = [f"fail-{n}" if n % 10 == 0 else f"r-{n}" for n in range(5_000)]
    created = batch(http, jsonl(*ids))
    reads = counted(monkeypatch, Batch, "state")
    seen = []
    for _ in range(3):  # validating, in_progress, finalizing: the 3rd retrieve ends the requests
        reads.clear()
        app.state.mock.clock.advance(5)  # the shipped timing: 3 polls and 5 s
        seen.append(retrieve(http, created["id"])["status"])
        assert len(reads) <= 30, (seen[-1], len(reads))  # 3 specs: ok, failing, finalizer

    assert seen == ["validating", "in_progress", "finalizing"]
    assert retrieve(http, created["id"])["request_counts"] == {
        "total": 5_000,
        "completed": 4_500,
        "failed": 500,
    }


def test_an_output_file_is_sent_in_chunks(openai: tuple[Starlette, httpx.Client]) -> None:
    app, http = openai
    created = batch(http, jsonl(*(f"r-{n}" for n in range(2_000))))
    done = until_terminal(http, app.state.mock.clock, created["id"])[-1]
    assert done["status"] == "completed"
    listed = http.get(f"{API}/files/{done['output_file_id']}", headers=KEY).json()

    headers, bodies = get(app, f"{API}/files/{done['output_file_id']}/content", KEY)

    content = b"".join(bodies)
    assert headers["status"] == "200"
    assert int(headers["content-length"]) == len(content) == listed["bytes"]
    assert content.count(b"\n") == 2_000
    assert len(bodies) > 2 and max(map(len, bodies)) < CHUNK + 1024
    assert app.state.mock.journal.entries()[-1].response is None


# Per API: a big batch's ID, and what its items ask, answer and fail with (scenario keys).
BIG: dict[str, dict[str, Any]] = {
    "anthropic": {
        "id": "msgbatch_big",
        "input": {"custom_id": "r-{index}", "params": {"model": "m", "max_tokens": 9}},
        "response": "ok",
        "error": {"type": "api_error", "message": "failed"},
    },
    "openai": {
        "id": "batch_big",
        "meta": {"endpoint": "/v1/chat/completions", "model": "gpt-4o-mini"},
        "input": {
            "custom_id": "r-{index}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": []},
        },
        "response": {},
        "error": {"code": "server_error", "message": "failed"},
    },
}


def big_app(api: str, count: int, *, fail_every: int = 3) -> Starlette:
    """The mock serving ``api`` with one generated batch of ``count`` items (``BIG[api]``),
    every ``fail_every``-th failing."""
    shape = BIG[api]
    generate = {k: shape[k] for k in ("input", "response", "error")}
    batch = {"id": shape["id"], "created_at": "2025-12-31T00:00:00Z"}
    if "meta" in shape:
        batch["meta"] = shape["meta"]
    batch["generate"] = {"count": count, **generate, "fail_every": fail_every}
    scenarios = [Scenario.from_dict({"api": api, "batches": [batch]})]
    return create_app(scenarios=scenarios, clock=VirtualClock(), apis=[api])


def test_an_anthropic_results_file_too_big_to_keep_is_sent_in_chunks() -> None:
    count = FROZEN_MAX_ITEMS + 2_000
    app = big_app("anthropic", count, fail_every=7)
    path = "/anthropic/v1/messages/batches/msgbatch_big/results"

    first = get(app, path, ANTHROPIC_KEY)
    again = get(app, path, ANTHROPIC_KEY)

    assert "content-length" not in first[0]  # sent chunked: its size was not known
    assert int(again[0]["content-length"]) == len(b"".join(again[1]))
    for headers, bodies in (first, again):
        content = b"".join(bodies)
        assert headers["status"] == "200", content[:300]
        assert content.count(b"\n") == count
        assert content.count(b'"type":"errored"') == count // 7
        assert len(bodies) > 2 and max(map(len, bodies[1:])) < CHUNK + 1024
    assert len(first[1][0]) < CHUNK  # the first lines go out soon
    assert len(again[1][0]) == len(anthropic_head(again[1])) > CHUNK  # the kept head: one piece
    assert b"".join(first[1]) == b"".join(again[1])


def anthropic_head(bodies: list[bytes]) -> bytes:
    """The whole lines of the file's first ``HEAD_BYTES``."""
    start = b"".join(bodies)[:HEAD_BYTES]
    return start[: start.rindex(b"\n") + 1]


def test_a_big_results_files_first_chunk_costs_its_own_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count = FROZEN_MAX_ITEMS + 5_000
    app = big_app("anthropic", count)
    made = counted(monkeypatch, anthropic_results, "line")
    path = "/anthropic/v1/messages/batches/msgbatch_big/results"

    first = get(app, path, ANTHROPIC_KEY, made)
    first_seen = list(seen)
    made_first = len(made)
    again = get(app, path, ANTHROPIC_KEY, made)

    assert 0 < first_seen[0] <= FIRST_CHUNK // 100 + 1  # a first chunk's lines (of 100+ bytes)
    assert made_first == count  # one pass: no count of the size first
    assert seen[0] == made_first  # the next download's head is kept: no line made for it
    assert made_first < len(made) < 2 * count
    assert b"".join(first[1]) == b"".join(again[1])


def test_a_big_output_file_is_made_once_and_its_size_learnt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    count = FROZEN_MAX_ITEMS + 3_000
    app = big_app("openai", count)
    made = counted(monkeypatch, openai_results, "_line")
    transport = InProcessTransport(app)
    with httpx.Client(transport=transport, base_url="http://mockbatch.test") as http:
        done = retrieve(http, "batch_big")
        output = done["output_file_id"]
        assert done["status"] == "completed" and made == []  # the files' IDs cost no line

        headers, bodies = get(app, f"{API}/files/{output}/content", KEY, made)
        first_seen, made_once = list(seen), len(made)
        listed = http.get(f"{API}/files/{output}", headers=KEY).json()
        made_listed = len(made)
        again = get(app, f"{API}/files/{output}/content", KEY, made)

    content = b"".join(bodies)
    assert "content-length" not in headers
    assert 0 < first_seen[0] <= FIRST_CHUNK // 100 + 1
    assert made_once == made_listed == count - count // 3  # one pass; the File's bytes too
    assert listed["bytes"] == len(content) and content.count(b"\n") == made_once
    assert b"".join(again[1]) == content and again[0]["content-length"] == str(len(content))
    assert seen[0] == made_once  # its first chunk: the kept head
