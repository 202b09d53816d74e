"""Trigger.dev's wire vocabulary: statuses, error types, limits, keys and the error exception.

The strings are the provider's own (``PARTIAL_FAILED``, ``CANCELED``, ``STRING_ERROR``); the
engine's words (``ItemState``) are mapped to them here and nowhere else. Limits are the
self-hosted defaults of the Trigger.dev webapp.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from ...engine import ItemState
from ...errors import ApiError

MAX_STREAM_RUNS = 1000  # STREAMING_BATCH_MAX_ITEMS: runCount of a two-phase batch
MAX_V2_ITEMS = 500  # MAX_BATCH_V2_TRIGGER_ITEMS: /api/v2/tasks/batch and /api/v1/tasks/batch
MAX_TASK_ITEMS = 100  # MAX_BATCH_TRIGGER_ITEMS: /api/v1/tasks/{task}/batch
MAX_CREATE_BODY = 131_072  # maxContentLength of POST /api/v3/batches
MAX_TRIGGER_BODY = 1_000_000  # BATCH_TASK_PAYLOAD_MAXIMUM_SIZE (the one-shot routes)
MAX_LISTED = 1000  # run IDs and results shown for one batch (generated batches can be huge)
DEFAULT_PAGE_SIZE = 25

KEY_PREFIXES = {"tr_dev_": "dev", "tr_prod_": "prod", "tr_stg_": "stg", "tr_preview_": "preview"}


class BatchStatus(str, Enum):
    """``BatchTaskRunStatus``: what ``batch.retrieve()`` accepts."""

    PENDING = "PENDING"  # created, waiting for items (not sealed)
    PROCESSING = "PROCESSING"  # sealed, some run unfinished
    COMPLETED = "COMPLETED"  # every run succeeded
    PARTIAL_FAILED = "PARTIAL_FAILED"  # every run finished, some failed or were cancelled
    ABORTED = "ABORTED"  # aborted before it completed: unfinished runs were cancelled


class RunStatus(str, Enum):
    """The 13 run statuses of the public API (``filter[status]`` takes any of them)."""

    PENDING_VERSION = "PENDING_VERSION"
    QUEUED = "QUEUED"
    DEQUEUED = "DEQUEUED"
    EXECUTING = "EXECUTING"
    WAITING = "WAITING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    SYSTEM_FAILURE = "SYSTEM_FAILURE"
    DELAYED = "DELAYED"
    EXPIRED = "EXPIRED"
    TIMED_OUT = "TIMED_OUT"


RUN_STATUS = {
    ItemState.PENDING: RunStatus.QUEUED,
    ItemState.RUNNING: RunStatus.EXECUTING,
    ItemState.SUCCEEDED: RunStatus.COMPLETED,
    ItemState.FAILED: RunStatus.FAILED,
    ItemState.CANCELLED: RunStatus.CANCELED,
}
ITEM_STATE = {status: state for state, status in RUN_STATUS.items()}


class ErrorType(str, Enum):
    """The four ``TaskRunError`` kinds, discriminated by ``type``."""

    BUILT_IN_ERROR = "BUILT_IN_ERROR"  # name, message, stackTrace
    CUSTOM_ERROR = "CUSTOM_ERROR"  # raw
    STRING_ERROR = "STRING_ERROR"  # raw
    INTERNAL_ERROR = "INTERNAL_ERROR"  # code, message?, stackTrace?


CANCELLED_ERROR = {"type": ErrorType.INTERNAL_ERROR.value, "code": "TASK_RUN_CANCELLED"}
COULD_NOT_TRIGGER = "BATCH_ITEM_COULD_NOT_TRIGGER"


class TriggerError(ApiError):
    """An error answered as ``{"error": message, **extra}`` with optional headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, details=dict(extra or {}))
        self.headers = dict(headers or {})


def environment(key: str) -> dict[str, str]:
    """The ``env`` a secret key belongs to: ``{"id", "name"}`` (name ``dev``/``prod``/...)."""
    name = next((env for prefix, env in KEY_PREFIXES.items() if key.startswith(prefix)), "dev")
    return {
        "id": "c" + hashlib.sha256(f"trigger.env:{name}".encode()).hexdigest()[:24],
        "name": name,
    }


def iso(when: datetime) -> str:
    """``2026-01-01T00:00:00.000Z``: UTC with milliseconds, as the provider's JSON dates."""
    utc = when.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def cuid(text: str) -> str:
    """A cuid-shaped internal ID (``c`` + 24 lowercase alphanumerics) derived from ``text``."""
    return "c" + hashlib.sha256(text.encode()).hexdigest()[:24]
