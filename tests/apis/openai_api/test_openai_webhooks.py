"""The ``batch.cancelled``, ``batch.failed`` and ``batch.expired`` webhooks, delivered to a
receiver on 127.0.0.1 and unwrapped by the official Python SDK with the scenario's secret."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import openai
import pytest
from openai import OpenAI
from receiver import Receiver, receiver

from mockbatch import Scenario, ServerThread, VirtualClock, create_app, load_scenarios
from mockbatch.mock import Mock

from .helpers import jsonl

SECRET = "whsec_bW9ja2JhdGNoLXdlYmhvb2stc2VjcmV0"
Served = tuple[OpenAI, Mock, Receiver]


@pytest.fixture
def served(clock: VirtualClock) -> Iterator[Served]:
    """The SDK (strict, with the webhook secret) on a server whose scenario posts webhooks to
    a receiver on 127.0.0.1."""
    with receiver() as target:
        hooks = {"api": "openai", "options": {"webhook": {"url": target.url, "secret": SECRET}}}
        app = create_app(clock=clock, scenarios=[*load_scenarios(), Scenario.from_dict(hooks)])
        with ServerThread(app) as server:
            sdk = OpenAI(
                api_key="sk-test",
                base_url=f"{server.url}/openai/v1",
                webhook_secret=SECRET,
                max_retries=0,
                _strict_response_validation=True,
            )
            yield sdk, app.state.mock, target


def _create(sdk: OpenAI, data: bytes) -> str:
    uploaded = sdk.files.create(file=("in.jsonl", data), purpose="batch")
    return sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    ).id


def _cancelled(sdk: OpenAI, clock: VirtualClock) -> str:
    batch_id = _create(sdk, jsonl("a", "b"))
    sdk.batches.cancel(batch_id)
    assert sdk.batches.retrieve(batch_id).status == "cancelled"
    return batch_id


def _failed(sdk: OpenAI, clock: VirtualClock) -> str:
    batch_id = _create(sdk, jsonl("a") + b"\n{oops")
    statuses = [sdk.batches.retrieve(batch_id).status for _ in range(2)]
    assert statuses == ["validating", "failed"]
    return batch_id


def _expired(sdk: OpenAI, clock: VirtualClock) -> str:
    batch_id = _create(sdk, jsonl("ok-1", "expire-2"))
    for _ in range(4):
        assert sdk.batches.retrieve(batch_id).status in ("validating", "in_progress")
    clock.advance(86_400)
    assert sdk.batches.retrieve(batch_id).status == "expired"
    return batch_id


@pytest.mark.parametrize(
    ("run", "event"),
    [(_cancelled, "batch.cancelled"), (_failed, "batch.failed"), (_expired, "batch.expired")],
)
def test_the_webhook_the_sdk_unwraps(
    served: Served, clock: VirtualClock, run: Callable[[OpenAI, VirtualClock], str], event: str
) -> None:
    sdk, mock, target = served

    batch_id = run(sdk, clock)
    (received,) = target.wait_for(1)
    assert mock.outbox.wait(lambda: mock.outbox.idle)

    unwrapped = sdk.webhooks.unwrap(received.body, received.headers)
    assert (unwrapped.type, unwrapped.data.id) == (event, batch_id)
    assert unwrapped.id == received.headers["webhook-id"]
    assert unwrapped.created_at == int(clock.now().timestamp())  # the mock's clock
    assert json.loads(received.body) == {
        "id": unwrapped.id,
        "object": "event",
        "type": event,
        "created_at": unwrapped.created_at,
        "data": {"id": batch_id},
    }
    assert received.headers["content-type"] == "application/json"
    assert len(target.received) == 1  # one event per batch, nothing before it
    journaled = [e for e in mock.journal.entries() if e.kind == "callback"]
    assert [(e.method, e.path, e.outcome) for e in journaled] == [
        ("POST", target.url, "attempt 1: HTTP 200")
    ]


def test_a_webhook_signed_with_another_secret_is_refused(
    served: Served, clock: VirtualClock
) -> None:
    sdk, _, target = served
    _cancelled(sdk, clock)
    (received,) = target.wait_for(1)

    with pytest.raises(openai.InvalidWebhookSignatureError):
        sdk.webhooks.unwrap(received.body, received.headers, secret="whsec_b3RoZXI=")
