"""Check's wire vocabulary and the JSON of its batches and items, computed when read.

Item statuses come from the engine's states: RUNNING is ``processing``, SUCCEEDED
``completed``, FAILED ``failed``, CANCELLED ``skipped``. An item that has not started (PENDING)
is ``pending`` until its batch's second poll and ``queued`` from then on: the first poll is the
one that hands the batch to the queue. Verdict and confidence come from the item's scenario
``response``; the decision follows from them and the batch's thresholds (:func:`decision`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from ...engine import Batch, GeneratedItems, ItemState

VERDICTS = ("true", "false", "uncertain")
ITEM_STATUSES = ("pending", "queued", "processing", "completed", "failed", "skipped")
BATCH_STATUSES = ("pending", "validating", "processing", "completed", "failed", "cancelled")
FINISHED_BATCH = ("completed", "failed", "cancelled")
ACCEPT_THRESHOLD = 0.95
ESCALATE_THRESHOLD = 0.5
MAX_RETRIES = 3  # retryCount of a failed item when neither its error nor the batch says
COST_CENTS = 5  # a completed verification, as in the docs' example
QUEUED_FROM_POLL = 2

_STATUS = {
    ItemState.RUNNING: "processing",
    ItemState.SUCCEEDED: "completed",
    ItemState.FAILED: "failed",
    ItemState.CANCELLED: "skipped",
}
_HEX = re.compile(r"^[0-9a-f]{8,}$")


def iso(when: datetime | None) -> str | None:
    """``2024-01-15T10:30:00Z`` (milliseconds only when there are any)."""
    if when is None:
        return None
    when = when.astimezone(timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond // 1000:03d}"
    return text + "Z"


def item_status(state: ItemState, batch: Batch) -> str:
    if state is ItemState.PENDING:
        return "queued" if batch.polls >= QUEUED_FROM_POLL else "pending"
    return _STATUS[state]


def states_for(status: str, batch: Batch) -> set[ItemState]:
    """The engine states an item ``status`` filter selects (pending/queued split by polls)."""
    return {s for s in ItemState if item_status(s, batch) == status}


def batch_status(batch: Batch, now: datetime, counts: Counter[ItemState]) -> str:
    """``cancelled`` once cancelled; ``completed`` when every item finished (``failed`` when
    every one failed); ``pending`` while every item is pending; else ``processing``."""
    if batch.cancelled_at(now) is not None:
        return "cancelled"
    total = len(batch.items)
    failed = counts[ItemState.FAILED]
    if counts[ItemState.SUCCEEDED] + failed == total:
        return "failed" if total and failed == total else "completed"
    if counts[ItemState.PENDING] == total and batch.polls < QUEUED_FROM_POLL:
        return "pending"
    return "processing"


def thresholds(batch: Batch) -> tuple[float, float]:
    """(acceptThreshold, escalateThreshold) from the batch's options, else the defaults."""
    options = batch.meta.get("options") or {}
    return (
        float(options.get("acceptThreshold", ACCEPT_THRESHOLD)),
        float(options.get("escalateThreshold", ESCALATE_THRESHOLD)),
    )


def decision(verdict: str, confidence: float, accept: float, escalate: float) -> str:
    """``escalate`` when uncertain or below the escalate threshold; a ``true`` verdict is
    accepted only at or above the accept threshold (else escalated); ``false`` is rejected."""
    if verdict == "uncertain" or confidence < escalate:
        return "escalate"
    if verdict == "true":
        return "accept" if confidence >= accept else "escalate"
    return "reject"


def verdict_of(value: Any) -> str:
    """A verdict string; a number or a ``{random}`` hex string picks one of the three."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value in VERDICTS:
        return value
    if isinstance(value, int):
        return VERDICTS[value % 3]
    if isinstance(value, str) and _HEX.match(value):
        return VERDICTS[int(value, 16) % 3]
    return "uncertain"


def confidence_of(value: Any) -> float:
    """A confidence in [0, 1]; an integer (``{index}``) or hex string (``{random}``) maps to
    one of 0.00, 0.01, ..., 1.00."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and 0 <= value <= 1:
        return float(value)
    if isinstance(value, int):
        return (value % 101) / 100
    if isinstance(value, str) and _HEX.match(value):
        return (int(value, 16) % 101) / 100
    return ACCEPT_THRESHOLD


