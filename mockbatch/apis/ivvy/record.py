"""How ``mockbatch record`` reads iVvy's answers: ``run`` creates a batch of the jobs sent;
``progress`` and ``results`` are polls; ``results`` gives every job's response.

``progress`` tells only the percentage of finished jobs: jobs 0..f-1 are taken to finish at the
poll that first showed f of them (the fewest the percentage allows), which the mock renders as
the same percentage. Answers with a documented specific code the mock gives for the same
request (a refused body, a batch not complete or not found) are replayed as they are.
"""

from __future__ import annotations

import math
from typing import Any

from ...record.book import Book, Exchange, RecordedBatch, Recorder

# Specific codes the mock answers by itself for the same request and state.
REPLAYED_CODES = frozenset({23016, 23017, 24092, 24093, 24105, 24114, 24115, 24448})


class IvvyRecorder(Recorder):
    """Reads the ``batch`` operation's actions into the book."""

    def __init__(self) -> None:
        # asyncId -> [(moment, progress)], applied once the batch's jobs are known
        self._progress: dict[str, list[tuple[tuple[int, float], int]]] = {}

    def fault_query(self, exchange: Exchange) -> dict[str, str]:
        action = exchange.arg("action")
        return {"action": action} if action else {}

    def read(self, exchange: Exchange, book: Book) -> bool:
        action = exchange.arg("action")
        answer = exchange.json_answer()
        if not exchange.ok:
            code = answer.get("specificCode")
            known = exchange.json_body().get("async")
            if code == 24114 and isinstance(known, str):
                book.poll(known)  # results of an unfinished batch: the mock counts a poll
            vanished = code in (24105, 24115) and known in book.batches
            return code in REPLAYED_CODES and not vanished
        if action == "run" and isinstance(answer.get("asyncId"), str):
            self._created(book.created(answer["asyncId"]), exchange.json_body())
            return True
        batch_id = exchange.json_body().get("async")
        if not isinstance(batch_id, str):
            return False
        if action == "progress" and isinstance(answer.get("progress"), int):
            batch = book.poll(batch_id)
            self._progress.setdefault(batch_id, []).append((batch.moment(), answer["progress"]))
            self._apply(batch)
            return True
        if action == "results" and isinstance(answer.get("results"), list):
            self._results(book.poll(batch_id), answer["results"])
            return True
        return action in ("restart", "repost")

    def _created(self, batch: RecordedBatch, body: dict[str, Any]) -> None:
        jobs = body.get("jobs")
        for i, job in enumerate(jobs if isinstance(jobs, list) else []):
            if isinstance(job, dict):
                batch.item(
                    i, input=_job(job.get("namespace"), job.get("action"), job.get("params"))
                )
        if isinstance(body.get("callbackUrl"), str):
            batch.notes.append("the client asked for a callback (callbackUrl): a replay calls back")

    def _results(self, batch: RecordedBatch, results: list[Any]) -> None:
        for i, result in enumerate(results):
            if isinstance(result, dict):
                job = _job(result.get("namespace"), result.get("action"), result.get("request"))
                batch.item(i, input=job)
        self._apply(batch)
        for i, result in enumerate(results):
            body = result.get("response") if isinstance(result, dict) else None
            batch.finished(i, ok=True, body=body if body is not None else {})

    def _apply(self, batch: RecordedBatch) -> None:
        """Finish jobs as the percentages seen so far say (once the jobs are known)."""
        total = len(batch.items)
        if not total:
            return
        for moment, percent in self._progress.get(batch.id, []):
            for i in range(min(total, math.ceil(percent * total / 100))):
                batch.finished(i, at=moment)


def _job(namespace: Any, action: Any, params: Any) -> dict[str, Any]:
    """A job's input as the mock keeps it (its rules match on these)."""
    return {"namespace": namespace, "action": action, "params": params if params else {}}
