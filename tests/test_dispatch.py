"""The per-API dispatcher: what happens around the adapter, for every API alike."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from mockbatch import ServerThread, VirtualClock, create_app, dispatch
from mockbatch.apis import Call, Reply
from mockbatch.dispatch import ApiApp
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

BATCH = "/ivvy/api/1.0/batch"


def _adapter(app: Starlette) -> object:
    mount = next(r for r in app.routes if getattr(r, "path", None) == "/ivvy")
    api: ApiApp = mount.app  # type: ignore[attr-defined]
    return api.provider


@pytest.fixture
def app() -> Starlette:
    return create_app(clock=VirtualClock(), check_responses=True, max_body=1024)


@pytest.fixture
def http(app: Starlette) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")


def test_a_response_that_breaks_the_spec_is_journaled(
    app: Starlette, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_adapter(app), "handle", lambda call: Reply(200, {"progress": "half"}))

    http.post(BATCH, params={"action": "progress"}, json={"async": "x"})

    (entry,) = app.state.mock.journal.entries()
    assert [(v.location, v.keyword) for v in entry.violations] == [("response", "anyOf")]


def test_a_bug_is_answered_in_the_provider_format_and_kept_for_the_test(
    app: Starlette, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(call: Call) -> Reply:
        raise KeyError("boom")

    monkeypatch.setattr(_adapter(app), "handle", explode)

    response = http.post(BATCH, params={"action": "progress"}, json={"async": "x"})

    assert response.status_code == 500
    assert response.json() == {
        "errorCode": 500,
        "message": "Internal Server Error",
        "specificCode": 23000,
    }
    mock: Mock = app.state.mock
    (entry,) = mock.journal.entries()
    assert entry.error is not None and "KeyError: 'boom'" in entry.error


def test_a_body_over_the_limit_gets_413_and_is_journaled(
    app: Starlette, http: httpx.Client
) -> None:
    response = http.post(BATCH, params={"action": "run"}, content=b"x" * 5000)

    assert response.status_code == 413
    assert response.json()["errorCode"] == 413
    (entry,) = app.state.mock.journal.entries()
    assert (entry.status, len(entry.body)) == (413, 1024)


def test_journal_is_bounded_and_counts_what_it_dropped() -> None:
    app = create_app(clock=VirtualClock(), journal_limit=3)
    http = httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")
    for n in range(5):
        http.post(BATCH, params={"action": "progress"}, json={"async": str(n)})

    journal = app.state.mock.journal
    assert [e.body for e in journal.entries()] == [
        b'{"async":"2"}',
        b'{"async":"3"}',
        b'{"async":"4"}',
    ]
    assert journal.dropped == 2


def test_journal_is_bounded_by_bytes_too() -> None:
    app = create_app(clock=VirtualClock(), journal_bytes=2000)
    http = httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")
    for _ in range(5):  # each answer is ~700 bytes of results
        http.post(
            BATCH, params={"action": "results"}, json={"async": "e35e06ee592d17a42dc9e6252a058617"}
        )

    journal = app.state.mock.journal
    assert len(journal) == 2
    assert journal.dropped == 3


def _post_raw(host: str, port: int, path: str, size: int) -> tuple[bytes, bytes]:
    """Send a whole body of ``size`` bytes on a connection that closes after the answer, as a
    client that reads only once it has sent everything; the status line and the body read."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: mockbatch\r\nAuthorization: Bearer vfy_test\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, port)) as sock:
        sock.sendall(head.encode() + b"x" * size)  # a reset connection raises here
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    headers, _, body = answer.partition(b"\r\n\r\n")
    return headers.split(b"\r\n")[0], body


def test_a_body_far_over_the_limit_gets_its_413_before_the_connection_closes() -> None:
    app = create_app(clock=VirtualClock(), max_body=1024)
    with ServerThread(app) as server:
        answers = [
            _post_raw(server.host, server.port, "/check/v1/batch", 8 * 1024 * 1024)
            for _ in range(20)
        ]
    too_large = {
        "error": {
            "code": "payload_too_large",
            "message": "Request body exceeds the server's maximum size",
        }
    }
    assert [(status, json.loads(body)) for status, body in answers] == [
        (b"HTTP/1.1 413 Request Entity Too Large", too_large)
    ] * 20
    assert [e.status for e in app.state.mock.journal.entries()] == [413] * 20


def test_a_body_over_the_limit_is_drained_up_to_a_bound_and_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dispatch, "DRAIN_LIMIT", 100)
    received = 0

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * 10, "more_body": True}  # never ends

    body, too_large = asyncio.run(dispatch.read_body(receive, 25))

    assert (body, too_large) == (b"x" * 25, True)
    assert received == 13  # 30 bytes to pass the limit, then 100 more thrown away


def test_a_small_body_is_parsed_once_and_its_json_shared_as_parsed(
    app: Starlette, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = _adapter(app)
    handle = provider.handle  # type: ignore[attr-defined]
    seen: list[Call] = []

    def keep(call: Call) -> Reply:
        seen.append(call)
        return handle(call)  # type: ignore[no-any-return]

    monkeypatch.setattr(provider, "handle", keep)
    poll = {"async": "a7ec88af7d710bf51b188004bb532d77"}

    answers = [http.post(BATCH, params={"action": "progress"}, json=poll) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    first, second = seen
    assert first.json is second.json and first.json == poll
    assert first.query is second.query and first.path_params is second.path_params


def test_headers_sent_as_lists_are_read_as_pairs(app: Starlette, mock: Mock) -> None:
    """The ASGI spec lets a server send each header as a two-item list: they are remembered,
    shared and journaled as pairs, like tuples."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b'{"async": "unknown"}', "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": BATCH,
        "root_path": "",
        "query_string": b"action=progress",
        "headers": [[b"content-type", b"application/json"], [b"x-test", b"1"]],
    }
    for _ in range(2):
        asyncio.run(app(dict(scope), receive, send))

    bodies = [json.loads(m["body"]) for m in sent if m["type"] == "http.response.body"]
    assert [b["specificCode"] for b in bodies] == [24105, 24105]  # iVvy's: no such batch
    first, second = mock.journal.entries()[-2:]
    assert first.headers == {"content-type": "application/json", "x-test": "1"}
    assert first.sent_headers is second.sent_headers
