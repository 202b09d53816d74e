"""A 1,000,000-item generated Check batch (shipped: ``batch_generated1m``) serves filtered
results pages computed from the seed and the clock, without holding its items."""

from __future__ import annotations

import tracemalloc
from typing import Any

import httpx

from mockbatch import VirtualClock
from mockbatch.engine import GeneratedItems
from mockbatch.mock import Mock

from .helpers import results


def page(client: httpx.Client, **params: Any) -> dict[str, Any]:
    return results(client, "batch_generated1m", **params)


def test_a_million_items_serve_a_filtered_page(client: httpx.Client, clock: VirtualClock) -> None:
    clock.advance(500.0005)  # one item finishes per millisecond: items 0..500,000 are done

    failed = page(client, status="failed", offset=9998, limit=5)

    # every 50th item fails: 10,000 of the first 500,001
    assert failed["batch"] == {
        "id": "batch_generated1m",
        "status": "processing",
        "totalItems": 1_000_000,
        "processedItems": 500_001,
        "successCount": 490_001,
        "failureCount": 10_000,
    }
    assert failed["pagination"] == {"total": 10_000, "limit": 5, "offset": 9998, "hasMore": False}
    assert [(i["id"], i["itemIndex"], i["status"]) for i in failed["items"]] == [
        ("item_499950", 499_949, "failed"),
        ("item_500000", 499_999, "failed"),
    ]
    item = failed["items"][0]
    assert (item["content"], item["idempotencyKey"], item["errorMessage"]) == (
        "Generated claim #499950",
        "gen-499950",
        "Verification timeout after 120 seconds",
    )
    assert item["completedAt"] == "2026-01-01T00:08:19.949Z"

    running = page(client, status="processing", offset=499_997, limit=5)
    assert running["pagination"]["total"] == 499_999
    assert [i["itemIndex"] for i in running["items"]] == [999_998, 999_999]

    done = page(client, status="completed", offset=48, limit=3)
    assert [i["itemIndex"] for i in done["items"]] == [48, 50, 51]  # 49 is the first failure
    assert all(i["verdict"] in ("true", "false", "uncertain") for i in done["items"])


def test_a_page_does_not_materialise_the_batch(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    clock.advance(2000)  # all done: 20,000 failed items
    batch = mock.engine.get("check", "batch_generated1m")
    assert batch is not None
    assert isinstance(batch.items, GeneratedItems)
    page(client, limit=1)  # warm up: imports, compiled validators

    tracemalloc.start()
    try:
        body = page(client, status="failed", offset=19_950, limit=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [i["itemIndex"] for i in body["items"]] == list(range(997_549, 1_000_000, 50))
    assert body["batch"]["status"] == "completed"
    assert peak < 2_000_000  # a list of a million indexes alone would take ~8 MB
