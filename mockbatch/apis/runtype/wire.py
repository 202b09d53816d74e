"""Runtype's wire vocabulary: statuses and their mapping from the engine's states, times, IDs.

Runtype documents only the record status ``completed``; the other words are mockbatch's (see
README, "Runtype"). Batch and run IDs are UUIDs derived from the engine's deterministic IDs.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from ...engine import ItemState

BODY_KEYS = ("agentExecutionId", "recordResultId", "result")
"""The fields of a record's result that a scenario's outcome body may fix."""


class RecordStatus(str, Enum):
    """A record's ``status`` in results (Runtype documents only ``completed``)."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class BatchStatus(str, Enum):
    """A batch's ``status`` in the status and submit answers."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


RECORD_STATUS: dict[ItemState, RecordStatus] = {
    ItemState.PENDING: RecordStatus.PENDING,
    ItemState.RUNNING: RecordStatus.RUNNING,
    ItemState.SUCCEEDED: RecordStatus.COMPLETED,
    ItemState.FAILED: RecordStatus.FAILED,
    ItemState.CANCELLED: RecordStatus.CANCELLED,
}
STATE_OF: dict[str, ItemState] = {status.value: state for state, status in RECORD_STATUS.items()}
TERMINAL = frozenset(
    s.value for s in (BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED)
)


@dataclass(frozen=True, slots=True)
class Page:
    """Which records a results request asks for: ``status`` None means all of them."""

    limit: int
    offset: int
    status: str | None = None


def timestamp(when: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, milliseconds only when there are some (as in the docs)."""
    when = when.astimezone(timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    millis = when.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def uuid(hexdigits: str) -> str:
    """A version-4-shaped UUID from 32+ hex digits (Runtype's batch and run IDs are UUIDs)."""
    h = hexdigits[:32]
    variant = "89ab"[int(h[16], 16) % 4]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def derived(batch_id: str, index: int, kind: str) -> str:
    """64 hex digits that depend only on the batch, the item and what they are for."""
    return hashlib.sha256(f"{batch_id}:{index}:{kind}".encode()).hexdigest()


def batch_status(counts: Counter[ItemState], total: int) -> BatchStatus:
    """The batch's status from its records' states."""
    if counts[ItemState.PENDING] + counts[ItemState.RUNNING]:
        if counts[ItemState.PENDING] == total:
            return BatchStatus.QUEUED
        return BatchStatus.RUNNING
    if counts[ItemState.CANCELLED]:
        return BatchStatus.CANCELLED
    if total and counts[ItemState.FAILED] == total:
        return BatchStatus.FAILED
    return BatchStatus.COMPLETED
