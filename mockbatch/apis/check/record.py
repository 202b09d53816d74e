"""How ``mockbatch record`` reads Check's answers.

``POST /v1/batch`` creates a batch (of the items sent, or of an uploaded file's rows);
``GET /v1/batch/{id}`` and each results page are polls. A batch object shows counts
(``pending``: nothing started), a results page each item's status, ID, verdict (or error) and
``completedAt``, which dates its end. Cancels, list pages and the refusals the mock gives for
the same request (400, 403, 409, 422, and 404 for a batch the recording never saw) are replayed.

Uploads (``POST /v1/batch/upload``) are not: the format has no uploaded files, so a replay
parses the file the client uploads again and answers with its own ``fileId`` and
``expiresAt`` (the file's header says so). A batch made of a file gets its rows from the
results pages; rows no page showed read ``(not seen by the recording)``.
"""

from __future__ import annotations

from typing import Any

from ...record.book import Book, Exchange, RecordedBatch, Recorder
from ...record.timeline import Counts, Seen, Timeline, parse_time
from .scenario import ERROR_KEYS, META_KEYS, RESPONSE_KEYS

SEEN = {
    "pending": Seen.PENDING,
    "queued": Seen.PENDING,
    "processing": Seen.RUNNING,
    "completed": Seen.SUCCEEDED,
    "failed": Seen.FAILED,
}
REPLAYED = frozenset({400, 403, 409, 422})
UNSEEN_ROW = {"content": "(not seen by the recording)"}


class CheckRecorder(Recorder):
    """Reads creates, batch objects and results pages into the book."""

    def __init__(self) -> None:
        self._timelines: dict[str, Timeline] = {}
        self._totals: dict[str, int] = {}

    def read(self, exchange: Exchange, book: Book) -> bool:
        answer = exchange.json_answer()
        batch_id = exchange.path_params.get("id")
        if not exchange.ok:
            unknown = exchange.status == 404 and batch_id is not None
            return exchange.status in REPLAYED or (unknown and batch_id not in book.batches)
        operation = exchange.operation
        if operation == "createBatch" and isinstance(answer.get("id"), str):
            batch = book.created(answer["id"])
            self._created(batch, exchange.json_body())
            self._counts(batch, answer)
            return True
        if operation in ("cancelBatch", "listBatches"):
            return True
        if operation not in ("getBatch", "getBatchResults") or batch_id is None:
            return False  # uploads: see the module's docstring
        batch = book.poll(batch_id)
        self._timeline(batch).polled(exchange.time)
        if operation == "getBatch":
            self._counts(batch, answer)
            return True
        summary = answer.get("batch")
        self._counts(batch, summary if isinstance(summary, dict) else {})
        items = answer.get("items")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("itemIndex"), int):
                self._item(batch, item["itemIndex"], item)
        self._settle(batch)
        return True

    def _created(self, batch: RecordedBatch, body: dict[str, Any]) -> None:
        for key in META_KEYS:
            if body.get(key) is not None:
                batch.meta[key] = body[key]
        items = body.get("items")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                row = {k: item[k] for k in ("content", "context", "idempotencyKey") if k in item}
                batch.item(index, input=row)
        if "fileId" in body:
            batch.notes.append("made of an uploaded file: a replay makes it of the file uploaded")

    def _counts(self, batch: RecordedBatch, shown: dict[str, Any]) -> None:
        total = shown.get("totalItems")
        if isinstance(total, int):
            self._totals[batch.id] = total
        ok, failed = _int(shown.get("successCount")), _int(shown.get("failureCount"))
        started = 0 if shown.get("status") == "pending" else None
        self._timeline(batch).saw_counts(Counts(batch.moment(), ok, failed, started))
        self._settle(batch)

    def _item(self, batch: RecordedBatch, index: int, item: dict[str, Any]) -> None:
        row: dict[str, Any] = {"content": item.get("content")}
        if isinstance(item.get("itemContext"), dict):
            row["context"] = item["itemContext"]
        if isinstance(item.get("idempotencyKey"), str):
            row["idempotencyKey"] = item["idempotencyKey"]
        recorded = batch.item(
            index, key=item.get("id") if isinstance(item.get("id"), str) else None
        )
        recorded.input = row
        seen = SEEN.get(str(item.get("status")))
        if seen is None:
            return  # skipped: the client's cancel skips it in a replay too
        timeline = self._timeline(batch)
        timeline.saw(index, batch.moment(), seen, _outcome(seen, item))
        created, ended = parse_time(item.get("createdAt")), parse_time(item.get("completedAt"))
        if seen in (Seen.SUCCEEDED, Seen.FAILED) and created and ended:
            seconds = (ended - created).total_seconds()
            timeline.dated_end(index, timeline.when(batch.first_seen, seconds))

    def _timeline(self, batch: RecordedBatch) -> Timeline:
        return self._timelines.setdefault(batch.id, Timeline())

    def _settle(self, batch: RecordedBatch) -> None:
        self._timeline(batch).settle(batch, self._totals.get(batch.id))
        for item in batch.items:
            if item.input is None:
                item.input = dict(UNSEEN_ROW)


def _outcome(seen: Seen, item: dict[str, Any]) -> Any:
    """A finished item's verdict (or error) as the mock renders it back."""
    if seen is Seen.SUCCEEDED:
        keys = [k for k in RESPONSE_KEYS if k != "processingTimeMs"]  # derived from the dates
        return {k: item[k] for k in keys if item.get(k) is not None}
    if seen is Seen.FAILED:
        return {k: item[k] for k in ERROR_KEYS if item.get(k) is not None}
    return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
