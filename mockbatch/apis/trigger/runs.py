"""Trigger.dev runs: their IDs and the two shapes a run is read in.

Every item of a batch is a run. Its ID is the item's fixed ``id`` from a scenario, or derived
from the batch ID and the item's position (``run_c`` + 15 hex digits of the batch ID's hash +
the position in base 36), so a run is found again from its ID alone, even in a generated
batch of millions. A run is rendered as a ``TaskRunExecutionResult`` (results, run result) or
a ``ListRunResponseItem`` (runs list).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ...engine import Batch, ItemState, ListItems
from .wire import CANCELLED_ERROR, RUN_STATUS, ErrorType, RunStatus, iso

_DERIVED = re.compile(r"run_c([0-9a-f]{15})([0-9a-z]{9})")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
OUTPUT_TYPE = "application/json"


def run_id(batch: Batch, index: int) -> str:
    """The ID of run ``index`` of ``batch``."""
    key = batch.items.key(index)
    return key if key else f"run_c{_batch_hash(batch.id)}{_base36(index)}"


def find_run(batches: Iterable[Batch], wanted: str) -> tuple[Batch, int] | None:
    """The batch (of ``batches``) and position of the run with ID ``wanted``, or None."""
    derived = _DERIVED.fullmatch(wanted)
    for batch in batches:
        if isinstance(batch.items, ListItems):
            for index, (spec, _, _) in enumerate(batch.items.entries):
                if spec.key == wanted:
                    return batch, index
        if derived and derived.group(1) == _batch_hash(batch.id):
            index = int(derived.group(2), 36)
            if index < len(batch.items) and batch.items.key(index) is None:
                return batch, index
    return None


def task_of(item_input: Any) -> str:
    """The task identifier an item was triggered with."""
    task = item_input.get("task") if isinstance(item_input, Mapping) else None
    return task if isinstance(task, str) else ""


def task_error(body: Any) -> dict[str, Any]:
    """A failed item's body as a ``TaskRunError``: a string is a ``STRING_ERROR``."""
    if isinstance(body, str):
        return {"type": ErrorType.STRING_ERROR.value, "raw": body}
    if isinstance(body, Mapping) and body.get("type") in {t.value for t in ErrorType}:
        return dict(body)
    return {"type": ErrorType.CUSTOM_ERROR.value, "raw": json.dumps(body)}


def execution_result(batch: Batch, index: int, now: datetime) -> dict[str, Any] | None:
    """Run ``index`` as a ``TaskRunExecutionResult``, or None while it is unfinished."""
    state = batch.state(index, now)
    if not state.finished:
        return None
    spec = batch.items.spec(index)
    result: dict[str, Any] = {"ok": state is ItemState.SUCCEEDED, "id": run_id(batch, index)}
    if state is ItemState.SUCCEEDED:
        if spec.body is not None:
            result["output"] = json.dumps(spec.body, separators=(",", ":"))
        result["outputType"] = OUTPUT_TYPE
    elif state is ItemState.FAILED:
        result["error"] = task_error(spec.body)
    else:
        result["error"] = dict(CANCELLED_ERROR)
    if state is not ItemState.CANCELLED:
        result["usage"] = {"durationMs": duration_ms(batch, index, now)}
    task = task_of(spec.input)
    if task:
        result["taskIdentifier"] = task
    return result


def duration_ms(batch: Batch, index: int, now: datetime) -> int:
    """How long run ``index`` has run (so far), in milliseconds."""
    started = batch.started_at(index, now)
    if started is None:
        return 0
    ended = batch.finished_at(index, now) or now
    return max(0, round((ended - started).total_seconds() * 1000))


def list_item(batch: Batch, index: int, now: datetime, env: Mapping[str, str]) -> dict[str, Any]:
    """Run ``index`` as a ``ListRunResponseItem`` (the 18 fields the SDK requires, and more)."""
    spec = batch.items.spec(index)
    options = spec.input.get("options") if isinstance(spec.input, Mapping) else None
    options = options if isinstance(options, Mapping) else {}
    status = RUN_STATUS[batch.state(index, now)]
    created = batch.items.origin(index)[0]
    started = batch.started_at(index, now)
    finished = batch.finished_at(index, now)
    item: dict[str, Any] = {
        "id": run_id(batch, index),
        "status": status.value,
        "taskIdentifier": task_of(spec.input),
    }
    if isinstance(options.get("idempotencyKey"), str):
        item["idempotencyKey"] = options["idempotencyKey"]
    if isinstance(options.get("lockToVersion"), str):
        item["version"] = options["lockToVersion"]
    item["createdAt"] = iso(created)
    item["updatedAt"] = iso(finished or started or created)
    if started is not None:
        item["startedAt"] = iso(started)
    if finished is not None:
        item["finishedAt"] = iso(finished)
    item["isTest"] = options.get("test") is True
    ttl = options.get("ttl")
    if isinstance(ttl, str):
        item["ttl"] = ttl
    elif isinstance(ttl, int) and not isinstance(ttl, bool):
        item["ttl"] = f"{ttl}s"
    item["env"] = dict(env)
    item["tags"] = _tags(options.get("tags"))
    item["costInCents"] = 0
    item["baseCostInCents"] = 0
    item["durationMs"] = duration_ms(batch, index, now)
    item["depth"] = 0
    item.update(status_flags(status))
    return item


def status_flags(status: RunStatus) -> dict[str, bool]:
    """The ``is*`` booleans the API derives from a run status."""
    completed = status in (RunStatus.COMPLETED, RunStatus.CANCELED, RunStatus.FAILED)
    return {
        "isQueued": status is RunStatus.QUEUED,
        "isExecuting": status is RunStatus.EXECUTING,
        "isWaiting": False,
        "isCompleted": completed,
        "isFailed": completed and status is not RunStatus.COMPLETED,
        "isSuccess": status is RunStatus.COMPLETED,
        "isCancelled": status is RunStatus.CANCELED,
    }


def _tags(tags: Any) -> list[str]:
    if isinstance(tags, str):
        return [tags]
    if isinstance(tags, list):
        return [t for t in tags if isinstance(t, str)]
    return []


def _batch_hash(batch_id: str) -> str:
    return hashlib.sha256(f"trigger.run:{batch_id}".encode()).hexdigest()[:15]


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if not number:
            return digits.rjust(9, "0")
