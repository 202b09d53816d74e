"""Each fault, seen by a client and then gone: statuses, latency, dropped connections, stalled,
vanishing and expiring batches, rate limits. Faults come from scenarios or the control API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from apis.ivvy.helpers import BATCH, call
from conftest import BOUND
from profiles import apis, error_format, poll
from starlette.applications import Starlette

from mockbatch import Scenario, ServerThread, VirtualClock
from mockbatch.faults import KEYS_COUNTED, RateLimiter
from mockbatch.mock import Mock

DONE = "e35e06ee592d17a42dc9e6252a058617"
PING = [{"namespace": "test", "action": "ping", "params": {}}]  # finishes at the 1st poll


def progress(client: httpx.Client, async_id: str = DONE) -> httpx.Response:
    return call(client, "progress", {"async": async_id})


def add_fault(client: httpx.Client, **fault: Any) -> None:
    response = client.post("/__mockbatch/faults", json={"api": "ivvy", **fault})
    assert response.status_code == 201, response.text


def remove_faults(client: httpx.Client) -> None:
    assert client.delete("/__mockbatch/faults").json() == {"faults": []}


def test_an_error_status_on_the_nth_request_with_retry_after(client: httpx.Client) -> None:
    add_fault(
        client, operation="batch", query={"action": "progress"}, on=2, status=503, retry_after=2
    )

    assert progress(client).status_code == 200
    refused = progress(client)
    assert refused.status_code == 503
    assert refused.json() == {
        "errorCode": 503,
        "message": "Service Unavailable",
        "specificCode": 23000,
    }
    assert refused.headers["retry-after"] == "2"
    assert progress(client).json() == {"progress": 100}


@pytest.mark.parametrize(
    "status, text",
    [(429, "Too Many Requests"), (500, "Internal Server Error"), (502, "Bad Gateway")],
)
def test_every_nth_request_fails_until_the_fault_is_removed(
    client: httpx.Client, status: int, text: str
) -> None:
    add_fault(client, every=2, status=status)

    answers = [progress(client) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, status, 200, status]
    assert answers[1].json() == {"errorCode": status, "message": text, "specificCode": 23000}
    remove_faults(client)
    assert [progress(client).status_code for _ in range(3)] == [200, 200, 200]


def test_seeded_probability_repeats_after_reset(client: httpx.Client) -> None:
    add_fault(client, probability=0.5, seed=7, status=500)
    first = [progress(client).status_code for _ in range(12)]
    client.post("/__mockbatch/reset")
    add_fault(client, probability=0.5, seed=7, status=500)
    again = [progress(client).status_code for _ in range(12)]

    assert first == again
    assert 200 in first and 500 in first


def test_a_dropped_connection_then_success(client: httpx.Client) -> None:
    add_fault(client, drop=True, times=1)

    with pytest.raises(httpx.RemoteProtocolError):
        progress(client)
    assert progress(client).status_code == 200


@pytest.fixture
def served(app: Starlette) -> Iterator[httpx.Client]:
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=BOUND) as http:
        yield http


def test_latency_delays_the_matching_requests_only(served: httpx.Client, mock: Mock) -> None:
    # How long the wait takes is asyncio's business (a wall-time assertion here failed on busy
    # machines); what the mock owes is waiting on the matching requests, and saying so.
    add_fault(served, operation="batch", query={"action": "progress"}, latency=0.2)

    assert progress(served).status_code == 200
    assert call(served, "results", {"async": DONE}).status_code == 200
    remove_faults(served)
    assert progress(served).status_code == 200

    outcomes = [(e.query, e.outcome) for e in mock.journal.entries() if e.api == "ivvy"]
    assert outcomes == [
        ("action=progress", "delayed 0.2 s (fault)"),
        ("action=results", None),
        ("action=progress", None),
    ]


def test_a_stalled_batch_never_finishes_until_the_fault_goes(
    client: httpx.Client, clock: VirtualClock
) -> None:
    add_fault(client, batch="*", stall=True)
    async_id = call(client, "run", {"jobs": PING}).json()["asyncId"]
    clock.advance(3600)
    assert [progress(client, async_id).json()["progress"] for _ in range(3)] == [0, 0, 0]
    assert call(client, "results", {"async": async_id}).json()["specificCode"] == 24114

    remove_faults(client)
    assert progress(client, async_id).json() == {"progress": 100}


def test_a_batch_vanishes_after_n_polls(client: httpx.Client) -> None:
    add_fault(client, batch=DONE, vanish_after_polls=2)

    assert [progress(client).status_code for _ in range(2)] == [200, 200]
    gone = progress(client)
    assert (gone.status_code, gone.json()["specificCode"]) == (404, 24105)
    remove_faults(client)
    assert progress(client).status_code == 200


def test_results_expire_on_the_clock(client: httpx.Client, clock: VirtualClock) -> None:
    add_fault(client, batch="*", expire_after=60)
    assert call(client, "results", {"async": DONE}).status_code == 200
    clock.advance(60)
    expired = call(client, "results", {"async": DONE})
    assert (expired.status_code, expired.json()["specificCode"]) == (404, 24115)
    remove_faults(client)
    assert call(client, "results", {"async": DONE}).status_code == 200


def test_rate_limit_per_key_with_headers(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    mock.load(
        Scenario.from_dict({"api": "ivvy", "options": {"rate_limit": {"limit": 2, "window": 60}}})
    )
    clock.advance(30)  # mid-window: 30 s until it resets

    ok = [progress(client) for _ in range(2)]
    limited = progress(client)
    other_key = client.post(
        BATCH,
        params={"action": "progress"},
        json={"async": DONE},
        headers={"authorization": "Bearer k2"},
    )

    assert [r.headers["x-ratelimit-remaining"] for r in ok] == ["1", "0"]
    assert limited.status_code == 429
    assert limited.json() == {
        "errorCode": 429,
        "message": "Too Many Requests",
        "specificCode": 23000,
    }
    assert (limited.headers["retry-after"], limited.headers["x-ratelimit-limit"]) == ("30", "2")
    assert other_key.status_code == 200
    clock.advance(30)
    assert progress(client).status_code == 200


def test_a_rate_limiter_counts_a_bounded_number_of_keys() -> None:
    limiter = RateLimiter(limit=5, window=60)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    for i in range(3 * KEYS_COUNTED):  # a client making up a key per request
        limiter.take(f"key-{i}", now)

    assert KEYS_COUNTED // 2 <= len(limiter._windows) <= KEYS_COUNTED
    assert "key-0" not in limiter._windows  # the oldest went first
    assert limiter.take(f"key-{3 * KEYS_COUNTED - 1}", now)[:2] == (True, 3)


def test_a_rate_limiter_drops_the_keys_of_past_windows_first() -> None:
    limiter = RateLimiter(limit=5, window=60)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(KEYS_COUNTED):
        limiter.take(f"key-{i}", now)

    limiter.take("late", now + timedelta(seconds=60))

    assert list(limiter._windows) == ["late"]


def test_faults_from_a_scenario_survive_reset(client: httpx.Client, mock: Mock) -> None:
    mock.loaded.append(Scenario.from_dict({"api": "ivvy", "faults": [{"on": 1, "status": 502}]}))
    mock.reset()
    assert progress(client).status_code == 502
    client.post("/__mockbatch/reset")
    assert progress(client).status_code == 502
    assert progress(client).status_code == 200


def test_a_bad_fault_is_refused_with_its_place(client: httpx.Client) -> None:
    response = client.post("/__mockbatch/faults", json={"api": "ivvy", "status": 200, "evrey": 2})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        "<POST /__mockbatch/faults>:1: faults[0].evrey: unknown key (did you mean 'every'?)"
        " (valid: batch, drop, every, expire_after, latency, on, operation, probability, query,"
        " retry_after, seed, stall, status, times, vanish_after_polls)",
        "<POST /__mockbatch/faults>:1: faults[0].status: 200 is less than the minimum of 400"
        " (valid: 400 or more)",
    ]


def test_a_stall_never_takes_back_what_already_finished(client: httpx.Client) -> None:
    assert call(client, "results", {"async": DONE}).status_code == 200
    add_fault(client, batch="*", stall=True)
    assert call(client, "results", {"async": DONE}).status_code == 200
    assert progress(client).json() == {"progress": 100}


# The exact 429 bodies of the built-ins; every provider's is checked for its format.
FAULT_BODIES: dict[str, Any] = {
    "ivvy": {"errorCode": 429, "message": "Too Many Requests", "specificCode": 23000},
    "trigger": {"error": "Too Many Requests"},
    "runtype": {"error": "Too Many Requests"},
    "check": {"error": {"code": "rate_limited", "message": "Too Many Requests", "retryAfter": 7}},
}


@pytest.mark.parametrize("api", apis())
def test_every_api_answers_a_fault_in_its_own_format(client: httpx.Client, api: str) -> None:
    added = client.post(
        "/__mockbatch/faults", json={"api": api, "status": 429, "retry_after": 7, "times": 1}
    )
    assert added.status_code == 201
    refused = poll(client, api)
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "7")
    assert error_format(api, refused.json()), refused.text
    if api in FAULT_BODIES:
        assert refused.json() == FAULT_BODIES[api]
    assert poll(client, api).status_code == 200


@pytest.mark.parametrize("api", apis())
def test_every_api_survives_a_dropped_connection(client: httpx.Client, api: str) -> None:
    added = client.post("/__mockbatch/faults", json={"api": api, "drop": True, "times": 1})
    assert added.status_code == 201
    with pytest.raises(httpx.TransportError):
        poll(client, api)
    assert poll(client, api).status_code == 200
