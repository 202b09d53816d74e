"""The official Python SDK (``anthropic`` 2.16.0, strict response validation, no retries)
against the suite's server, in process and over a real socket: create, retrieve until ended
on the virtual clock, results, list auto-paginated, cancel, delete, NotFoundError, expiry."""

from __future__ import annotations

import re
from collections.abc import Iterator

import anthropic
import pytest
from starlette.applications import Starlette

from mockbatch import ServerThread, VirtualClock
from mockbatch.mock import Mock

from .helpers import BATCH_ID, HOST, params, sdk


@pytest.fixture(params=["in-process", "socket"])
def served(
    request: pytest.FixtureRequest, app: Starlette
) -> Iterator[tuple[anthropic.Anthropic, str]]:
    """The SDK on the app; and the host its results_url must name."""
    if request.param == "socket":
        with ServerThread(app) as server:
            yield sdk(f"{server.url}/anthropic"), server.url
    else:
        yield sdk(f"{HOST}/anthropic", app), HOST


def _requests(*custom_ids: str) -> list[anthropic.types.messages.batch_create_params.Request]:
    return [{"custom_id": c, "params": params(f"prompt {c}")} for c in custom_ids]  # type: ignore[misc]


def test_create_poll_results_list_cancel_delete(
    served: tuple[anthropic.Anthropic, str], clock: VirtualClock, mock: Mock
) -> None:
    client, host = served
    batches = client.messages.batches

    batch = batches.create(requests=_requests("ok-1", "fail-2", "ok-3"))
    assert re.fullmatch(BATCH_ID, batch.id)
    assert (batch.processing_status, batch.request_counts.processing) == ("in_progress", 3)
    assert batch.results_url is None and batch.expires_at - batch.created_at == _hours(24)

    seen = [batches.retrieve(batch.id).processing_status]
    clock.advance(5)
    while seen[-1] != "ended":
        seen.append(batches.retrieve(batch.id).processing_status)
    assert seen == ["in_progress", "in_progress", "ended"]
    ended = batches.retrieve(batch.id)
    counts = ended.request_counts
    assert (counts.succeeded, counts.errored, counts.processing) == (2, 1, 0)
    assert ended.results_url == f"{host}/anthropic/v1/messages/batches/{batch.id}/results"

    lines = {line.custom_id: line.result for line in batches.results(batch.id)}
    assert [lines[c].type for c in ("ok-1", "fail-2", "ok-3")] == [
        "succeeded",
        "errored",
        "succeeded",
    ]
    ok = lines["ok-1"]
    assert isinstance(ok, anthropic.types.messages.MessageBatchSucceededResult)
    assert ok.message.content[0].type == "text"
    assert ok.message.content[0].text == "Mock reply to: prompt ok-1"
    assert ok.message.model == "claude-sonnet-4-5" and ok.message.role == "assistant"
    failed = lines["fail-2"]
    assert isinstance(failed, anthropic.types.messages.MessageBatchErroredResult)
    assert failed.error.error.type == "invalid_request_error"
    assert failed.error.error.message == "mock failure for fail-2"

    running = batches.create(requests=_requests("slow-1", "slow-2"))
    listed = [b.id for b in batches.list(limit=2)]
    assert listed[:2] == [running.id, batch.id] and len(listed) == len(set(listed)) == 5
    assert listed[2:] == [b.id for b in mock.engine.batches("anthropic")][:3][::-1]

    canceling = batches.cancel(running.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    canceled = batches.retrieve(running.id)
    assert canceled.processing_status == "ended"
    assert canceled.request_counts.canceled == 2 and canceled.request_counts.processing == 0
    assert [r.result.type for r in batches.results(running.id)] == ["canceled", "canceled"]

    deleted = batches.delete(running.id)
    assert (deleted.id, deleted.type) == (running.id, "message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError) as missing:
        batches.retrieve(running.id)
    assert missing.value.status_code == 404
    assert missing.value.body == {
        "type": "error",
        "error": {
            "type": "not_found_error",
            "message": f"No message batch found with id '{running.id}'",
        },
        "request_id": missing.value.request_id,
    }


def test_an_expire_request_ends_its_batch_at_expires_at(
    served: tuple[anthropic.Anthropic, str], clock: VirtualClock
) -> None:
    client, _ = served
    batches = client.messages.batches
    batch = batches.create(requests=_requests("ok-1", "expire-2"))
    batches.retrieve(batch.id)
    clock.advance(3600)
    hour = batches.retrieve(batch.id)
    assert hour.processing_status == "in_progress" and hour.request_counts.processing == 2
    later = batches.retrieve(batch.id)  # ok-1 finishes at this third poll, in time
    assert later.processing_status == "in_progress"  # counted once the batch ends

    clock.advance(23 * 3600)
    ended = batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.ended_at == ended.expires_at
    counts = ended.request_counts
    assert (counts.succeeded, counts.expired, counts.processing) == (1, 1, 0)
    assert {r.custom_id: r.result.type for r in batches.results(batch.id)} == {
        "ok-1": "succeeded",
        "expire-2": "expired",
    }


def test_a_key_the_sdk_sends_as_bearer_and_a_typed_auth_error(
    served: tuple[anthropic.Anthropic, str], mock: Mock
) -> None:
    client, _ = served
    with pytest.raises(anthropic.AuthenticationError) as refused:
        client.with_options(api_key="not-a-key").messages.batches.list()
    assert refused.value.body["error"] == {
        "type": "authentication_error",
        "message": "invalid x-api-key",
    }  # type: ignore[index]
    sent = mock.journal.entries()[-1].headers
    assert sent["authorization"].startswith("Bearer ") and sent["anthropic-version"] == "2026-10-21"


def _hours(n: int) -> object:
    from datetime import timedelta

    return timedelta(hours=n)
