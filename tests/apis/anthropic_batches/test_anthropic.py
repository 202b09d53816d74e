"""The Anthropic batch lifecycle over HTTP: counts, timing, cancel, expiry, list cursors,
the results file, the assertions' observations and the scenario checks."""

from __future__ import annotations

import json

import httpx
import pytest

from mockbatch import LoadError, Scenario, VirtualClock
from mockbatch.apis.anthropic import AnthropicProvider
from mockbatch.mock import Mock

from .helpers import API, BEARER, HEADERS, create, params, retrieve


def test_requests_stay_processing_until_the_batch_ends(
    client: httpx.Client, clock: VirtualClock
) -> None:
    batch = create(client, "a", "fail-b", "c")
    clock.advance(5)
    first = retrieve(client, batch["id"])  # the first two polls: seconds passed, too few polls
    second = retrieve(client, batch["id"])
    third = retrieve(client, batch["id"])
    for early in (first, second):
        assert early["processing_status"] == "in_progress"
        assert early["request_counts"] == {
            "processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0,
        }  # fmt: skip
    assert third["processing_status"] == "ended"
    assert third["request_counts"] == {
        "processing": 0, "succeeded": 2, "errored": 1, "canceled": 0, "expired": 0,
    }  # fmt: skip
    assert third["ended_at"] == "2026-01-01T00:00:05.000000Z"


def test_a_batch_needs_its_seconds_too(client: httpx.Client) -> None:
    batch = create(client, "a")
    polls = [retrieve(client, batch["id"])["processing_status"] for _ in range(5)]
    assert polls == ["in_progress"] * 5  # the clock did not move: 5 s have not passed


def test_invalid_params_come_back_errored_not_400(
    client: httpx.Client, clock: VirtualClock
) -> None:
    bad = {
        "no-model": {"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        "zero-tokens": params(max_tokens=0),
        "streaming": params(stream=True),
        "bad-role": {**params(), "messages": [{"role": "system", "content": "x"}]},
        "temperature": params(temperature=0.5),
    }
    body = {"requests": [{"custom_id": k, "params": v} for k, v in bad.items()]}
    created = client.post(API, json=body, headers=BEARER)  # version 2026-10-21
    assert created.status_code == 200, created.text
    batch_id = created.json()["id"]
    retrieve(client, batch_id)
    retrieve(client, batch_id)
    clock.advance(5)
    assert retrieve(client, batch_id)["request_counts"]["errored"] == 5
    lines = client.get(f"{API}/{batch_id}/results", headers=HEADERS).text.splitlines()
    messages = {
        json.loads(line)["custom_id"]: json.loads(line)["result"]["error"]["error"]["message"]
        for line in lines
    }
    assert messages == {
        "no-model": "model: Field required",
        "zero-tokens": "max_tokens: Input should be an integer greater than or equal to 1",
        "streaming": "stream: streaming is not supported in the Message Batches API",
        "bad-role": "messages.0.role: Input should be 'user' or 'assistant'",
        "temperature": "temperature: Extra inputs are not permitted",
    }


def test_the_results_file_has_one_line_per_request_and_no_blank_line(
    client: httpx.Client,
) -> None:
    response = client.get(f"{API}/msgbatch_01example/results", headers=HEADERS)
    assert response.headers["content-type"] == "application/x-jsonl"
    text = response.text
    assert text.endswith("}\n") and "\n\n" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(r["custom_id"], r["result"]["type"]) for r in lines] == [
        ("my-first-request", "succeeded"),
        ("my-second-request", "succeeded"),
        ("my-third-request", "errored"),
    ]
    second = lines[1]["result"]["message"]
    assert second["content"] == [{"type": "text", "text": "Hello again! Nice to see you."}]
    assert (second["usage"]["input_tokens"], second["usage"]["output_tokens"]) == (11, 9)
    assert lines[2]["result"]["error"]["error"] == {
        "type": "overloaded_error",
        "message": "Overloaded",
    }


def test_results_url_names_the_mocks_own_host_and_prefix(client: httpx.Client) -> None:
    ended = retrieve(client, "msgbatch_01example")
    host = str(client.base_url).rstrip("/")
    assert (
        ended["results_url"] == f"{host}/anthropic/v1/messages/batches/msgbatch_01example/results"
    )
    assert client.get(ended["results_url"], headers=HEADERS).status_code == 200


