"""``OpenaiProvider.observe()`` through the pytest plugin's assertions: a batch retrieve is a
poll, finished at ``completed``, ``failed``, ``expired`` and ``cancelled``; each download of an
output or error file is a results page, named by its kind."""

from __future__ import annotations

import pytest
from openai import OpenAI
from openai.types import Batch

from mockbatch.apis import Observation
from mockbatch.apis.openai import OpenaiProvider
from mockbatch.handle import Mockbatch

from .helpers import jsonl

FINISHED = ("completed", "failed", "expired", "cancelled")


@pytest.fixture
def sdk(mockbatch: Mockbatch) -> OpenAI:
    return OpenAI(
        api_key="sk-test",
        base_url=mockbatch.base_url("openai") + "/v1",
        max_retries=0,
        _strict_response_validation=True,
    )


def run(sdk: OpenAI, mockbatch: Mockbatch, data: bytes) -> Batch:
    """A well-behaved client: upload, create, retrieve once a minute until finished."""
    uploaded = sdk.files.create(file=("in.jsonl", data), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    while batch.status not in FINISHED:
        mockbatch.clock.advance(60)
        batch = sdk.batches.retrieve(batch.id)
    return batch


def read(sdk: OpenAI, *file_ids: str | None) -> None:
    for file_id in file_ids:
        assert file_id is not None
        sdk.files.content(file_id).read()


def test_what_observe_sees_of_a_well_behaved_client(sdk: OpenAI, mockbatch: Mockbatch) -> None:
    batch = run(sdk, mockbatch, jsonl("a", "fail-b"))
    sdk.files.retrieve(batch.output_file_id or "")  # the file's metadata: not a results page
    read(sdk, batch.output_file_id, batch.error_file_id)

    seen = [OpenaiProvider.observe(e) for e in mockbatch.requests]

    poll = Observation("poll", batch.id)
    assert seen == [
        None,  # the upload
        Observation("create", batch.id),
        poll,
        poll,
        poll,
        Observation("poll", batch.id, terminal=True),
        None,
        Observation("results", batch.id, page="output"),
        Observation("results", batch.id, page="error"),
    ]
    mockbatch.assert_stopped_polling()
    mockbatch.assert_results_read_once()
    mockbatch.assert_poll_rate(1 / 60)


def test_a_poll_after_completed_fails_naming_the_batch(sdk: OpenAI, mockbatch: Mockbatch) -> None:
    batch = run(sdk, mockbatch, jsonl("a"))
    sdk.batches.retrieve(batch.id)

    with pytest.raises(AssertionError, match=f"kept polling batch {batch.id} \\(openai\\)"):
        mockbatch.assert_stopped_polling()


def test_an_output_file_read_twice_fails(sdk: OpenAI, mockbatch: Mockbatch) -> None:
    batch = run(sdk, mockbatch, jsonl("a"))
    read(sdk, batch.output_file_id, batch.output_file_id)

    with pytest.raises(AssertionError) as caught:
        mockbatch.assert_results_read_once()
    assert f"read results page 'output' of batch {batch.id} (openai) 2 times" in str(caught.value)


def test_a_finished_batch_whose_files_were_never_read_fails(
    sdk: OpenAI, mockbatch: Mockbatch
) -> None:
    batch = run(sdk, mockbatch, jsonl("a"))

    with pytest.raises(AssertionError, match="finished but never read its results"):
        mockbatch.assert_results_read_once(batch.id)


def test_polls_closer_than_allowed_fail(sdk: OpenAI, mockbatch: Mockbatch) -> None:
    batch = run(sdk, mockbatch, jsonl("a"))
    assert batch.status == "completed"

    with pytest.raises(AssertionError, match=f"polled batch {batch.id} \\(openai\\) 2 times"):
        mockbatch.assert_poll_rate(1 / 61)  # one a minute is too often for this one


def test_cancelled_and_expired_batches_are_finished(sdk: OpenAI, mockbatch: Mockbatch) -> None:
    uploaded = sdk.files.create(file=("in.jsonl", jsonl("a", "expire-b")), purpose="batch")
    made = [
        sdk.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        ).id
        for _ in range(2)
    ]
    sdk.batches.cancel(made[0])
    for _ in range(4):
        sdk.batches.retrieve(made[1])
    mockbatch.clock.advance(86_400)
    statuses = [sdk.batches.retrieve(b).status for b in made]

    assert statuses == ["cancelled", "expired"]
    observed = [OpenaiProvider.observe(e) for e in mockbatch.requests[-2:]]
    assert [(o.kind, o.batch, o.terminal) for o in observed if o] == [
        ("poll", made[0], True),
        ("poll", made[1], True),
    ]
    assert OpenaiProvider.observe(mockbatch.requests[3]) == Observation("cancel", made[0])
    mockbatch.assert_stopped_polling()
