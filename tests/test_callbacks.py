"""Callbacks delivered to a real receiver on 127.0.0.1: once on completion, retried with backoff
on the mock's clock, refused off loopback, repeated on repost, duplicated or delayed on request."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import httpx
import pytest
from apis.ivvy.helpers import ready
from receiver import receiver

from mockbatch import Scenario, VirtualClock
from mockbatch.callbacks import CallbackPolicy, Delivery, Outgoing
from mockbatch.mock import Mock

BATCH = "/ivvy/api/1.0/batch"
JOBS = [{"namespace": "test", "action": "ping", "params": {}}]  # the shipped rule: 3 polls, 5 s


def run(client: httpx.Client, callback_url: str) -> str:
    answer = client.post(
        BATCH, params={"action": "run"}, json={"jobs": JOBS, "callbackUrl": callback_url}
    )
    async_id: str = answer.json()["asyncId"]
    return async_id


def poll(client: httpx.Client, async_id: str, action: str = "progress") -> httpx.Response:
    return client.post(BATCH, params={"action": action}, json={"async": async_id})


def complete(client: httpx.Client, clock: VirtualClock, async_id: str) -> str:
    """Poll a created batch through the shipped timing (two polls in progress, then 5 seconds
    on) to the poll that completes it; its asyncId."""
    ready(client, clock, async_id)
    poll(client, async_id)
    return async_id


def settled(mock: Mock, count: int, state: str) -> list[Delivery]:
    """Wait until ``count`` deliveries are in ``state`` (the outbox notifies on each change)."""
    assert mock.outbox.wait(
        lambda: sum(d.state == state for d in mock.outbox.deliveries) >= count
    ), [d.to_json() for d in mock.outbox.deliveries]
    return mock.outbox.deliveries


def test_delivered_once_when_the_batch_completes(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    with receiver() as target:
        async_id = run(client, target.url)
        ready(client, clock, async_id)
        assert target.received == []  # not before it completes

        poll(client, async_id)
        (got,) = target.wait_for(1)
        settled(mock, 1, "delivered")
        results = poll(client, async_id, "results").json()

    assert json.loads(got.body) == results
    assert got.headers["content-type"] == "application/json"
    assert len(mock.outbox.deliveries) == 1
    (shown,) = client.get("/__mockbatch/callbacks").json()["callbacks"]
    assert (shown["state"], shown["url"], shown["event"]) == ("delivered", target.url, "completed")
    assert [a["status"] for a in shown["attempts"]] == [200]
    (entry,) = [e for e in mock.journal.entries() if e.kind == "callback"]
    assert (entry.path, entry.status, entry.outcome) == (target.url, 200, "attempt 1: HTTP 200")


def test_retried_after_a_500_with_backoff_on_the_clock(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    with receiver(500) as target:
        complete(client, clock, run(client, target.url))
        target.wait_for(1)
        (delivery,) = settled(mock, 1, "pending")
        assert mock.outbox.wait(lambda: len(delivery.attempts) == 1)
        assert target.wait_for(1) and len(target.received) == 1  # nothing more until time moves

        clock.advance(1)  # the default backoff: 1 s before the 2nd attempt
        target.wait_for(2)
        settled(mock, 1, "delivered")

    outcomes = [e.outcome for e in mock.journal.entries() if e.kind == "callback"]
    assert outcomes == [
        "attempt 1: HTTP 500; next attempt at 2026-01-01T00:00:06+00:00",
        "attempt 2: HTTP 200",
    ]


def test_retried_after_a_refused_connection_until_it_gives_up(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    mock.load(Scenario.from_dict({"api": "ivvy", "options": {"callbacks": {"max_attempts": 3}}}))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/cb"  # bound, not listening: refused
        complete(client, clock, run(client, url))
        (delivery,) = mock.outbox.deliveries or settled(mock, 1, "pending")
        for advance, attempts in [(1, 2), (2, 3)]:  # waits of 1 s then 2 s (factor 2)
            assert mock.outbox.wait(lambda n=attempts - 1: len(delivery.attempts) == n)
            clock.advance(advance)
        settled(mock, 1, "failed")

    assert [a.time.isoformat() for a in delivery.attempts] == [
        "2026-01-01T00:00:05+00:00",
        "2026-01-01T00:00:06+00:00",
        "2026-01-01T00:00:08+00:00",
    ]
    assert all(a.error and a.error.startswith("ConnectError") for a in delivery.attempts)
    assert delivery.reason == "gave up after 3 attempts"


def test_a_target_off_loopback_is_refused_and_journaled(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    complete(client, clock, run(client, "http://example.com/hook"))
    (delivery,) = settled(mock, 1, "refused")

    assert delivery.attempts == []
    (entry,) = [e for e in mock.journal.entries() if e.kind == "callback"]
    assert entry.outcome == (
        "refused: host 'example.com' is not loopback (allow it with --allow-callback-host, or"
        " with options.callbacks.allow_hosts in a scenario loaded at start-up, not uploaded)"
    )


def test_repost_sends_the_results_again(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    with receiver() as target:
        async_id = complete(client, clock, run(client, target.url))
        target.wait_for(1)
        assert poll(client, async_id, "repost").json() == {"reposted": True}
        first, again = target.wait_for(2)

    assert first.body == again.body
    assert [d.message.event for d in mock.outbox.deliveries] == ["completed", "repost"]


@pytest.mark.parametrize("options", [{"duplicates": 2}, {"delay": 30}])
def test_duplicate_and_delayed_deliveries(
    client: httpx.Client, mock: Mock, clock: VirtualClock, options: dict[str, int]
) -> None:
    mock.load(Scenario.from_dict({"api": "ivvy", "options": {"callbacks": options}}))
    with receiver() as target:
        complete(client, clock, run(client, target.url))
        if "delay" in options:
            settled(mock, 1, "pending")
            assert target.received == []
            clock.advance(30)
        received = target.wait_for(1 + options.get("duplicates", 0))

    assert len({r.body for r in received}) == 1


def test_one_http_client_serves_every_delivery(
    client: httpx.Client, mock: Mock, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[httpx.Client] = []
    build = httpx.Client.__init__

    def counted(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        build(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counted)
    mock.load(Scenario.from_dict({"api": "ivvy", "options": {"callbacks": {"duplicates": 2}}}))
    with receiver(500) as target:
        complete(client, clock, run(client, target.url))
        target.wait_for(3)  # three deliveries, one of them answered 500
        clock.advance(1)
        target.wait_for(4)  # its retry
        settled(mock, 3, "delivered")
        assert mock.outbox.wait(lambda: made[0].is_closed)  # closed once the outbox is idle

    assert len(made) == 1


@pytest.mark.parametrize("bad", ["\r\nX-Injected: yes", "\x00"])
def test_a_callback_url_with_control_characters_is_refused_at_creation(
    client: httpx.Client, mock: Mock, bad: str
) -> None:
    url = f"http://127.0.0.1:9/cb{bad}"
    before = len(mock.engine.batches("ivvy"))
    answer = client.post(BATCH, params={"action": "run"}, json={"jobs": JOBS, "callbackUrl": url})

    position = url.index(bad[0])
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "errorCode": 400,
            "message": "'callbackUrl' does not validate",
            "specificCode": 23016,
            "additionalMessages": [
                f"callbackUrl: control character {bad[0]!r} at position {position}"
                " (a URL may not hold CR, LF, NUL or other control characters)"
            ],
        },
    )
    assert len(mock.engine.batches("ivvy")) == before  # no batch, so no delivery to come


def test_a_malformed_target_that_reaches_the_outbox_is_refused_and_journaled(mock: Mock) -> None:
    message = Outgoing("check", "batch_1", "batch.completed", "http://127.0.0.1:9/\r\nX: y", b"{}")
    (delivery,) = mock.outbox.send(message, CallbackPolicy())

    assert (delivery.state, delivery.attempts) == ("refused", [])
    (entry,) = [e for e in mock.journal.entries() if e.kind == "callback"]
    assert entry.outcome == (
        "refused: control character '\\r' at position 19"
        " (a URL may not hold CR, LF, NUL or other control characters)"
    )


def test_an_unexpected_error_while_sending_is_a_failed_attempt(
    client: httpx.Client, mock: Mock, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    send = httpx.Client.send

    def broken(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.url.path == "/unexpected":  # the callback; the test's own requests go on
            raise RuntimeError("something nobody expected")
        return send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", broken)
    mock.load(Scenario.from_dict({"api": "ivvy", "options": {"callbacks": {"max_attempts": 2}}}))
    complete(client, clock, run(client, "http://127.0.0.1:9/unexpected"))
    (delivery,) = mock.outbox.deliveries or settled(mock, 1, "pending")
    assert mock.outbox.wait(lambda: len(delivery.attempts) == 1)
    clock.advance(1)
    settled(mock, 1, "failed")

    outcomes = [e.outcome for e in mock.journal.entries() if e.kind == "callback"]
    assert outcomes == [
        "attempt 1: RuntimeError: something nobody expected;"
        " next attempt at 2026-01-01T00:00:06+00:00",
        "attempt 2: RuntimeError: something nobody expected",
    ]
    assert delivery.reason == "gave up after 2 attempts"


def test_a_running_batch_on_the_virtual_clock_is_looked_at_when_poked_not_every_tick(
    client: httpx.Client, mock: Mock, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every app of a test session used to keep a thread looking at its batches 100 times a
    # second until they completed (never, for a shipped batch on a clock nobody moves).
    looks = [0]
    looked = threading.Event()
    watch = type(mock.outbox)._watch

    def counted(self: Any, now: Any) -> bool:
        if self is mock.outbox:  # earlier tests' outboxes may still be about
            looks[0] += 1
            looked.set()
        return watch(self, now)

    monkeypatch.setattr(type(mock.outbox), "_watch", counted)
    with receiver() as target:
        async_id = run(client, target.url)  # one job: done at its 3rd poll, 5 s on
        # Every wake the create made (the provider's, the request's poke) has been seen.
        assert mock.outbox.wait(lambda: mock.outbox.resting, timeout=60)
        seen = looks[0]
        assert seen >= 1
        assert mock.outbox.wait(lambda: False, timeout=0.3) is False  # time passes, nothing moves
        assert looks[0] == seen

        looked.clear()
        clock.advance(1)  # a move of the clock is a poke
        assert looked.wait(60)
        ready(client, clock, async_id)  # so are requests: two polls, and 5 s more
        poll(client, async_id)  # this poll completes the batch
        (got,) = target.wait_for(1)
    assert json.loads(got.body)["asyncId"] == async_id
