"""Time travel on the wall clock: ``POST /__mockbatch/clock`` moves it ahead of real time by an
offset (forward only), which the health answer shows and a reset removes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from conftest import BOUND

from mockbatch import ServerThread, SystemClock, create_app
from mockbatch.clock import LATEST

DOCS_DONE = "e35e06ee592d17a42dc9e6252a058617"  # the shipped iVvy scenario's completed batch
RESULTS = "/ivvy/api/1.0/batch?action=results"
THREE_DAYS = 259200


@pytest.fixture
def wall() -> Iterator[httpx.Client]:
    """A client of a wall-clock server over a real socket."""
    app = create_app(clock=SystemClock(), apis=["ivvy"], check_responses=True)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=BOUND) as http:
        yield http


def test_advancing_the_wall_clock_expires_a_completed_batchs_results(
    wall: httpx.Client,
) -> None:
    assert wall.post(RESULTS, json={"async": DOCS_DONE}).status_code == 200

    before = datetime.now(timezone.utc)
    moved = wall.post("/__mockbatch/clock", json={"advance": THREE_DAYS})
    after = datetime.now(timezone.utc)

    assert moved.status_code == 200
    assert moved.json()["offset"] == THREE_DAYS
    now = datetime.fromisoformat(moved.json()["now"])
    assert before + timedelta(seconds=THREE_DAYS) <= now <= after + timedelta(seconds=THREE_DAYS)
    expired = wall.post(RESULTS, json={"async": DOCS_DONE})
    assert (expired.status_code, expired.json()["specificCode"]) == (404, 24115)
    assert "Results are kept for 2 days after a batch completes" in expired.text


def test_health_shows_the_offset_and_a_reset_removes_it(wall: httpx.Client) -> None:
    assert wall.get("/__mockbatch/health").json()["clock"]["offset"] == 0
    wall.post("/__mockbatch/clock", json={"advance": 90})

    clock = wall.get("/__mockbatch/health").json()["clock"]
    assert (clock["kind"], clock["offset"]) == ("wall", 90)
    assert wall.get("/__mockbatch/clock").json()["offset"] == 90

    wall.post("/__mockbatch/reset")
    assert wall.get("/__mockbatch/clock").json()["offset"] == 0


def test_set_moves_the_wall_clock_to_a_later_time_only(wall: httpx.Client) -> None:
    target = datetime.now(timezone.utc) + timedelta(days=10)
    moved = wall.post("/__mockbatch/clock", json={"set": target.isoformat()})
    assert (moved.status_code, moved.json()["now"]) == (200, target.isoformat())
    assert 10 * 86400 - 60 < moved.json()["offset"] <= 10 * 86400

    back = wall.post("/__mockbatch/clock", json={"set": "2020-01-01T00:00:00Z"})
    assert (back.status_code, back.json()) == (
        400,
        {"error": "a clock only moves forward: 2020-01-01T00:00:00+00:00 is in the past"},
    )
    backwards = wall.post("/__mockbatch/clock", json={"advance": -1})
    assert (backwards.status_code, backwards.json()) == (
        400,
        {"error": "a clock only moves forward: seconds must be >= 0"},
    )
    assert wall.post("/__mockbatch/clock", json={"set": LATEST.isoformat()}).status_code == 200
    assert wall.post("/__mockbatch/clock", json={"advance": 60}).status_code == 400
