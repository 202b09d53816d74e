"""A batch's status, timestamps and counts, derived from the engine's state and the clock.

Validation ends at :data:`~.wire.VALIDATED` (polls and seconds from creation; a recorded batch
may say otherwise, see :func:`validation`). A batch with validation errors is ``failed`` then;
any other runs its requests, is ``finalizing`` once every request has finished and
``completed`` when its last item (the finalizer) ends. The engine
cancels every unfinished item at the end of the window (``expired``) or at a client's cancel;
a cancelled batch shows ``cancelling`` until the first retrieve after the cancel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ...engine import After, ItemState
from .wire import VALIDATED, Status, epoch

if TYPE_CHECKING:
    from ...engine import Batch

FINALIZING_AT = "openai.finalizing_at"
VALIDATED_META = "validated"  # meta: a recorded batch's end of validation


@dataclass(frozen=True, slots=True)
class View:
    """Where a batch is at one moment, in the service's words."""

    status: Status
    total: int
    succeeded: int
    failed: int
    times: dict[str, int | None]


def requests(batch: Batch) -> int:
    """How many requests the batch has (its items but the finalizer)."""
    return len(batch.items) - (1 if batch.meta.get("finalizer") else 0)


def arrived(batch: Batch, after: After, now: datetime) -> datetime | None:
    """When ``after`` (counted from the batch's creation) came, or None if it has not yet."""
    at = batch.created_at + timedelta(seconds=after.seconds)
    if at > now:
        return None
    if after.polls <= 0:
        return at
    if batch.polls < after.polls or batch.poll_times[after.polls - 1] > now:
        return None
    return max(at, batch.poll_times[after.polls - 1])


def validation(batch: Batch) -> After:
    """When validation ends: :data:`~.wire.VALIDATED`, or a recorded batch's own (its meta
    ``validated``: ``{polls, seconds}``, as ``mockbatch record`` saw the provider take)."""
    found = batch.meta.get(VALIDATED_META)
    if isinstance(found, Mapping):
        return After(int(found.get("polls", 0)), float(found.get("seconds", 0)))
    return VALIDATED


def counts(batch: Batch, now: datetime) -> Counter[ItemState]:
    """The requests' states (the finalizer left out)."""
    found = batch.counts(now)
    if batch.meta.get("finalizer"):
        found[batch.state(len(batch.items) - 1, now)] -= 1
    return found


def view(batch: Batch, now: datetime) -> View:
    """The batch at ``now``."""
    meta = batch.meta
    done = batch.completed_at(now)
    validated = (
        arrived(batch, validation(batch), now) if meta.get("finalizer") else batch.created_at
    )
    found = counts(batch, now)
    unfinished = found[ItemState.PENDING] + found[ItemState.RUNNING]
    status = _status(batch, now, done, validated, unfinished)
    times: dict[str, int | None] = dict.fromkeys(
        ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at"), None
    )
    times["cancelling_at"] = meta.get("cancelling_at")
    times["cancelled_at"] = None
    if status is Status.FAILED:
        times["failed_at"] = epoch(done or now)
        return View(status, 0, 0, 0, times)
    cancel = batch.cancelled_at(now)
    if validated is not None and (cancel is None or validated <= cancel):
        times["in_progress_at"] = epoch(validated)
    if status in (Status.FINALIZING, Status.COMPLETED):
        times["finalizing_at"] = _finalizing_at(batch, now)
    if status is Status.COMPLETED and done is not None:
        times["completed_at"] = epoch(done)
    if status is Status.EXPIRED and cancel is not None:
        times["expired_at"] = epoch(cancel)
    if status is Status.CANCELLED:
        times["cancelled_at"] = epoch(batch.poll_times[meta["cancel_polls"]])
    total = requests(batch) if times["in_progress_at"] is not None else 0
    failed = found[ItemState.FAILED] + found[ItemState.CANCELLED]
    return View(status, total, found[ItemState.SUCCEEDED], failed if total else 0, times)


def _status(
    batch: Batch,
    now: datetime,
    done: datetime | None,
    validated: datetime | None,
    unfinished: int,
) -> Status:
    meta = batch.meta
    if meta.get("cancelling_at") is not None:
        polled = batch.polls > meta["cancel_polls"]  # a retrieve since the cancel
        return Status.CANCELLED if done is not None and polled else Status.CANCELLING
    if meta.get("errors"):
        return Status.FAILED if done is not None else Status.VALIDATING
    if done is not None:
        cancel = batch.cancelled_at(now)
        return Status.EXPIRED if cancel is not None and done >= cancel else Status.COMPLETED
    if validated is None:
        return Status.VALIDATING
    return Status.IN_PROGRESS if unfinished else Status.FINALIZING


def _finalizing_at(batch: Batch, now: datetime) -> int | None:
    """When the last request finished (kept once the batch is complete)."""
    known = batch.cache.get(FINALIZING_AT)
    if isinstance(known, int):
        return known
    last = batch.last_finished(now, requests(batch))
    found = epoch(last) if last is not None else None
    if found is not None and batch.completed_at(now) is not None:
        batch.cache[FINALIZING_AT] = found
    return found


def counts_json(view: View) -> dict[str, Any]:
    return {"total": view.total, "completed": view.succeeded, "failed": view.failed}
