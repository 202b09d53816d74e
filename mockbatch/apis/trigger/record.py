"""How ``mockbatch record`` reads Trigger.dev's answers.

Every create route makes a batch (two-phase: ``POST /api/v3/batches``, then its NDJSON items,
each run counted from when it arrived; one-shot: the items of the body). Each run keeps the ID
the provider gave it (retrieves list them in order). Retrieves, results, a run's result and a
runs list of one batch are polls: a finished status says every run ended by then (v1's counts
say how), results show the finished runs (the others are not finished yet), a runs list shows
each run's status and dates its end (``finishedAt``). A 404 of a batch or run the recording
never saw, and a 400/422 the mock gives for the same body, are replayed; an aborted batch is
not (a recorded batch cannot be aborted by the provider): its runs end as they were last seen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ... import wirejson
from ...record.book import Book, Exchange, RecordedBatch, Recorder
from ...record.timeline import Counts, Moment, Seen, Timeline, parse_time
from .create import decode_payload

CREATES = ("createBatch", "batchTriggerV3", "batchTriggerV2", "batchTriggerTask")
POLLS = ("retrieveBatchV1", "retrieveBatchV2", "getBatchResults", "listRuns")
SEEN = {
    "COMPLETED": Seen.SUCCEEDED,
    "FAILED": Seen.FAILED,
    "CRASHED": Seen.FAILED,
    "SYSTEM_FAILURE": Seen.FAILED,
    "TIMED_OUT": Seen.FAILED,
    "EXPIRED": Seen.FAILED,
    "EXECUTING": Seen.RUNNING,
    "DEQUEUED": Seen.RUNNING,
    "WAITING": Seen.RUNNING,
    "QUEUED": Seen.PENDING,
    "PENDING_VERSION": Seen.PENDING,
    "DELAYED": Seen.PENDING,
}
ENDED = ("COMPLETED", "PARTIAL_FAILED")


class TriggerRecorder(Recorder):
    """Reads Trigger.dev's creates, item streams, retrieves, results and run lists."""

    def __init__(self) -> None:
        self._timelines: dict[str, Timeline] = {}
        self._runs: dict[str, tuple[str, int]] = {}  # run ID -> (batch ID, position)
        # Answers that show runs by ID, read again at each settle: a one-shot create does not
        # say its runs' IDs, the first retrieve does, and results may come before it.
        self._shown: dict[str, list[tuple[str, Moment, Any]]] = {}

    def read(self, exchange: Exchange, book: Book) -> bool:
        answer = exchange.json_answer()
        operation = exchange.operation
        if not exchange.ok:
            return self._replayed_error(exchange, book)
        if operation in CREATES:
            created = answer.get("id", answer.get("batchId"))
            if not isinstance(created, str):
                return False
            if answer.get("isCached") is True and created in book.batches:
                return True  # the mock finds the batch by its key the same way
            self._created(book.created(created), exchange)
            return True
        if operation == "streamBatchItems":
            batch_id = exchange.path_params.get("batchId", "")
            if batch_id not in book.batches:
                return False
            self._streamed(book.seen(batch_id), exchange.raw)
            return True
        if operation == "getRunResult":
            found = self._runs.get(exchange.path_params.get("runId", ""))
            if found is None:
                return False
            batch = self._poll(book, found[0], exchange)
            self._show(batch, "results", [answer])
            return True
        polled = exchange.path_params.get("batchId") or exchange.arg("filter[batch]")
        if operation not in POLLS or not polled:
            return False
        batch = self._poll(book, polled, exchange)
        if operation == "getBatchResults":
            self._show(batch, "all results", answer.get("items"))
        elif operation == "listRuns":
            self._show(batch, "runs", answer.get("data"))
        else:
            self._retrieved(batch, answer)
            self._settle(batch)
        return True

    def _replayed_error(self, exchange: Exchange, book: Book) -> bool:
        """A refused body, or a 404 for a batch or run this recording never saw."""
        if exchange.status in (400, 422):
            return True
        named = exchange.path_params.get("batchId") or exchange.path_params.get("runId")
        return exchange.status == 404 and named not in book.batches and named not in self._runs

    # -- creating -------------------------------------------------------------------------

    def _created(self, batch: RecordedBatch, exchange: Exchange) -> None:
        body, answer = exchange.json_body(), exchange.json_answer()
        count = body.get("runCount")
        if isinstance(count, int):
            batch.meta["runCount"] = count
        key = body.get("idempotencyKey")
        if isinstance(key, str):
            batch.meta["idempotencyKey"] = key
        task = exchange.path_params.get("taskIdentifier")
        items = body.get("items")
        for position, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping):
                named = task or item.get("task")
                batch.item(position, input=_view(position, named, item))
        runs = answer.get("runs")
        for position, run in enumerate(runs if isinstance(runs, list) else []):
            self._run(batch, position, run.get("id") if isinstance(run, dict) else run)
        self._settle(batch)

    def _streamed(self, batch: RecordedBatch, raw: bytes) -> None:
        """NDJSON items: each arrives now, at the next position of the batch."""
        for line in raw.decode("utf-8", errors="replace").splitlines():
            try:
                item = wirejson.loads(line) if line.strip() else None
            except ValueError:
                continue
            if not isinstance(item, dict):
                continue
            known = [i.input.get("index") for i in batch.items if isinstance(i.input, dict)]
            if item.get("index") in known:
                continue  # deduplicated by the provider (and by the mock)
            position = len(known)
            batch.item(position, input=_view(item.get("index"), item.get("task"), item))
            self._timeline(batch).arrived(position, batch.moment())
        self._settle(batch)

    # -- reading ------------------------------------------------------------------------

    def _retrieved(self, batch: RecordedBatch, answer: dict[str, Any]) -> None:
        runs = answer.get("runs")
        for position, run in enumerate(runs if isinstance(runs, list) else []):
            self._run(batch, position, run)
        status = answer.get("status")
        if status not in ENDED:
            if status == "ABORTED":
                batch.notes.append("the provider aborted it: a replay lets its runs finish")
            return
        total = answer.get("runCount")
        total = total if isinstance(total, int) else len(batch.items)
        ok, failed = answer.get("successfulRunCount"), answer.get("failedRunCount")
        moment = batch.moment()
        if isinstance(ok, int) and isinstance(failed, int):
            counts = Counts(moment, succeeded=ok, failed=failed)
        elif status == "COMPLETED":
            counts = Counts(moment, succeeded=total)
        else:
            counts = Counts(moment, ended=total)
        self._timeline(batch).saw_counts(counts)

    def _show(self, batch: RecordedBatch, kind: str, runs: Any) -> None:
        shown = runs if isinstance(runs, list) else []
        self._shown.setdefault(batch.id, []).append((kind, batch.moment(), shown))
        self._settle(batch)

    def _results(
        self,
        timeline: Timeline,
        batch: RecordedBatch,
        at: Moment,
        results: list[Any],
        *,
        complete: bool,
    ) -> None:
        """Execution results: each one finished; with ``complete``, the runs not shown are
        not finished yet."""
        shown = set()
        for result in results:
            position = self._position(batch, result.get("id") if isinstance(result, dict) else None)
            if position is None or not isinstance(result, dict):
                continue
            shown.add(position)
            ok = result.get("ok") is True
            if not ok and _cancelled(result):
                continue
            timeline.saw(position, at, Seen.SUCCEEDED if ok else Seen.FAILED, _body(result))
        if complete:
            for position in range(len(batch.items)):
                if position not in shown:
                    timeline.saw(position, at, Seen.UNFINISHED)

    def _listed(
        self, timeline: Timeline, batch: RecordedBatch, at: Moment, runs: list[Any]
    ) -> None:
        for run in runs:
            position = self._position(batch, run.get("id") if isinstance(run, dict) else None)
            seen = SEEN.get(str(run.get("status"))) if isinstance(run, dict) else None
            if position is None or seen is None or not isinstance(run, dict):
                continue
            timeline.saw(position, at, seen)
            created = parse_time(run.get("createdAt"))
            if created is None:
                continue
            origin = timeline.origins.get(position, (0, 0.0))[1]
            started, ended = parse_time(run.get("startedAt")), parse_time(run.get("finishedAt"))
            if started is not None:
                seconds = origin + (started - created).total_seconds()
                timeline.dated_start(position, timeline.when(batch.first_seen, seconds))
            if seen in (Seen.SUCCEEDED, Seen.FAILED) and ended is not None:
                seconds = origin + (ended - created).total_seconds()
                timeline.dated_end(position, timeline.when(batch.first_seen, seconds))

    # -- shared -------------------------------------------------------------------------

    def _run(self, batch: RecordedBatch, position: int, run_id: Any) -> None:
        if isinstance(run_id, str):
            batch.item(position, key=run_id)
            self._runs.setdefault(run_id, (batch.id, position))

    def _position(self, batch: RecordedBatch, run_id: Any) -> int | None:
        found = self._runs.get(run_id) if isinstance(run_id, str) else None
        return found[1] if found is not None and found[0] == batch.id else None

    def _poll(self, book: Book, batch_id: str, exchange: Exchange) -> RecordedBatch:
        batch = book.poll(batch_id)
        self._timeline(batch).polled(exchange.time)
        return batch

    def _timeline(self, batch: RecordedBatch) -> Timeline:
        return self._timelines.setdefault(batch.id, Timeline())

    def _settle(self, batch: RecordedBatch) -> None:
        """Read the runs shown so far (by the IDs known now) into a copy of the batch's
        timeline, and settle it."""
        base = self._timeline(batch)
        timeline = Timeline(list(base.counts), polls=base.polls, origins=base.origins)
        for kind, at, runs in self._shown.get(batch.id, []):
            if kind == "runs":
                self._listed(timeline, batch, at, runs)
            else:
                self._results(timeline, batch, at, runs, complete=kind == "all results")
        total = batch.meta.get("runCount")
        timeline.settle(batch, total if isinstance(total, int) else None)


def _view(index: Any, task: Any, item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's input as the mock keeps it: ``{index, task, payload, options}``."""
    given = item.get("options")
    options: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    payload = decode_payload(item.get("payload"), options)
    return {"index": index, "task": task, "payload": payload, "options": dict(options)}


def _cancelled(result: dict[str, Any]) -> bool:
    error = result.get("error")
    return isinstance(error, dict) and error.get("code") == "TASK_RUN_CANCELLED"


def _body(result: dict[str, Any]) -> Any:
    """A finished run's outcome as the mock renders it back: the output, or the error."""
    if result.get("ok") is not True:
        return result.get("error") if isinstance(result.get("error"), dict) else {}
    output = result.get("output")
    if not isinstance(output, str):
        return None
    try:
        return json.loads(output)
    except ValueError:
        return output
