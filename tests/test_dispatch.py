"""The per-API dispatcher: what happens around the adapter, for every API alike."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from mockbatch import VirtualClock, create_app
from mockbatch.apis import Call, Reply
from mockbatch.dispatch import ApiApp
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

BATCH = "/ivvy/api/1.0/batch"


def _adapter(app: Starlette) -> object:
    mount = next(r for r in app.routes if getattr(r, "path", None) == "/ivvy")
    api: ApiApp = mount.app  # type: ignore[attr-defined]
    return api.adapter


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
