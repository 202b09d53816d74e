"""Check batches: the documented example, a client's whole loop, paging and filters, cancel,
auth and rate-limit headers, and every error body."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from mockbatch import Scenario, VirtualClock
from mockbatch.apis.check.render import decision
from mockbatch.mock import Mock

from .helpers import BATCHES, DOCS, KEY, create, results

ITEM_STATUSES = ("pending", "queued", "processing", "completed", "failed", "skipped")


def assert_consistent(page: dict[str, Any]) -> Counter[str]:
    """The ``batch`` counts agree with the items of a page that holds every item."""
    __tracebackhide__ = True
    seen = Counter(item["status"] for item in page["items"])
    summary = page["batch"]
    assert page["pagination"]["total"] == len(page["items"]) == summary["totalItems"]
    assert summary["successCount"] == seen["completed"]
    assert summary["failureCount"] == seen["failed"]
    assert summary["processedItems"] == seen["completed"] + seen["failed"]
    return seen


def load(mock: Mock, text: str) -> None:
    mock.load(Scenario.from_text("api: check\n" + text, source="<test>"))


# -- the documentation's example ---------------------------------------------------------------


def test_docs_results_example(client: httpx.Client) -> None:
    body = results(client, DOCS)

    assert body["batch"] == {
        "id": DOCS,
        "status": "completed",
        "totalItems": 50,
        "processedItems": 50,
        "successCount": 48,
        "failureCount": 2,
    }
    assert body["pagination"] == {"total": 50, "limit": 20, "offset": 0, "hasMore": True}
    first, second, third = body["items"][:3]
    assert first == {
        "id": "item_001",
        "itemIndex": 0,
        "idempotencyKey": "fact-001",
        "content": "The Earth is approximately 4.5 billion years old.",
        "itemContext": {"source": "textbook"},
        "status": "completed",
        "verificationId": "ver_xyz789",
        "verdict": "true",
        "confidence": 0.95,
        "decision": "accept",
        "costCents": 5,
        "processingTimeMs": 1250,
        "errorMessage": None,
        "createdAt": "2024-01-15T10:00:00Z",
        "completedAt": "2024-01-15T10:00:02Z",
        "retryCount": 0,
    }
    assert (second["id"], second["verdict"], second["confidence"], second["decision"]) == (
        "item_002",
        "false",
        0.88,
        "reject",
    )
    assert second["itemContext"] is None
    docs_sparse_item = {
        "id": "item_003",
        "itemIndex": 2,
        "status": "failed",
        "verificationId": None,
        "verdict": None,
        "confidence": None,
        "errorMessage": "Verification timeout after 120 seconds",
        "retryCount": 3,
    }
    assert {k: third[k] for k in docs_sparse_item} == docs_sparse_item
    assert (third["decision"], third["costCents"]) == (None, 0)


def test_unknown_batch_is_the_documented_404(client: httpx.Client) -> None:
    for method, path in [
        ("GET", f"{BATCHES}/batch_abc123/results"),
        ("GET", f"{BATCHES}/batch_abc123"),
        ("POST", f"{BATCHES}/batch_abc123/cancel"),
    ]:
        response = client.request(method, path, headers=KEY)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "Batch not found"}}


def test_docs_failed_filter_on_the_documented_batch(client: httpx.Client) -> None:
    body = results(client, DOCS, status="failed")

    assert [(i["id"], i["status"]) for i in body["items"]] == [
        ("item_003", "failed"),
        ("item_037", "failed"),
    ]
    assert body["pagination"] == {"total": 2, "limit": 20, "offset": 0, "hasMore": False}
    assert body["batch"]["failureCount"] == 2


def test_get_and_list_show_the_documented_batch(client: httpx.Client) -> None:
    one = client.get(f"{BATCHES}/{DOCS}", headers=KEY).json()

    assert one == {
        "id": DOCS,
        "name": "Article verification batch",
        "status": "completed",
        "totalItems": 50,
        "processedItems": 50,
        "successCount": 48,
        "failureCount": 2,
        "totalCostCents": 240,
        "methods": {"reasoning": 1.0, "tool": 0.5},
        "createdAt": "2024-01-15T10:00:00Z",
        "startedAt": "2024-01-15T10:00:00Z",
        "completedAt": "2024-01-15T10:00:02Z",
    }
    listed = client.get(BATCHES, params={"status": "completed"}, headers=KEY).json()
    assert listed == {
        "data": [one],
        "pagination": {"total": 1, "limit": 10, "offset": 0, "hasMore": False},
    }


# -- a client's loop ---------------------------------------------------------------------------

LIFECYCLE = """
rules:
  - match: {content: "fast*"}
    response: {verdict: "true", confidence: 0.97}
    after: {polls: 2}
  - match: {content: "broken*"}
    error: {errorMessage: Source unavailable, retryCount: 2}
    after: {polls: 2}
  - match: {content: "slow*"}
    response: {verdict: "false", confidence: 0.9}
    start: {polls: 3}
    after: {polls: 5}
  - match: {content: "late*"}
    response: {verdict: "uncertain", confidence: 0.7}
    start: {seconds: 60}
    after: {seconds: 120}