def test_list_pages_forward_and_back_by_cursor(client: httpx.Client) -> None:
    made = [create(client, "a")["id"] for _ in range(3)]
    everything = client.get(API, headers=HEADERS).json()
    ids = [b["id"] for b in everything["data"]]
    assert ids[:3] == made[::-1] and len(ids) == 6 and everything["has_more"] is False

    first = client.get(API, params={"limit": 4}, headers=HEADERS).json()
    nxt = client.get(API, params={"limit": 4, "after_id": first["last_id"]}, headers=HEADERS).json()
    back = client.get(
        API, params={"limit": 2, "before_id": nxt["first_id"]}, headers=HEADERS
    ).json()
    assert ([b["id"] for b in first["data"]], first["has_more"]) == (ids[:4], True)
    assert ([b["id"] for b in nxt["data"]], nxt["has_more"]) == (ids[4:], False)
    assert ([b["id"] for b in back["data"]], back["has_more"]) == (ids[2:4], True)
    assert (first["first_id"], first["last_id"]) == (ids[0], ids[3])


def test_cancel_is_canceling_until_the_next_retrieve(client: httpx.Client) -> None:
    batch = create(client, "a", "b")
    canceling = client.post(f"{API}/{batch['id']}/cancel", headers=HEADERS).json()
    again = client.post(f"{API}/{batch['id']}/cancel", headers=HEADERS).json()
    listed = client.get(API, headers=HEADERS).json()["data"][0]
    ended = retrieve(client, batch["id"])
    assert canceling["processing_status"] == again["processing_status"] == "canceling"
    assert listed["processing_status"] == "canceling" and listed["results_url"] is None
    assert canceling["cancel_initiated_at"] == "2026-01-01T00:00:00.000000Z"
    assert ended["processing_status"] == "ended"
    assert ended["request_counts"]["canceled"] == 2


def test_an_expire_request_ends_its_batch_at_24_hours(
    client: httpx.Client, clock: VirtualClock
) -> None:
    batch = create(client, "expire-a", "b")
    retrieve(client, batch["id"])
    retrieve(client, batch["id"])
    clock.advance(24 * 3600 - 1)
    assert retrieve(client, batch["id"])["processing_status"] == "in_progress"
    clock.advance(1)
    ended = retrieve(client, batch["id"])
    assert ended["ended_at"] == ended["expires_at"] == "2026-01-02T00:00:00.000000Z"
    assert ended["request_counts"]["expired"] == 1
    assert ended["request_counts"]["succeeded"] == 1  # b finished at its third poll, in time


def test_a_request_still_waiting_for_its_poll_at_24_hours_expires(
    client: httpx.Client, clock: VirtualClock
) -> None:
    batch = create(client, "a")
    clock.advance(24 * 3600)
    ended = retrieve(client, batch["id"])  # its first poll: too late
    assert ended["processing_status"] == "ended"
    assert ended["request_counts"]["expired"] == 1


def test_observe_reads_polls_results_creates_and_cancels(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    batch = create(client, "a")
    retrieve(client, batch["id"])
    clock.advance(5)
    retrieve(client, batch["id"])
    retrieve(client, batch["id"])
    client.get(f"{API}/{batch['id']}/results", headers=HEADERS)
    client.get(f"{API}/msgbatch_01nope", headers=HEADERS)
    seen = [AnthropicProvider.observe(e) for e in mock.journal.entries()]
    assert [(o.kind, o.batch, o.terminal, o.page) if o else None for o in seen] == [
        ("create", batch["id"], False, None),
        ("poll", batch["id"], False, None),
        ("poll", batch["id"], False, None),
        ("poll", batch["id"], True, None),
        ("results", batch["id"], False, ""),
        None,
    ]


@pytest.mark.parametrize(
    "document, message",
    [
        ({"batches": [{"id": "batch_1", "items": []}]}, "'batch_1' is not a message batch ID"),
        ({"batches": [{"id": "msgbatch_1", "items": [{"input": {"params": {}}}]}]},
         "a request needs a custom_id"),
        ({"rules": [{"match": {"custom": "x"}, "response": "hi"}]},
         "Anthropic batch requests have no field 'custom' (did you mean 'custom_id'?)"),
        ({"default": {"error": {"type": "nope_error", "message": "x"}}}, "not an error object"),
        ({"options": {"abort": []}}, "unknown"),
    ],
)  # fmt: skip
def test_scenario_problems(document: dict[str, object], message: str) -> None:
    with pytest.raises(LoadError) as caught:
        scenario = Scenario.from_dict({"api": "anthropic", **document})
        problems = AnthropicProvider.check_scenario(scenario)
        if problems:
            raise LoadError(problems)
    assert message in str(caught.value.problems[0])
