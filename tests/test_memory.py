"""What the server holds besides its state, asserted as sizes (never as RSS): the validation
memos are bounded by bytes, a completed batch keeps a few bodies, and a reset empties it all."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mockbatch.apis import FROZEN_MAX_BODIES
from mockbatch.mock import Mock
from mockbatch.registry import providers
from mockbatch.specs import MEMO_MAX_BYTES, Memo
from mockbatch.transport import InProcessTransport

PAD = "x" * 60_000  # a body under the memo's 64 KiB key limit, as in the attack run


@pytest.fixture
def http(mock: Mock, app: Any) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")


def memos(app: Any) -> list[Memo]:
    """Every memo the app keeps: each API's, and the iVvy provider's."""
    found = [memo for api in app.apis.values() for memo in (api._requests, api._validated)]
    return [*found, app.apis["ivvy"].provider._checked]


def load_run(http: httpx.Client, rounds: int) -> None:
    """Distinct large bodies on every API, as a load or an attack sends them."""
    for i in range(rounds):
        job = {"namespace": "test", "action": "ping", "params": {"n": i, "pad": PAD}}
        http.post("/ivvy/api/1.0/batch?action=run", json={"jobs": [job]})
        http.post("/ivvy/api/1.0/batch?action=progress", json={"async": f"{i:032x}", "p": PAD})
        http.post(
            "/check/v1/batch",
            json={"items": [{"content": f"claim {i} {PAD}"}]},
            headers={"Authorization": "Bearer vfy_key"},
        )
        http.post(
            "/runtype/v1/batch/flow",
            json={"flowId": "flow_a", "records": [{"id": str(i), "pad": PAD}]},
            headers={"Authorization": "Bearer rt_key"},
        )
        http.post(
            "/trigger/api/v1/tasks/batch",
            json={"items": [{"task": "t", "payload": {"i": i, "pad": PAD}}]},
            headers={"Authorization": "Bearer tr_dev_key"},
        )
        http.get(f"/check/v1/batch?offset={i}", headers={"Authorization": "Bearer vfy_key"})


def test_memo_is_bounded_by_the_bytes_of_its_keys() -> None:
    memo = Memo(size=100, max_key_bytes=500, max_bytes=1000)
    made: list[str] = []

    def compute(key: str) -> str:
        made.append(key)
        return key.upper()

    for key in ("a" * 400, "b" * 400, "c" * 400):
        assert memo.get(key, lambda key=key: compute(key), len(key)) == key.upper()
    assert (len(memo), memo.held_bytes) == (2, 800)  # "a..." went first
    memo.get("b" * 400, lambda: compute("again"), 400)
    assert made == ["a" * 400, "b" * 400, "c" * 400]  # "b..." was remembered
    memo.get("d" * 600, lambda: compute("d"), 600)  # over max_key_bytes: never kept
    assert (len(memo), memo.held_bytes) == (2, 800)
    memo.clear()
    assert (len(memo), memo.held_bytes) == (0, 0)


def test_large_distinct_bodies_are_not_kept_past_the_memo_bound(
    app: Any, http: httpx.Client
) -> None:
    load_run(http, 100)  # 100 x 60 KB per API: 6 MB of bodies for each memo to keep

    held = [key_bytes(memo) for memo in memos(app)]
    assert max(held) > 1_000_000
    assert max(held) <= MEMO_MAX_BYTES + 2048 * 200  # the bytes counted, plus small headers
    assert max(memo.held_bytes for memo in memos(app)) <= MEMO_MAX_BYTES


def test_reset_empties_what_a_load_run_left(app: Any, mock: Mock, http: httpx.Client) -> None:
    fresh = len(mock.engine.batches())
    load_run(http, 20)
    assert sum(key_bytes(memo) for memo in memos(app)) > 0
    assert len(mock.engine.batches()) > fresh

    mock.reset()

    assert [key_bytes(memo) for memo in memos(app)] == [0] * len(memos(app))
    assert [len(memo) for memo in memos(app)] == [0] * len(memos(app))
    assert [memo.held_bytes for memo in memos(app)] == [0] * len(memos(app))
    assert len(mock.journal.entries()) == 0
    assert len(mock.engine.batches()) == fresh
    assert not any(batch.cache for batch in mock.engine.batches())


def test_a_completed_batch_keeps_a_few_bodies_whatever_a_client_pages_through(
    mock: Mock, http: httpx.Client
) -> None:
    headers = {"Authorization": "Bearer vfy_key"}
    for offset in range(3 * FROZEN_MAX_BODIES):
        url = f"/check/v1/batch/batch_abc123def456/results?limit=1&offset={offset}"
        assert http.get(url, headers=headers).status_code == 200

    batch = mock.engine.get("check", "batch_abc123def456")
    assert batch is not None
    assert len(batch.cache["bodies"]) == FROZEN_MAX_BODIES
    first = http.get("/check/v1/batch/batch_abc123def456/results?limit=1", headers=headers)
    assert first.json()["items"][0]["id"] == "item_001"  # a kept body, answered again


def key_bytes(memo: Memo) -> int:
    """The bytes of the request parts (bodies, queries) a memo's keys hold."""
    return sum(len(part) for key in memo._store for part in _parts(key))


def _parts(key: Any) -> list[bytes | str]:
    if isinstance(key, bytes | str):
        return [key]
    if isinstance(key, tuple):
        return [part for item in key for part in _parts(item)]
    return []


def test_a_polling_clients_entries_share_what_it_sent_and_got(
    mock: Mock, http: httpx.Client
) -> None:
    """The journal keeps 10,000 entries: a polling client's hold one copy of its request's
    parts and of the answer's bytes, not one each (which a server touching them on every
    request paid for in speed as well as memory)."""
    method, path, body = providers()["ivvy"].profile.poll  # the shipped completed batch
    for _ in range(3):
        assert http.request(method, "/ivvy" + path, json=body).status_code == 200

    first, second, third = mock.journal.entries()[-3:]
    for part in ("sent_headers", "body", "query", "path", "answer_json"):
        assert getattr(second, part) is getattr(first, part), part
        assert getattr(third, part) is getattr(first, part), part
    assert first.broken == () and first.violations == [] and first.answer is None
    assert third.response == json.loads(third.answer_json)


def test_an_entry_shows_the_answer_it_journaled_as_json(mock: Mock, http: httpx.Client) -> None:
    answer = http.get("/check/v1/batch?limit=2", headers={"Authorization": "Bearer vfy_key"})

    entry = mock.journal.entries()[-1]
    assert entry.answer_json == answer.content
    assert entry.response == answer.json()
    assert entry.to_json()["response"] == answer.json()
    limits = {k: v for k, v in answer.headers.items() if k.startswith("x-ratelimit-")}
    assert len(limits) == 3 and isinstance(entry.answer_headers, str)  # one object, not four
    assert entry.response_headers == limits == entry.to_json()["response_headers"]
