"""Check webhooks to a real receiver on 127.0.0.1: the documented envelope, a signature the
receiver can verify, batch.completed and batch.failed, and nothing for a cancelled batch."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest
from receiver import receiver

from mockbatch import Scenario, VirtualClock, create_app
from mockbatch.app import load_scenarios
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

from .helpers import KEY, create, poll

SECRET = "whsec_test"


def webhook_to(mock: Mock, url: str) -> None:
    mock.load(
        Scenario.from_dict({"api": "check", "options": {"webhook": {"url": url, "secret": SECRET}}})
    )


def verify(header: str, body: bytes) -> bool:
    """What a receiver does with X-Check-Signature."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(
        SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.mark.parametrize(
    "claims, kind",
    [
        (("The Moon orbits the Earth.",), "batch.completed"),
        (("a timeout, surely",), "batch.failed"),
    ],
)
def test_a_finished_batch_sends_one_signed_event(
    client: httpx.Client, mock: Mock, clock: VirtualClock, claims: tuple[str, ...], kind: str
) -> None:
    with receiver() as target:
        webhook_to(mock, target.url)
        batch_id = create(client, *claims)["id"]
        for _ in range(3):
            poll(client, batch_id)
        assert target.received == []  # pending, queued, processing: nothing yet
        clock.advance(5)
        final = poll(client, batch_id).json()  # the shipped rules: the 4th poll, 5 s on
        (got,) = target.wait_for(1)
        mock.outbox.wait(lambda: all(d.state == "delivered" for d in mock.outbox.deliveries))

    event = json.loads(got.body)
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == (
        kind,
        batch_id,
        final["status"],
    )
    assert event["id"].startswith("evt_") and event["createdAt"] == "2026-01-01T00:00:05Z"
    assert verify(got.headers["X-Check-Signature"], got.body)
    assert not verify(got.headers["X-Check-Signature"], got.body + b" ")
    assert len(mock.outbox.deliveries) == 1


def test_a_cancelled_batch_sends_no_event(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    with receiver() as target:
        webhook_to(mock, target.url)
        cancelled = create(client, "The Moon orbits the Earth.")["id"]
        client.post(f"/check/v1/batch/{cancelled}/cancel", headers=KEY)
        finished = create(client, "The Moon orbits the Earth.")["id"]
        for _ in range(20):  # the shipped rules finish items within a few polls and seconds
            if poll(client, finished).json()["status"] == "completed":
                break
            clock.advance(5)
        assert poll(client, cancelled).json()["status"] == "cancelled"
        (got,) = target.wait_for(1)  # the finished batch's event: the outbox has looked at both
        mock.outbox.wait(lambda: all(d.state == "delivered" for d in mock.outbox.deliveries))
    assert json.loads(got.body)["data"]["id"] == finished
    assert [d.message.batch_id for d in mock.outbox.deliveries] == [finished]


README = Path(__file__).resolve().parents[3] / "README.md"
README_URL = "http://127.0.0.1:9000/hooks"


def readme_webhook_block() -> str:
    """The YAML block of the README's paragraph on Check's webhooks, as written."""
    paragraph = README.read_text("utf-8").split("\nCheck sends webhook events", 1)[1]
    return paragraph.split("```yaml\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("given", ["to create_app (as to serve)", "by a test's marker"])
def test_the_readmes_webhook_block_alone_sends_events(tmp_path: Path, given: str) -> None:
    text = readme_webhook_block()
    assert text.startswith("api: check\n") and README_URL in text
    with receiver() as target:
        path = tmp_path / "webhook.yaml"
        path.write_text(text.replace(README_URL, target.url), "utf-8")
        scenarios = load_scenarios([path])  # only this block: no shipped scenario
        if given.startswith("to create_app"):
            app = create_app(scenarios=scenarios, clock=VirtualClock())
        else:  # what the plugin does for a marker: these scenarios, then a reset
            app = create_app(clock=VirtualClock())
            app.state.mock.loaded = scenarios
            app.state.mock.reset()
        transport = InProcessTransport(app)
        with httpx.Client(transport=transport, base_url="http://mockbatch.test") as http:
            batch_id = create(http, "The Moon orbits the Earth.")["id"]
            final = poll(http, batch_id).json()
            (got,) = target.wait_for(1)

    event = json.loads(got.body)
    assert (event["type"], event["data"]["id"], event["data"]["status"]) == (
        "batch.completed",
        batch_id,
        final["status"],
    )
    assert verify(got.headers["X-Check-Signature"], got.body)