"""


def test_create_poll_cancel_skips_what_had_not_started(client: httpx.Client, mock: Mock) -> None:
    load(mock, LIFECYCLE)
    created = create(client, "fast one", "broken one", "slow one", "late one", name="loop")
    assert created["status"] == "processing"
    assert created["message"] == "Batch created successfully. Items are being processed."
    batch_id = created["id"]

    def poll() -> list[str]:
        page = results(client, batch_id, limit=100)
        assert_consistent(page)
        return [item["status"] for item in page["items"]]

    assert poll() == ["processing", "processing", "pending", "pending"]
    assert poll() == ["completed", "failed", "queued", "queued"]
    assert poll() == ["completed", "failed", "processing", "queued"]

    cancelled = client.post(f"{BATCHES}/{batch_id}/cancel", headers=KEY)

    assert (cancelled.status_code, cancelled.json()) == (
        200,
        {"id": batch_id, "status": "cancelled", "message": "Batch cancelled successfully"},
    )
    assert poll() == ["completed", "failed", "processing", "skipped"]  # processing goes on
    assert poll() == ["completed", "failed", "completed", "skipped"]
    final = client.get(f"{BATCHES}/{batch_id}", headers=KEY).json()
    assert (final["status"], final["successCount"], final["failureCount"]) == ("cancelled", 2, 1)
    assert final["totalCostCents"] == 10  # only completed items are billed
    again = client.post(f"{BATCHES}/{batch_id}/cancel", headers=KEY)
    assert (again.status_code, again.json()) == (
        400,
        {
            "error": {
                "code": "CANNOT_CANCEL",
                "message": "Cannot cancel batch. Batch not found or already completed/cancelled.",
            }
        },
    )


def test_items_progress_by_the_clock_and_counts_agree_at_every_step(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    load(mock, LIFECYCLE)
    batch_id = create(client, *[f"late {n}" for n in range(5)], "fast")["id"]
    seen = []
    for _ in range(4):
        seen.append(assert_consistent(results(client, batch_id, limit=100)))
        clock.advance(40)

    assert seen == [
        Counter(pending=5, processing=1),
        Counter(queued=5, completed=1),  # the second poll queues what waits
        Counter(processing=5, completed=1),  # started at 60 s
        Counter(completed=6),  # finished at 120 s
    ]
    done = client.get(f"{BATCHES}/{batch_id}", headers=KEY).json()
    assert (done["status"], done["completedAt"]) == ("completed", "2026-01-01T00:02:00Z")


def test_status_filter_selects_exactly_the_items_with_that_status(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    load(
        mock,
        """
