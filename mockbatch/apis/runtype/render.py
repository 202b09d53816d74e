"""Runtype's bodies: one record's result, a page of results, a batch's status.

An item's input is ``{"record": {"id", "name"?, "type"?}, "flowId"?, "agentId"?}``; its
outcome body fixes fields of its result (``agentExecutionId``, ``recordResultId``, ``result``;
a failure's body is the ``error`` message, or a mapping with ``error`` and those fields).
Everything else is derived from the batch, the item's index and the clock, so a page of a
generated batch costs the page, whatever the batch's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ...engine import Batch, ItemState
from .wire import RECORD_STATUS, STATE_OF, Page, batch_status, derived, timestamp, uuid


def results_body(batch: Batch, page: Page, now: datetime) -> dict[str, Any]:
    """One page of a batch's results: ``{data, pagination}``; ``total`` counts the filter."""
    states = None
    if page.status is not None:
        state = STATE_OF.get(page.status)
        states = [state] if state is not None else []
    total, indexes = batch.select(now, states, page.offset, page.limit)
    return {
        "data": [record_result(batch, i, now) for i in indexes],
        "pagination": {
            "hasMore": page.offset + len(indexes) < total,
            "limit": page.limit,
            "offset": page.offset,
            "total": total,
        },
    }


def record_result(batch: Batch, index: int, now: datetime) -> dict[str, Any]:
    """Item ``index`` as a Runtype record result: every spec-required key, null when unknown."""
    spec = batch.items.spec(index)
    state = batch.state(index, now)
    created, _ = batch.items.origin(index)
    fixed = _fixed(spec.body)
    finished = state in (ItemState.SUCCEEDED, ItemState.FAILED)
    done_at = batch.finished_at(index, now) if finished else None
    started = state is not ItemState.PENDING and state is not ItemState.CANCELLED
    record_id, record = _record(spec.input)
    agent = fixed.get("agentExecutionId") or uuid(derived(batch.id, index, "agent"))
    result_id = fixed.get("recordResultId") or f"res_{derived(batch.id, index, 'result')[:10]}"
    out: dict[str, Any] = {
        "agentExecutionId": str(agent) if started else None,
        "createdAt": timestamp(created),
        "error": _message(spec.body) if state is ItemState.FAILED else None,
        "executedAt": timestamp(done_at) if done_at is not None else None,
        "failedAt": timestamp(done_at) if done_at and state is ItemState.FAILED else None,
        "flowId": batch.meta.get("flowId"),
        "flowName": batch.meta.get("flowName"),
        "record": record,
        "recordId": record_id,
        "recordResultId": str(result_id) if finished else None,
    }
    if state is ItemState.SUCCEEDED and "result" in fixed:
        out["result"] = fixed["result"]
    out["status"] = RECORD_STATUS[state].value
    return out


def status_body(batch: Batch, now: datetime) -> dict[str, Any]:
    """``GET /v1/batch/status/{id}``: counts by state, never item by item."""
    counts = batch.counts(now)
    total = len(batch.items)
    succeeded, failed = counts[ItemState.SUCCEEDED], counts[ItemState.FAILED]
    processed = succeeded + failed
    completed = batch.completed_at(now) if total else batch.created_at
    flow = batch.meta.get("flowId") or batch.meta.get("agentId") or ""
    return {
        "batchExecutionId": batch.id,
        "flowId": str(flow),
        "status": batch_status(counts, total).value,
        "totalRecords": total,
        "processedRecords": processed,
        "failedRecords": failed,
        "successCount": succeeded,
        "progress": processed * 100 // total if total else 100,
        "startedAt": timestamp(batch.created_at),
        "completedAt": timestamp(completed) if completed is not None else None,
    }


def _record(item_input: Any) -> tuple[str, dict[str, str] | None]:
    record = item_input.get("record") if isinstance(item_input, Mapping) else None
    if not isinstance(record, Mapping):
        return str(record), None
    record_id = str(record.get("id"))
    name, kind = record.get("name"), record.get("type")
    if name is None or kind is None:
        return record_id, None
    return record_id, {"id": record_id, "name": str(name), "type": str(kind)}


def _fixed(body: Any) -> Mapping[str, Any]:
    return body if isinstance(body, Mapping) else {}


def _message(body: Any) -> str:
    if isinstance(body, Mapping):
        body = body.get("error")
    return body if isinstance(body, str) else "Record execution failed"
