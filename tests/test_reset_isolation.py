"""A reset starts afresh: no callback of the discarded state is sent or journaled after it, and
faults' counters and rate-limit windows start again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from receiver import receiver
from test_callbacks import complete, poll, run
from test_plugin import CLIENT

from mockbatch import Scenario, VirtualClock, create_app
from mockbatch.app import load_scenarios
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport


def callbacks_journaled(mock: Mock) -> list[str | None]:
    return [e.outcome for e in mock.journal.entries() if e.kind == "callback"]


def test_a_reset_drops_the_outcome_of_an_attempt_in_flight(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    gate = threading.Event()
    with receiver(gate=gate) as target:
        complete(client, clock, run(client, target.url))
        target.wait_for(1)  # received, not answered: the attempt is in flight
        (delivery,) = mock.outbox.deliveries
        mock.reset()
        gate.set()
        assert mock.outbox.wait(lambda: len(delivery.attempts) == 1)  # it came back, 200

    assert callbacks_journaled(mock) == []
    assert mock.outbox.deliveries == []
    assert (delivery.state, delivery.reason) == ("discarded", "the mock was reset")


def test_a_reset_ends_a_delivery_waiting_for_its_retry(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    with receiver(500) as target:
        complete(client, clock, run(client, target.url))
        target.wait_for(1)
        (delivery,) = mock.outbox.deliveries
        assert mock.outbox.wait(lambda: len(delivery.attempts) == 1)
        mock.reset()
        clock.advance(60)  # long past its retry: a live delivery would have been tried again
        assert mock.outbox.wait(lambda: mock.outbox.idle)
        assert len(target.received) == 1

    assert (delivery.state, delivery.due) == ("discarded", None)
    assert callbacks_journaled(mock) == []


FAULTS = {
    "api": "ivvy",
    "options": {"rate_limit": {"limit": 5, "window": 60}},
    "faults": [
        {"query": {"action": "progress"}, "every": 2, "status": 503},
        {"query": {"action": "results"}, "times": 1, "status": 502},
    ],
}


@pytest.fixture
def faulty() -> Iterator[tuple[Mock, httpx.Client]]:
    app = create_app(scenarios=[*load_scenarios(), Scenario.from_dict(FAULTS)])
    transport = InProcessTransport(app)
    with httpx.Client(transport=transport, base_url="http://mockbatch.test") as http:
        yield app.state.mock, http


def test_fault_counters_and_rate_limit_windows_start_again_after_a_reset(
    faulty: tuple[Mock, httpx.Client],
) -> None:
    mock, http = faulty
    done = "e35e06ee592d17a42dc9e6252a058617"

    def statuses() -> list[tuple[int, str]]:
        actions = ["progress", "progress", "results", "results", "progress", "progress"]
        answers = [poll(http, done, action) for action in actions]
        return [(a.status_code, a.headers["x-ratelimit-remaining"]) for a in answers]

    expected = [(200, "4"), (503, "3"), (502, "2"), (200, "1"), (200, "0"), (429, "0")]
    assert statuses() == expected
    mock.reset()
    assert statuses() == expected


def test_the_next_test_never_sees_the_previous_tests_callback(pytester: pytest.Pytester) -> None:
    """The issue's two tests: a batch with a callbackUrl, then a test that counts its requests.
    The receiver holds the delivery in flight across the per-test reset, every run."""
    pytester.syspathinsert(Path(__file__).parent)
    pytester.makepyfile(
        CLIENT
        + """
import contextlib
import threading

from receiver import receiver

GATE = threading.Event()
KEPT = {}
STACK = contextlib.ExitStack()

def test_a_batch_with_a_callback(mockbatch):
    target = STACK.enter_context(receiver(gate=GATE))
    http = client(mockbatch)
    body = {"jobs": [PING], "callbackUrl": target.url}
    created = http.post(BATCH, params={"action": "run"}, json=body).json()["asyncId"]
    ask(http, "progress", created)
    ask(http, "progress", created)
    mockbatch.clock.advance(5)  # the shipped rule: the 3rd poll, 5 s on, completes it
    assert ask(http, "progress", created).json() == {"progress": 100}
    target.wait_for(1)  # in flight as this test ends
    KEPT["delivery"] = mockbatch.callbacks[0]

def test_one_request_one_entry(mockbatch):
    ask(client(mockbatch), "progress", RUNNING)
    GATE.set()
    delivery = KEPT["delivery"]
    assert mockbatch.server.mock.outbox.wait(lambda: len(delivery.attempts) == 1)
    STACK.close()
    assert [(e.kind, e.outcome) for e in mockbatch.requests] == [("request", None)]
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_fault_added_again_starts_with_fresh_counters(client: httpx.Client) -> None:
    """Each removed fault's counter goes with it (a new fault often gets the same id())."""
    seen = []
    for _ in range(20):
        client.post("/__mockbatch/faults", json={"api": "ivvy", "status": 503, "times": 1})
        seen.append(poll(client, "e35e06ee592d17a42dc9e6252a058617").status_code)
        client.delete("/__mockbatch/faults")

    assert seen == [503] * 20
