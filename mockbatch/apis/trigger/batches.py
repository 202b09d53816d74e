"""Trigger.dev batches as the retrieve routes show them, their status derived from the runs.

A batch expects ``meta["runCount"]`` runs (default: as many as it has items). Until that many
items arrived it is not sealed and ``PENDING``; sealed, it is ``PROCESSING`` while any run is
unfinished, then ``COMPLETED`` (every run succeeded) or ``PARTIAL_FAILED`` (some failed or were
cancelled). A batch whose cancel moment came before it completed is ``ABORTED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ...engine import Batch, ItemState, ListItems
from .runs import run_id, task_of
from .wire import COULD_NOT_TRIGGER, MAX_LISTED, BatchStatus, ErrorType, iso

UNFINISHED = (ItemState.PENDING, ItemState.RUNNING)


def run_count(batch: Batch) -> int:
    """How many runs the batch was created for."""
    count = batch.meta.get("runCount")
    return count if isinstance(count, int) else len(batch.items)


def sealed_at(batch: Batch) -> datetime | None:
    """When the last expected item arrived, or None while some are still expected."""
    if len(batch.items) < run_count(batch):
        return None
    if isinstance(batch.items, ListItems) and batch.items.entries:
        return max(at for _, at, _ in batch.items.entries)
    return batch.created_at


def status(batch: Batch, now: datetime) -> BatchStatus:
    """The batch's status at ``now``, derived from its runs."""
    counts = batch.counts(now)
    sealed = sealed_at(batch) is not None
    if batch.cancelled_at(now) is not None and (not sealed or counts[ItemState.CANCELLED]):
        return BatchStatus.ABORTED
    if not sealed:
        return BatchStatus.PENDING
    if any(counts[state] for state in UNFINISHED):
        return BatchStatus.PROCESSING
    if counts[ItemState.FAILED] or counts[ItemState.CANCELLED]:
        return BatchStatus.PARTIAL_FAILED
    return BatchStatus.COMPLETED


def settled(batch: Batch, now: datetime) -> bool:
    """Whether nothing about a completed batch can change any more: it is sealed (no item is
    still expected) and an abort it had scheduled has come (its moment is in ``updatedAt``)."""
    return sealed_at(batch) is not None and (
        batch.cancel is None or batch.cancelled_at(now) is not None
    )


def updated_at(batch: Batch, now: datetime) -> datetime:
    """The last time anything about the batch changed, up to ``now``."""
    moments = [batch.created_at, sealed_at(batch) or batch.created_at]
    if isinstance(batch.items, ListItems):
        moments.extend(at for _, at, _ in batch.items.entries)
    for moment in (batch.completed_at(now), batch.cancelled_at(now)):
        if moment is not None:
            moments.append(moment)
    return min(max(moments), max(now, batch.created_at))


def processing_errors(batch: Batch, now: datetime) -> list[dict[str, Any]]:
    """Items that could not be triggered: failed with ``BATCH_ITEM_COULD_NOT_TRIGGER``."""
    if not isinstance(batch.items, ListItems):
        return []
    errors = []
    for index, (spec, _, _) in enumerate(batch.items.entries):
        body = spec.body
        if spec.ok or not isinstance(body, Mapping) or body.get("code") != COULD_NOT_TRIGGER:
            continue
        if body.get("type") != ErrorType.INTERNAL_ERROR.value:
            continue
        if batch.state(index, now) is not ItemState.FAILED:
            continue
        errors.append(
            {
                "index": _position(spec.input, index),
                "taskIdentifier": task_of(spec.input),
                "error": str(body.get("message") or COULD_NOT_TRIGGER),
                "errorCode": COULD_NOT_TRIGGER,
            }
        )
    return errors


def retrieve_v1(batch: Batch, now: datetime) -> dict[str, Any]:
    """``GET /api/v1/batches/{id}``: counts once the batch is finished, errors when any."""
    current = status(batch, now)
    body = _common(batch, now, current)
    if current in (BatchStatus.COMPLETED, BatchStatus.PARTIAL_FAILED, BatchStatus.ABORTED):
        counts = batch.counts(now)
        body["successfulRunCount"] = counts[ItemState.SUCCEEDED]
        body["failedRunCount"] = counts[ItemState.FAILED] + counts[ItemState.CANCELLED]
    errors = processing_errors(batch, now)
    if errors:
        body["errors"] = errors
    return body


def retrieve_v2(batch: Batch, now: datetime) -> dict[str, Any]:
    """``GET /api/v2/batches/{id}``: the shape ``batch.retrieve()`` validates."""
    body = _common(batch, now, status(batch, now))
    processing: dict[str, Any] = {}
    sealed = sealed_at(batch)
    if sealed is not None:
        body["processingCompletedAt"] = iso(sealed)
        processing["completedAt"] = iso(sealed)
    processing["errors"] = processing_errors(batch, now)
    body["processing"] = processing
    return body


def _common(batch: Batch, now: datetime, current: BatchStatus) -> dict[str, Any]:
    body: dict[str, Any] = {"id": batch.id, "status": current.value}
    key = batch.meta.get("idempotencyKey")
    if isinstance(key, str):
        body["idempotencyKey"] = key
    body["createdAt"] = iso(batch.created_at)
    body["updatedAt"] = iso(updated_at(batch, now))
    body["runCount"] = run_count(batch)
    body["runs"] = [run_id(batch, i) for i in range(min(len(batch.items), MAX_LISTED))]
    return body


def _position(item_input: Any, index: int) -> int:
    given = item_input.get("index") if isinstance(item_input, Mapping) else None
    return given if isinstance(given, int) and not isinstance(given, bool) else index
