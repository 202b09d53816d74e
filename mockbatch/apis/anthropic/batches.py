"""A batch's lifecycle in the service's words, derived from the engine's state when read.

Every request stays ``processing`` until the whole batch ends. A batch ends when its last
request finishes, at ``expires_at`` (created + 24 h) at the latest: what has not finished by
then is ``expired``. A client's cancel cancels what is unfinished at once; the batch shows
``canceling`` until the next retrieve (a poll), which sees it ``ended``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...engine import Batch, ItemState
from .. import FROZEN_MAX_ITEMS
from .wire import ARCHIVE, EXPIRY, ResultType, Status, iso

CANCEL_POLLS = "cancel_polls"  # meta: the batch's poll count when a client canceled it
DELETED = "deleted"  # meta: deleted by a client (the engine keeps it; the API shows nothing)
_COUNTS = "anthropic.counts"  # cache: the request counts of an ended batch


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Where a batch is at one moment."""

    status: Status
    expires_at: datetime
    ended_at: datetime | None
    cancel_initiated_at: datetime | None
    archived_at: datetime | None


def lifecycle(batch: Batch, now: datetime) -> Lifecycle:
    """The batch's status and timestamps at ``now``."""
    expires = batch.created_at + EXPIRY
    cancel_at = batch.cancelled_at(now)
    if cancel_at is not None and cancel_at >= expires:
        cancel_at = None  # the engine's cancel at the expiry is no client's
    end = _end(batch, now, expires)
    archived = batch.created_at + ARCHIVE
    if end is not None:
        status = Status.ENDED
    elif cancel_at is not None:
        status = Status.CANCELING
    else:
        status = Status.IN_PROGRESS
    return Lifecycle(status, expires, end, cancel_at, archived if now >= archived else None)


def _end(batch: Batch, now: datetime, expires: datetime) -> datetime | None:
    expired = expires if now >= expires else None
    canceled_at_poll = batch.meta.get(CANCEL_POLLS)
    if isinstance(canceled_at_poll, int):
        if batch.polls > canceled_at_poll and batch.poll_times[canceled_at_poll] <= now:
            return min(batch.poll_times[canceled_at_poll], expires)
        return expired
    done = batch.completed_at(now)
    return min(done, expires) if done is not None else expired


def result_type(batch: Batch, index: int, now: datetime, life: Lifecycle) -> ResultType:
    """What request ``index`` of an ended batch came to."""
    state = batch.state(index, now)
    if state is ItemState.CANCELLED:
        return ResultType.CANCELED if life.cancel_initiated_at is not None else ResultType.EXPIRED
    finished = batch.finished_at(index, now)
    if finished is None or finished >= life.expires_at:
        return ResultType.EXPIRED
    return ResultType.SUCCEEDED if state is ItemState.SUCCEEDED else ResultType.ERRORED


def request_counts(batch: Batch, now: datetime, life: Lifecycle) -> dict[str, int]:
    """``request_counts``: all ``processing`` until the batch ends, then by result."""
    counts = {"processing": 0, **{kind.value: 0 for kind in ResultType}}
    if life.status is not Status.ENDED:
        counts["processing"] = len(batch.items)
        return counts
    known = batch.cache.get(_COUNTS)
    if isinstance(known, Mapping):
        return dict(known)
    tally = Counter(result_type(batch, i, now, life).value for i in range(len(batch.items)))
    counts.update(tally)
    if len(batch.items) <= FROZEN_MAX_ITEMS:
        batch.cache[_COUNTS] = dict(counts)  # ended for good: the counts cannot change
    return counts


def render(batch: Batch, now: datetime, base: str) -> dict[str, Any]:
    """The ``MessageBatch`` object; ``base`` is the mock's own URL for this API."""
    life = lifecycle(batch, now)
    ended = life.status is Status.ENDED
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": life.status.value,
        "request_counts": request_counts(batch, now, life),
        "ended_at": _time(life.ended_at),
        "created_at": iso(batch.created_at),
        "expires_at": iso(life.expires_at),
        "archived_at": _time(life.archived_at),
        "cancel_initiated_at": _time(life.cancel_initiated_at),
        "results_url": f"{base}/v1/messages/batches/{batch.id}/results" if ended else None,
    }


def _time(when: datetime | None) -> str | None:
    return iso(when) if when is not None else None
