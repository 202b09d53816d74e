"""The official Python SDK (``openai`` 3.57.0, pinned in the test extras) with
``_strict_response_validation=True``, in process and over a real socket: upload, create,
retrieve until done, the output and error files parsed with the SDK's own types, the batches
list auto-paginated, cancel, expiry, a malformed input, and a webhook ``unwrap`` accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from conftest import assert_contract_kept
from openai import OpenAI
from openai.types import Completion, CreateEmbeddingResponse, ModerationCreateResponse
from openai.types.chat import ChatCompletion
from openai.types.responses import Response
from pydantic import BaseModel
from receiver import receiver
from starlette.applications import Starlette

from mockbatch import Scenario, ServerThread, VirtualClock, create_app
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

from .helpers import jsonl

SECRET = "whsec_bW9ja2JhdGNoLXdlYmhvb2stc2VjcmV0"


@pytest.fixture(params=["in-process", "socket"])
def sdk(request: pytest.FixtureRequest, app: Starlette) -> Iterator[OpenAI]:
    """The SDK, strict, pointed at the app."""
    if request.param == "in-process":
        http = httpx.Client(transport=InProcessTransport(app))
        yield OpenAI(
            api_key="sk-test",
            base_url="http://mockbatch.test/openai/v1",
            http_client=http,
            _strict_response_validation=True,
            max_retries=0,
        )
        return
    with ServerThread(app) as server:
        yield OpenAI(
            api_key="sk-proj-test",
            base_url=f"{server.url}/openai/v1",
            _strict_response_validation=True,
            max_retries=0,
        )


def _run(sdk: OpenAI, clock: VirtualClock, data: bytes, endpoint: str = "/v1/chat/completions"):
    uploaded = sdk.files.create(file=("input.jsonl", data), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id,
        endpoint=endpoint,
        completion_window="24h",
        metadata={"job": "nightly"},
    )
    seen = [batch.status]
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        clock.advance(60)
        batch = sdk.batches.retrieve(batch.id)
        seen.append(batch.status)
    return batch, seen


def test_a_batch_from_upload_to_its_output_and_error_files(
    sdk: OpenAI, clock: VirtualClock, mock: Mock
) -> None:
    batch, seen = _run(sdk, clock, jsonl("q1", "fail-q2", "q3"))

    assert seen == ["validating", "validating", "in_progress", "finalizing", "completed"]
    assert batch.request_counts is not None
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 2, "failed": 1}
    assert batch.model == "gpt-4o-mini" and batch.metadata == {"job": "nightly"}
    assert batch.in_progress_at and batch.finalizing_at and batch.completed_at
    assert batch.usage is not None and batch.usage.total_tokens > 0
    assert batch.output_file_id and batch.error_file_id
    output = sdk.files.content(batch.output_file_id).text.splitlines()
    completions = [ChatCompletion.model_validate(json.loads(x)["response"]["body"]) for x in output]
    assert [c.model for c in completions] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert completions[0].choices[0].message.content == "Mock reply to q1."
    errors = [json.loads(x) for x in sdk.files.content(batch.error_file_id).text.splitlines()]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("fail-q2", 400)]
    written = sdk.files.retrieve(batch.output_file_id)
    assert (written.purpose, written.filename) == ("batch_output", f"{batch.id}_output.jsonl")
    assert_contract_kept(mock)


ENDPOINT_TYPES: list[tuple[str, type[BaseModel], dict[str, Any]]] = [
    ("/v1/chat/completions", ChatCompletion, {"messages": [{"role": "user", "content": "x"}]}),
    ("/v1/responses", Response, {"input": "x"}),
    ("/v1/embeddings", CreateEmbeddingResponse, {"input": "x"}),
    ("/v1/completions", Completion, {"prompt": "x"}),
    ("/v1/moderations", ModerationCreateResponse, {"input": "x"}),
]


@pytest.mark.parametrize(
    ("endpoint", "kind", "body"), ENDPOINT_TYPES, ids=[e[0] for e in ENDPOINT_TYPES]
)
def test_each_endpoint_s_bodies_parse_as_the_sdk_type(
    sdk: OpenAI, clock: VirtualClock, endpoint: str, kind: type[BaseModel], body: dict[str, Any]
) -> None:
    requests = [
        {"custom_id": f"r{n}", "method": "POST", "url": endpoint, "body": {"model": "m-1", **body}}
        for n in range(2)
    ]
    data = "\n".join(json.dumps(r) for r in requests).encode()
    batch, _ = _run(sdk, clock, data, endpoint)

    assert batch.output_file_id is not None
    lines = sdk.files.content(batch.output_file_id).text.splitlines()
    parsed = [kind.model_validate(json.loads(x)["response"]["body"]) for x in lines]
    assert [getattr(p, "model", None) for p in parsed] == ["m-1", "m-1"]


def test_the_shipped_batch_s_input_file_is_declared_and_usable(
    sdk: OpenAI, clock: VirtualClock
) -> None:
    done = sdk.batches.retrieve("batch_done")
    declared = sdk.files.retrieve(done.input_file_id)
    text = sdk.files.content(done.input_file_id).text

    assert (declared.id, declared.filename, declared.purpose) == (
        "file-scenario-input",
        "batch_done_input.jsonl",
        "batch",
    )
    assert declared.bytes == len(text.encode())
    assert [json.loads(x)["custom_id"] for x in text.splitlines()] == [
        "request-1",
        "fail-request-2",
    ]
    again = sdk.batches.create(
        input_file_id=declared.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    seen = [again.status]
    while again.status != "completed":
        assert len(seen) < 10, seen
        clock.advance(2)  # a client waiting 2 seconds between polls
        again = sdk.batches.retrieve(again.id)
        seen.append(again.status)
    assert seen == ["validating", "validating", "in_progress", "finalizing", "completed"]
    assert again.request_counts is not None
    assert again.request_counts.model_dump() == {"total": 2, "completed": 1, "failed": 1}


def test_batches_list_auto_paginates(sdk: OpenAI) -> None:
    file_id = sdk.files.create(file=("in.jsonl", jsonl("a")), purpose="batch").id
    made = [
        sdk.batches.create(
            input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
        ).id
        for _ in range(5)
    ]

    listed = [b.id for b in sdk.batches.list(limit=2)]

    assert listed == [*reversed(made), "batch_done"]


def test_cancel_then_cancelled(sdk: OpenAI, clock: VirtualClock) -> None:
    uploaded = sdk.files.create(file=("in.jsonl", jsonl("a", "b")), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )

    cancelling = sdk.batches.cancel(batch.id)
    cancelled = sdk.batches.retrieve(batch.id)

    assert cancelling.status == "cancelling" and cancelling.cancelling_at is not None
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert cancelled.error_file_id is not None and cancelled.output_file_id is None
    codes = [
        json.loads(x)["error"]["code"]
        for x in sdk.files.content(cancelled.error_file_id).text.splitlines()
    ]
    assert codes == ["batch_cancelled", "batch_cancelled"]
    with pytest.raises(openai.ConflictError):
        sdk.batches.cancel(batch.id)


def test_expiry_with_an_expire_request(sdk: OpenAI, clock: VirtualClock) -> None:
    uploaded = sdk.files.create(file=("in.jsonl", jsonl("ok-1", "expire-2")), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    clock.advance(5)  # the shipped timing: 5 seconds, and the polls below
    for _ in range(4):
        batch = sdk.batches.retrieve(batch.id)
    assert batch.status == "in_progress"
    assert batch.request_counts is not None and batch.request_counts.completed == 1

    clock.advance(86_400)
    batch = sdk.batches.retrieve(batch.id)

    assert batch.status == "expired" and batch.expired_at == batch.expires_at
    assert batch.output_file_id and batch.error_file_id
    expired = json.loads(sdk.files.content(batch.error_file_id).text)
    assert expired["custom_id"] == "expire-2" and expired["response"] is None
    assert expired["error"]["code"] == "batch_expired"


def test_malformed_input_fails_naming_the_line(sdk: OpenAI) -> None:
    uploaded = sdk.files.create(file=("in.jsonl", jsonl("a") + b"\n{oops"), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    batch = sdk.batches.retrieve(batch.id)
    batch = sdk.batches.retrieve(batch.id)

    assert batch.status == "failed"
    assert batch.errors is not None and batch.errors.data is not None
    assert [(e.code, e.line) for e in batch.errors.data] == [("invalid_json_line", 2)]


def test_files_list_delete_and_errors(sdk: OpenAI) -> None:
    first = sdk.files.create(file=("a.jsonl", b"{}"), purpose="batch")
    second = sdk.files.create(file=("b.txt", b"hi"), purpose="user_data")

    ascending = [f.id for f in sdk.files.list(purpose="batch", order="asc", limit=1)]
    deleted = sdk.files.delete(second.id)

    assert ascending == ["file-scenario-input", first.id]  # the shipped one is older
    assert deleted.deleted is True and deleted.id == second.id
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.files.retrieve(second.id)
    assert caught.value.code is None and caught.value.param == "id"
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.batches.create(
            input_file_id=first.id, endpoint="/v1/chat/completions", completion_window="48h"
        )
    assert refused.value.code == "invalid_value"


def test_a_webhook_the_sdk_unwraps(clock: VirtualClock) -> None:
    with receiver() as target:
        hooks = Scenario.from_dict(
            {"api": "openai", "options": {"webhook": {"url": target.url, "secret": SECRET}}}
        )
        app = create_app(clock=clock, scenarios=[*_shipped(), hooks])
        with ServerThread(app) as server:
            sdk = OpenAI(
                api_key="sk-test", base_url=f"{server.url}/openai/v1", webhook_secret=SECRET
            )
            batch, _ = _run(sdk, clock, jsonl("a"))
            received = target.wait_for(1)

    event = sdk.webhooks.unwrap(received[0].body, received[0].headers)
    assert event.type == "batch.completed" and event.data.id == batch.id


def _shipped() -> list[Scenario]:
    from mockbatch import load_scenarios

    return load_scenarios()


def test_a_completed_batch_retrieved_again_after_its_output_file_is_deleted(
    sdk: OpenAI, clock: VirtualClock
) -> None:
    before = sdk.batches.retrieve("batch_done")
    again = sdk.batches.retrieve("batch_done")  # the kept body of the completed batch
    assert before.output_file_id is not None
    sdk.files.delete(before.output_file_id)

    after = sdk.batches.retrieve("batch_done")

    assert again == before
    assert (after.status, after.output_file_id) == ("completed", None)
    assert after.error_file_id == before.error_file_id is not None
