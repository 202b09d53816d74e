"""How ``mockbatch record`` reads Runtype's answers.

``POST /v1/batch/flow`` creates a batch of the records sent; ``GET /v1/batch/status/{id}`` and
each results page are polls. A status shows counts (processed, failed, succeeded; ``queued``:
none started), a results page each record's status, IDs and outcome (``result``, or the
``error`` message): a record is placed by its position on an unfiltered page, by its
``recordId`` on a filtered one. Cancels, a 400 and the 404 of a batch the recording never saw
are answered the same by the mock; scheduled runs (run-now, a run's results) are not replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...record.book import Book, Exchange, RecordedBatch, Recorder
from ...record.timeline import Counts, Seen, Timeline, parse_time
from .wire import BODY_KEYS

SEEN = {
    "pending": Seen.PENDING,
    "running": Seen.RUNNING,
    "completed": Seen.SUCCEEDED,
    "failed": Seen.FAILED,
}
META_KEYS = ("flowId", "flowName", "agentId")


class RuntypeRecorder(Recorder):
    """Reads submits, statuses and results pages into the book."""

    def __init__(self) -> None:
        self._timelines: dict[str, Timeline] = {}
        self._totals: dict[str, int] = {}
        self._record_ids: dict[str, dict[str, int]] = {}  # batch -> recordId -> index

    def read(self, exchange: Exchange, book: Book) -> bool:
        answer = exchange.json_answer()
        batch_id = exchange.path_params.get("id", exchange.path_params.get("batchId"))
        if not exchange.ok:
            return exchange.status == 400 or (
                exchange.status == 404 and batch_id not in book.batches
            )
        operation = exchange.operation
        if operation == "submitABatchFlowExecution":
            created = answer.get("batchExecutionId")
            if not isinstance(created, str):
                return False
            self._created(book.created(created), exchange.json_body())
            return True
        if operation == "cancelABatchExecution":
            return True
        if batch_id is None:
            return False
        if operation == "getBatchExecutionStatus":
            self._status(self._poll(book, batch_id, exchange), answer)
            return True
        if operation == "getResultsForABatchExecution":
            filtered = exchange.arg("status") is not None
            self._page(self._poll(book, batch_id, exchange), answer, filtered)
            return True
        return False  # scheduled runs: their batches are the account's, not the client's

    def _created(self, batch: RecordedBatch, body: dict[str, Any]) -> None:
        """The records sent, in the order the batch holds them: IDs first, then inline ones."""
        inputs: list[dict[str, Any]] = []
        for record_id in body.get("recordIds") or []:
            inputs.append({"id": record_id})
        for inline in body.get("records") or []:
            known = inline if isinstance(inline, Mapping) else {}
            record = {"id": f"rec_unseen_{len(inputs) + 1}"}  # until a results page tells
            record |= {k: str(known[k]) for k in ("name", "type") if k in known}
            inputs.append(record)
        for index, record in enumerate(inputs):
            batch.item(index, input={"record": record})
        for key in META_KEYS:
            if isinstance(body.get(key), str):
                batch.meta[key] = body[key]
        self._timeline(batch)
        self._totals[batch.id] = len(inputs)
        self._settle(batch)

    def _status(self, batch: RecordedBatch, answer: dict[str, Any]) -> None:
        total = answer.get("totalRecords")
        if isinstance(total, int):
            self._totals[batch.id] = total
        flow = answer.get("flowId")
        if isinstance(flow, str) and flow and flow != batch.meta.get("agentId"):
            batch.meta.setdefault("flowId", flow)
        started = 0 if answer.get("status") == "queued" else None
        ok, failed = _int(answer.get("successCount")), _int(answer.get("failedRecords"))
        if answer.get("status") == "running" and ok + failed == 0:
            started = 1  # running: at least one record has started
        self._timeline(batch).saw_counts(Counts(batch.moment(), ok, failed, started))
        self._settle(batch)

    def _page(self, batch: RecordedBatch, answer: dict[str, Any], filtered: bool) -> None:
        data = answer.get("data")
        pagination = answer.get("pagination")
        offset = pagination.get("offset") if isinstance(pagination, dict) else None
        if not isinstance(data, list) or not isinstance(offset, int):
            return
        if (
            not filtered
            and isinstance(pagination, dict)
            and isinstance(pagination.get("total"), int)
        ):
            self._totals[batch.id] = pagination["total"]
        ids = self._record_ids.setdefault(batch.id, {})
        for position, result in enumerate(data):
            if not isinstance(result, dict):
                continue
            record_id = str(result.get("recordId"))
            index = ids.get(record_id) if filtered else offset + position
            if index is None:
                batch.notes.append(f"a filtered page showed record {record_id} before any other")
                continue
            ids[record_id] = index
            self._result(batch, index, result)
        self._settle(batch)

    def _result(self, batch: RecordedBatch, index: int, result: dict[str, Any]) -> None:
        record = result.get("record")
        shown = record if isinstance(record, dict) else {"id": str(result.get("recordId"))}
        batch.item(index).input = {"record": dict(shown)}
        for key, meta in (("flowId", "flowId"), ("flowName", "flowName")):
            if isinstance(result.get(key), str):
                batch.meta.setdefault(meta, result[key])
        seen = SEEN.get(str(result.get("status")))
        if seen is None:
            return
        timeline = self._timeline(batch)
        timeline.saw(index, batch.moment(), seen, _outcome(seen, result))
        created, ended = parse_time(result.get("createdAt")), parse_time(result.get("executedAt"))
        if created is not None and ended is not None and seen in (Seen.SUCCEEDED, Seen.FAILED):
            seconds = (ended - created).total_seconds()
            timeline.dated_end(index, timeline.when(batch.first_seen, seconds))

    def _poll(self, book: Book, batch_id: str, exchange: Exchange) -> RecordedBatch:
        batch = book.poll(batch_id)
        self._timeline(batch).polled(exchange.time)
        return batch

    def _timeline(self, batch: RecordedBatch) -> Timeline:
        return self._timelines.setdefault(batch.id, Timeline())

    def _settle(self, batch: RecordedBatch) -> None:
        self._timeline(batch).settle(batch, self._totals.get(batch.id))


def _outcome(seen: Seen, result: dict[str, Any]) -> Any:
    """A finished record's outcome as the mock renders it back (its fixed fields)."""
    if seen not in (Seen.SUCCEEDED, Seen.FAILED):
        return None
    fixed = {k: result[k] for k in BODY_KEYS if k in result and k != "result"}
    fixed = {k: v for k, v in fixed.items() if v is not None}
    if seen is Seen.SUCCEEDED:
        return {**fixed, **({"result": result["result"]} if "result" in result else {})}
    message = result.get("error")
    return {"error": message if isinstance(message, str) else "Record execution failed", **fixed}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