batches:
  - id: batch_six
    items:
      - {input: {content: done}, response: {verdict: "true", confidence: 0.99}}
      - {input: {content: broken}, error: {errorMessage: nope}}
      - {input: {content: running}, after: {seconds: 100}}
      - {input: {content: waiting}, start: {seconds: 50}, after: {seconds: 100}}
      - {input: {content: waiting too}, start: {seconds: 50}, after: {seconds: 100}}
""",
    )

    def ids(status: str) -> list[str]:
        page = results(client, "batch_six", status=status)
        assert all(item["status"] == status for item in page["items"])
        assert page["pagination"]["total"] == len(page["items"])
        return [item["content"] for item in page["items"]]

    assert ids("pending") == ["waiting", "waiting too"]  # poll 1
    assert ids("queued") == ["waiting", "waiting too"]  # poll 2
    assert ids("pending") == []
    assert ids("processing") == ["running"]
    assert ids("completed") == ["done"]
    assert ids("failed") == ["broken"]
    assert ids("skipped") == []
    assert client.post(f"{BATCHES}/batch_six/cancel", headers=KEY).status_code == 200
    assert ids("skipped") == ["waiting", "waiting too"]
    assert ids("queued") == []
    clock.advance(100)
    assert ids("completed") == ["done", "running"]


def test_pages_cover_the_items_once(client: httpx.Client) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = results(client, DOCS, limit=15, offset=offset)
        seen += [item["id"] for item in page["items"]]
        assert page["pagination"]["hasMore"] == (offset + 15 < 50)
        if not page["pagination"]["hasMore"]:
            break
        offset += 15

    assert seen == [f"item_{n:03d}" for n in range(1, 51)]
    assert results(client, DOCS, offset=50)["items"] == []
    assert len(results(client, DOCS, limit=100)["items"]) == 50


HUGE = 102895586618082298393788416  # an integer the spec allows (minimum 0, no maximum)


def test_an_offset_past_any_int64_answers_an_empty_page(client: httpx.Client) -> None:
    listed = client.get(BATCHES, params={"offset": HUGE}, headers=KEY)
    assert (listed.status_code, listed.json()) == (
        200,
        {"data": [], "pagination": {"total": 2, "limit": 10, "offset": HUGE, "hasMore": False}},
    )
    page = results(client, DOCS, offset=HUGE)
    assert (page["items"], page["pagination"]) == (
        [],
        {"total": 50, "limit": 20, "offset": HUGE, "hasMore": False},
    )


def test_created_batches_are_listed_newest_first_and_filtered(
    client: httpx.Client, clock: VirtualClock
) -> None:
    first = create(client, "one")["id"]
    clock.advance(1)
    second = create(client, "two")["id"]

    listed = client.get(BATCHES, params={"limit": 2}, headers=KEY).json()
    assert [b["id"] for b in listed["data"]] == [second, first]
    assert listed["pagination"] == {"total": 4, "limit": 2, "offset": 0, "hasMore": True}
    pending = client.get(BATCHES, params={"status": "pending"}, headers=KEY).json()
    assert [b["id"] for b in pending["data"]] == [second, first]  # not polled yet
    processing = client.get(BATCHES, params={"status": "processing"}, headers=KEY).json()
    assert [b["id"] for b in processing["data"]] == ["batch_generated1m"]
    assert client.get(BATCHES, params={"status": "failed"}, headers=KEY).json()["data"] == []


def test_create_echoes_name_methods_and_counts(client: httpx.Client) -> None:
    methods = {"reasoning": 1.0, "tool": 0.5}
    body = create(client, "a", "b", "c", name="Article verification batch", methods=methods)

    assert body["id"].startswith("batch_")
    assert {k: body[k] for k in ("name", "status", "totalItems", "processedItems", "methods")} == {
        "name": "Article verification batch",
        "status": "pending",  # the shipped rules: items wait for the batch's polls
        "totalItems": 3,
        "processedItems": 0,
        "methods": methods,
    }
    assert (body["successCount"], body["failureCount"], body["completedAt"]) == (0, 0, None)


def test_shipped_rules_give_verdicts_failures_and_idempotency_keys(
    client: httpx.Client, clock: VirtualClock
) -> None:
    items = [
        {"content": "Water is wet.", "idempotencyKey": "k1", "context": {"source": "me"}},
        {"content": "A popular myth about goldfish."},
        {"content": "Maybe it rains tomorrow."},
        {"content": "This claim hits a timeout."},
    ]
    batch_id = client.post(BATCHES, json={"items": items}, headers=KEY).json()["id"]
    early = [results(client, batch_id) for _ in range(3)]
    clock.advance(5)

    page = results(client, batch_id)  # the fourth poll, 5 seconds on
    got = [
        (i["status"], i["verdict"], i["decision"], i["errorMessage"], i["retryCount"])
        for i in page["items"]
    ]
    assert got == [
        ("completed", "true", "accept", None, 0),
        ("completed", "false", "reject", None, 0),
        ("completed", "uncertain", "escalate", None, 0),
        ("failed", None, None, "Verification timeout after 120 seconds", 3),
    ]
    assert [{i["status"] for i in e["items"]} for e in early] == [
        {"pending"},
        {"queued"},
        {"processing"},
    ]
    first = page["items"][0]
    assert (first["idempotencyKey"], first["itemContext"]) == ("k1", {"source": "me"})
    assert first["verificationId"].startswith("ver_")


@pytest.mark.parametrize(
    "verdict, confidence, expected",
    [
        ("true", 0.95, "accept"),  # the docs' examples
        ("false", 0.88, "reject"),
        ("uncertain", 0.72, "escalate"),
        ("uncertain", 0.45, "escalate"),
        ("true", 0.94, "escalate"),  # true but under acceptThreshold
        ("false", 0.49, "escalate"),  # under escalateThreshold
        ("false", 0.5, "reject"),
    ],
)
def test_decision_rule(verdict: str, confidence: float, expected: str) -> None:
    assert decision(verdict, confidence, accept=0.95, escalate=0.5) == expected


def test_decision_uses_the_batch_thresholds(client: httpx.Client, mock: Mock) -> None:
    load(mock, 'rules:\n  - {match: {content: x}, response: {verdict: "true", confidence: 0.9}}\n')
    strict = create(client, "x")["id"]
    lenient = create(client, "x", options={"acceptThreshold": 0.85, "escalateThreshold": 0.2})["id"]

    assert results(client, strict)["items"][0]["decision"] == "escalate"
    assert results(client, lenient)["items"][0]["decision"] == "accept"


def test_failed_items_retry_count_defaults_to_the_batch_max_retries(
    client: httpx.Client, mock: Mock
) -> None:
    load(mock, "rules:\n  - {match: {content: x}, error: Source unavailable}\n")
    batch_id = create(client, "x", options={"maxRetries": 1})["id"]

    (item,) = results(client, batch_id)["items"]

    assert (item["status"], item["errorMessage"], item["retryCount"]) == (
        "failed",
        "Source unavailable",
        1,
    )
    batch = client.get(f"{BATCHES}/{batch_id}", headers=KEY).json()
    assert batch["status"] == "failed"  # every item failed


def test_same_requests_give_the_same_ids(client: httpx.Client, mock: Mock) -> None:
    first = [create(client, "x")["id"] for _ in range(3)]
    mock.reset()
    again = [create(client, "x")["id"] for _ in range(3)]
    assert first == again
    assert len(set(first)) == 3


def test_times_are_utc_with_a_z(client: httpx.Client, mock: Mock) -> None:
    load(
        mock,
        """
batches:
  - id: batch_tz
    created_at: "2026-01-01T01:59:50+02:00"
    items:
      - {input: {content: x}, after: {seconds: 1.5}}
""",
    )
    (item,) = results(client, "batch_tz")["items"]
    assert (item["createdAt"], item["completedAt"]) == (
        "2025-12-31T23:59:50Z",
        "2025-12-31T23:59:51.500Z",
    )
