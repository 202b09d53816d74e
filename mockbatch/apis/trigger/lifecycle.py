"""Trigger.dev's batch lifecycle as ``verify --lifecycle`` checks it (see README, "Verify the
lifecycle"): trigger a batch of runs, retrieve it until it finished, list its runs two a page
(following ``pagination.next``). Trigger.dev has no batch cancel, so there is no second batch.

States (BatchTaskRunStatus): PENDING -> PROCESSING -> COMPLETED | PARTIAL_FAILED | ABORTED.
The counts appear once the batch finished. The runs list shows every run of the batch in its
current status; a finished batch's runs are all finished. The task is
``$MOCKBATCH_TRIGGER_TASK`` (default ``mockbatch-lifecycle``): against the real service, name
a task deployed in the key's environment.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from ...lifecycle import (
    Cost,
    Created,
    Exchange,
    Item,
    Lifecycle,
    Presence,
    Results,
    Session,
    Snapshot,
)
from ...lifecycle.session import pick
from ...lifecycle.steps import StatusRead
from .wire import BatchStatus, RunStatus

PAGE = 2
SHOWN = pick("id", "status", "runCount", "runs", "successfulRunCount", "failedRunCount")
PAGE_SHOWN = pick("pagination", items="data", each=("id", "status"))
FINISHED_BATCH = (BatchStatus.COMPLETED, BatchStatus.PARTIAL_FAILED, BatchStatus.ABORTED)
UNFINISHED_RUN = {
    s.value
    for s in (
        RunStatus.PENDING_VERSION,
        RunStatus.QUEUED,
        RunStatus.DEQUEUED,
        RunStatus.EXECUTING,
        RunStatus.WAITING,
        RunStatus.DELAYED,
    )
}


class TriggerLifecycle(Lifecycle):
    """``POST /api/v1/tasks/batch``, ``GET /api/v1/batches/{id}`` and ``GET /api/v1/runs``
    with ``filter[batch]``."""

    order: ClassVar[dict[str, int]] = {
        BatchStatus.PENDING.value: 0,
        BatchStatus.PROCESSING.value: 1,
        **{s.value: 2 for s in FINISHED_BATCH},
    }
    results: ClassVar[dict[str, Presence]] = {s.value: Presence.COMPLETE for s in FINISHED_BATCH}
    rising = ("successfulRunCount", "failedRunCount")
    parts = ("successfulRunCount", "failedRunCount")
    lists_all = True
    cost = Cost(1, 3, "1 trigger, 1 retrieve + 1-2 runs pages per poll")
    status_read = StatusRead(
        "/api/v1/batches/{id}",
        "retrieve the batch",
        frozenset(s.value for s in FINISHED_BATCH),
        counts=rising,
        total="runCount",
        show=SHOWN,
    )

    def create(self, http: Session, count: int) -> Created:
        task = os.environ.get("MOCKBATCH_TRIGGER_TASK", "mockbatch-lifecycle")
        items = [{"task": task, "payload": {"n": i + 1}} for i in range(count)]
        answer = http.request("POST", "/api/v1/tasks/batch", json={"items": items})
        answer.expect("trigger a batch", 200, 201, 202)
        runs = answer.field("runs", list, "trigger a batch")
        keys = tuple(str(run.get("id")) for run in runs if isinstance(run, dict))
        return Created(answer.field("id", str, "trigger a batch"), keys, answer.exchange)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        items: list[Item] = []
        exchanges: list[Exchange] = []
        params = {"filter[batch]": batch.id, "page[size]": str(PAGE)}
        while len(exchanges) < 100:  # a server that always names a next page stops somewhere
            answer = http.request("GET", "/api/v1/runs", params=params, show=PAGE_SHOWN)
            answer.expect("list the batch's runs")
            exchanges.append(answer.exchange)
            shown = answer.field("data", list, "list the batch's runs")
            items.extend(_item(run, answer.exchange) for run in shown if isinstance(run, dict))
            following = answer.field("pagination", dict, "list the batch's runs").get("next")
            if not isinstance(following, str) or not shown:
                break
            params = {**params, "page[after]": following}
        return Results(True, tuple(items), tuple(exchanges))


def _item(run: dict[str, Any], exchange: Exchange) -> Item:
    status = str(run.get("status"))
    return Item(str(run.get("id")), status, status not in UNFINISHED_RUN, exchange)