def item_json(batch: Batch, index: int, now: datetime) -> dict[str, Any]:
    """Item ``index`` as the results page shows it: every key, null where it does not apply."""
    spec = batch.items.spec(index)
    state = batch.state(index, now)
    data = spec.input if isinstance(spec.input, dict) else {}
    body = spec.body if isinstance(spec.body, dict) else {}
    created = batch.items.origin(index)[0]
    finished = (
        batch.finished_at(index, now) if state in (ItemState.SUCCEEDED, ItemState.FAILED) else None
    )
    out: dict[str, Any] = {
        "id": spec.key or f"item_{index + 1:03d}",
        "itemIndex": index,
        "idempotencyKey": _text(data.get("idempotencyKey")),
        "content": str(data.get("content", "")),
        "itemContext": data.get("context") if isinstance(data.get("context"), dict) else None,
        "status": item_status(state, batch),
        "verificationId": None,
        "verdict": None,
        "confidence": None,
        "decision": None,
        "costCents": 0,
        "processingTimeMs": None,
        "errorMessage": None,
        "createdAt": iso(created),
        "completedAt": iso(finished),
        "retryCount": 0,
    }
    if finished is not None:
        elapsed = int((finished - created).total_seconds() * 1000)
        out["processingTimeMs"] = _count(body.get("processingTimeMs"), elapsed)
    if state is ItemState.SUCCEEDED:
        verdict = verdict_of(body.get("verdict", "true"))
        confidence = confidence_of(body.get("confidence", ACCEPT_THRESHOLD))
        out["verificationId"] = _text(body.get("verificationId")) or _verification_id(batch, index)
        out["verdict"] = verdict
        out["confidence"] = confidence
        out["decision"] = decision(verdict, confidence, *thresholds(batch))
        out["costCents"] = cost_cents(body)
        out["retryCount"] = _count(body.get("retryCount"), 0)
    elif state is ItemState.FAILED:
        error = spec.body
        message = error if isinstance(error, str) else body.get("errorMessage", body.get("message"))
        out["errorMessage"] = str(message) if message is not None else "Verification failed"
        options = batch.meta.get("options") or {}
        retries = _count(options.get("maxRetries"), MAX_RETRIES)
        out["retryCount"] = _count(body.get("retryCount"), retries)
    return out


def cost_cents(body: Any) -> int:
    """What a completed item costs: its response's ``costCents``, else 5."""
    value = body.get("costCents") if isinstance(body, dict) else None
    return _count(value, COST_CENTS)


def summary_json(batch: Batch, now: datetime, counts: Counter[ItemState]) -> dict[str, Any]:
    """The ``batch`` object of a results page: status and counts only."""
    ok, failed = counts[ItemState.SUCCEEDED], counts[ItemState.FAILED]
    return {
        "id": batch.id,
        "status": batch_status(batch, now, counts),
        "totalItems": len(batch.items),
        "processedItems": ok + failed,
        "successCount": ok,
        "failureCount": failed,
    }


def batch_json(batch: Batch, now: datetime) -> dict[str, Any]:
    """The whole batch object (create, get and list)."""
    counts = batch.counts(now)
    summary = summary_json(batch, now, counts)
    return {
        "id": batch.id,
        "name": batch.meta.get("name"),
        "status": summary["status"],
        "totalItems": summary["totalItems"],
        "processedItems": summary["processedItems"],
        "successCount": summary["successCount"],
        "failureCount": summary["failureCount"],
        "totalCostCents": total_cost(batch, now, counts),
        "methods": dict(batch.meta.get("methods") or {}),
        "createdAt": iso(batch.created_at),
        "startedAt": None if summary["status"] == "pending" else iso(batch.created_at),
        "completedAt": iso(batch.completed_at(now)),
    }


def total_cost(batch: Batch, now: datetime, counts: Counter[ItemState]) -> int:
    """What the completed items cost (only completed items are billed).

    A generated batch is priced from its first completed item, so this stays O(1).
    """
    completed = counts[ItemState.SUCCEEDED]
    if completed == 0:
        return 0
    if isinstance(batch.items, GeneratedItems):
        first = batch.items.nth(0, ok=True)
        return completed * cost_cents(batch.items.spec(first).body)
    _, indexes = batch.select(now, {ItemState.SUCCEEDED}, 0, completed)
    return sum(cost_cents(batch.items.spec(i).body) for i in indexes)


def _verification_id(batch: Batch, index: int) -> str:
    return "ver_" + hashlib.sha256(f"{batch.id}:{index}".encode()).hexdigest()[:12]


def _text(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None


def _count(value: Any, default: int) -> int:
    return max(0, value) if isinstance(value, int) and not isinstance(value, bool) else default
