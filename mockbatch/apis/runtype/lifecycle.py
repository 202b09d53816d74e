"""Runtype's batch lifecycle as ``verify --lifecycle`` checks it (see README, "Verify the
lifecycle"): submit a flow over inline records, read its status until it finished, page
through its results two records a page; cancel a second batch at once.

States (mockbatch's words; Runtype documents only ``completed``): queued -> running ->
completed | failed | cancelled. Results list every record in its current status at any time;
a finished batch's records are all finished (a cancelled one's: cancelled, completed or
failed). The flow ID is ``$MOCKBATCH_RUNTYPE_FLOW`` (default ``flow_mockbatch_lifecycle``):
against the real service, name a flow of your account.
"""

from __future__ import annotations

import os
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
from ...lifecycle.steps import StatusRead, numbered
from .wire import TERMINAL, BatchStatus, RecordStatus

PAGE = 2
SHOWN = pick(
    "batchExecutionId",
    "status",
    "totalRecords",
    "processedRecords",
    "successCount",
    "failedRecords",
    "progress",
)
PAGE_SHOWN = pick("pagination", items="data", each=("record", "recordId", "status"))
FINISHED_RECORD = (RecordStatus.COMPLETED, RecordStatus.FAILED, RecordStatus.CANCELLED)


class RuntypeLifecycle(Lifecycle):
    """``POST /v1/batch/flow``, ``GET /v1/batch/status/{id}``, results pages and
    ``POST /v1/batch/cancel/{id}``."""

    order: ClassVar[dict[str, int]] = {
        BatchStatus.QUEUED.value: 0,
        BatchStatus.RUNNING.value: 1,
        **{status: 2 for status in TERMINAL},
    }
    results: ClassVar[dict[str, Presence]] = {status: Presence.COMPLETE for status in TERMINAL}
    rising = ("processedRecords", "successCount", "failedRecords", "progress")
    parts = ("successCount", "failedRecords")
    sums: ClassVar[dict[str, tuple[str, ...]]] = {
        "processedRecords": ("successCount", "failedRecords")
    }
    lists_all = True
    cancel_states = frozenset(s.value for s in FINISHED_RECORD)
    cost = Cost(2, 5, "2 submits, 1 cancel, 1 status + 1-2 results pages per poll")
    status_read = StatusRead(
        "/v1/batch/status/{id}",
        "read the status",
        TERMINAL,
        counts=rising,
        total="totalRecords",
        cancelled=BatchStatus.CANCELLED.value,
        show=SHOWN,
    )

    def create(self, http: Session, count: int) -> Created:
        keys = numbered(count)
        flow = os.environ.get("MOCKBATCH_RUNTYPE_FLOW", "flow_mockbatch_lifecycle")
        records = [{"type": "mockbatch", "name": key} for key in keys]
        answer = http.request("POST", "/v1/batch/flow", json={"flowId": flow, "records": records})
        answer.expect("submit a batch")
        found = answer.field("batchExecutionId", str, "submit a batch")
        return Created(found, keys, answer.exchange)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        path = f"/v1/schedules/batch/{batch.id}/results"
        return offset_pages(http, path, items="data", limit=PAGE, item=_item, show=PAGE_SHOWN)

    def cancel(self, http: Session, batch: Created) -> Cancel:
        answer = http.request("POST", f"/v1/batch/cancel/{batch.id}")
        accepted = answer.status == 200 and isinstance(answer.json, dict)
        accepted = accepted and answer.json.get("success") is True
        return Cancel(accepted, answer.exchange, answer.text[:200])


def _item(found: dict[str, Any], exchange: Any) -> Item:
    record = found.get("record")
    key = record.get("name") if isinstance(record, dict) else found.get("recordId")
    status = str(found.get("status"))
    return Item(str(key), status, status in {s.value for s in FINISHED_RECORD}, exchange)
