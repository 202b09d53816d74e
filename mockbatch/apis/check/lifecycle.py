"""Check's batch lifecycle as ``verify --lifecycle`` checks it (see README, "Verify the
lifecycle"): create a batch of claims, read it until it finished, page through its results two
items a page; cancel a second batch at once.

States (docs): pending -> validating -> processing -> completed | failed | cancelled. The
results pages list every item in its current status at any time; a completed or failed batch's
items are all finished. A cancel skips pending and queued items; processing ones may still
complete, so a cancelled batch's items are skipped, processing, completed or failed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...lifecycle import (
    Cancel,
    Cost,
    Created,
    Item,
    Lifecycle,
    Presence,
    Results,
    Session,
    Snapshot,
)
from ...lifecycle.pages import offset_pages
from ...lifecycle.session import pick
from ...lifecycle.steps import StatusRead, numbered, post_cancel

PAGE = 2  # items a results page: three items take two pages
FINISHED_ITEM = ("completed", "failed", "skipped")
TERMINAL = ("completed", "failed", "cancelled")
PAGE_SHOWN = pick("pagination", items="items", each=("idempotencyKey", "status"))
SHOWN = pick("id", "status", "totalItems", "processedItems", "successCount", "failureCount")


class CheckLifecycle(Lifecycle):
    """``POST /v1/batch``, ``GET /v1/batch/{id}``, ``GET /v1/batch/{id}/results`` pages and
    ``POST /v1/batch/{id}/cancel``."""

    order: ClassVar[dict[str, int]] = {
        "pending": 0,
        "validating": 1,
        "processing": 2,
        **{status: 3 for status in TERMINAL},
    }
    results: ClassVar[dict[str, Presence]] = {
        "completed": Presence.COMPLETE,
        "failed": Presence.COMPLETE,
    }
    rising = ("processedItems", "successCount", "failureCount")
    parts = ("successCount", "failureCount")
    sums: ClassVar[dict[str, tuple[str, ...]]] = {
        "processedItems": ("successCount", "failureCount")
    }
    lists_all = True
    cancel_states = frozenset({"skipped", "processing", "completed", "failed"})
    cost = Cost(2, 5, "2 creates, 1 cancel, 1 read + 1-2 results pages per poll")
    status_read = StatusRead(
        "/v1/batch/{id}",
        "read the batch",
        frozenset(TERMINAL),
        counts=rising,
        total="totalItems",
        cancelled="cancelled",
        show=SHOWN,
    )

    def create(self, http: Session, count: int) -> Created:
        keys = numbered(count)
        items = [
            {"content": f"Water boils at 100 C at sea level ({key}).", "idempotencyKey": key}
            for key in keys
        ]
        answer = http.request(
            "POST", "/v1/batch", json={"name": "mockbatch lifecycle", "items": items}
        )
        answer.expect("create a batch", 200, 201, 202)
        return Created(answer.field("id", str, "create a batch"), keys, answer.exchange)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        path = f"/v1/batch/{batch.id}/results"
        return offset_pages(http, path, items="items", limit=PAGE, item=_item, show=PAGE_SHOWN)

    def cancel(self, http: Session, batch: Created) -> Cancel:
        return post_cancel(http, f"/v1/batch/{batch.id}/cancel")


def _item(found: dict[str, Any], exchange: Any) -> Item:
    key = found.get("idempotencyKey") or found.get("id")
    status = str(found.get("status"))
    return Item(str(key), status, status in FINISHED_ITEM, exchange)
