"""When a recorded batch's items started and finished, from what its answers showed.

APIs show a batch two ways: counts (so many succeeded, so many failed, none started yet) and
items one by one (a results page: this item is running, that one failed with this error). A
:class:`Timeline` keeps both kinds of sighting, each at its moment (polls of the batch, seconds
since it was created), and :meth:`Timeline.settle` turns them into each item's outcome, the
moment it finished (the earliest any answer implies) and, when an answer showed it waiting,
the moment it started. An answer that dates an item's end (a ``finishedAt``) places it
exactly (:meth:`Timeline.when`). Counts name no item: they go to the items dated by then, then
to the first items (in index order) whose outcome fits and that no later sighting shows
unfinished, which the mock then counts the same way. Recorders call it; it names no provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from .book import RecordedBatch

Moment = tuple[int, float]


class Seen(str, Enum):
    """What one sighting showed an item doing."""

    PENDING = "pending"
    RUNNING = "running"
    UNFINISHED = "unfinished"  # not finished, whether started or not
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Counts:
    """A batch's counts at a moment: finished items by outcome (``ended``: whatever their
    outcome), and how many had started (None: the answer does not say; 0: all waiting)."""

    at: Moment
    succeeded: int = 0
    failed: int = 0
    started: int | None = None
    ended: int = 0


@dataclass(slots=True)
class _Item:
    ok: bool | None = None
    body: Any = None
    done: Moment | None = None
    began: Moment | None = None
    exact: bool = False  # ``done`` is the date an answer gave
    unfinished: Moment | None = None  # the latest sighting that showed it unfinished
    waiting: Moment | None = None  # the latest sighting that showed it not started


@dataclass(slots=True)
class Timeline:
    """The sightings of one batch's items."""

    counts: list[Counts] = field(default_factory=list)
    items: dict[int, list[tuple[Moment, Seen, Any]]] = field(default_factory=dict)
    dated: dict[int, Moment] = field(default_factory=dict)  # items whose end an answer dated
    dated_starts: dict[int, Moment] = field(default_factory=dict)
    polls: list[datetime] = field(default_factory=list)  # when each poll was answered
    origins: dict[int, Moment] = field(default_factory=dict)  # items that came after creation

    def arrived(self, index: int, at: Moment) -> None:
        """Item ``index`` joined the batch at ``at`` (the mock counts its timing from then)."""
        self.origins.setdefault(index, at)

    def polled(self, when: datetime) -> None:
        """The batch was polled at ``when`` (the recorder's clock)."""
        self.polls.append(when)

    def when(self, created: datetime, seconds: float) -> Moment:
        """The moment ``seconds`` after the batch was created (``created``, the recorder's
        clock): the polls answered by then, and the seconds. An item that ends then shows
        finished from the next poll on, and the mock dates its end the same."""
        at = created + timedelta(seconds=max(0.0, seconds))
        return sum(1 for t in self.polls if t <= at), max(0.0, seconds)

    def dated_end(self, index: int, at: Moment) -> None:
        """An answer dated item ``index``'s end: it ended at ``at`` (see :meth:`when`)."""
        self.dated.setdefault(index, at)

    def dated_start(self, index: int, at: Moment) -> None:
        """An answer dated item ``index``'s start (``startedAt``): it waited until ``at``."""
        self.dated_starts.setdefault(index, at)

    def saw_counts(self, counts: Counts) -> None:
        """An answer showed these counts."""
        self.counts.append(counts)

    def saw(self, index: int, at: Moment, seen: Seen, body: Any = None) -> None:
        """An answer showed item ``index`` so (``body``: its outcome, once finished)."""
        self.items.setdefault(index, []).append((at, seen, body))

    def settle(self, batch: RecordedBatch, total: int | None = None) -> None:
        """Write each item's outcome, ``after`` and ``start`` into ``batch`` (made up to
        ``total`` items, or as many as were seen)."""
        size = max([total or 0, len(batch.items), *(i + 1 for i in self.items)])
        items = [self._item(i) for i in range(size)]
        for counts in self.counts:
            _give(items, counts.at, True, counts.succeeded)
            _give(items, counts.at, False, counts.failed)
            _give(items, counts.at, None, counts.ended)
            if counts.started == 0:
                for item in items:
                    item.waiting = _later(item.waiting, counts.at)
            elif counts.started is not None:
                _start(items, counts.at, counts.started)
        for index, item in enumerate(items):
            _write(batch, index, item, self.origins.get(index, (0, 0.0)))

    def _item(self, index: int) -> _Item:
        item = _Item()
        for at, seen, body in self.items.get(index, []):
            if seen in (Seen.SUCCEEDED, Seen.FAILED):
                if item.ok is None:
                    item.ok, item.body = seen is Seen.SUCCEEDED, body
                item.done = _earlier(item.done, at)
                item.began = _earlier(item.began, at)
                continue
            item.unfinished = _later(item.unfinished, at)
            if seen is Seen.UNFINISHED:
                continue
            if seen is Seen.RUNNING:
                item.began = _earlier(item.began, at)
            else:
                item.waiting = _later(item.waiting, at)
        dated = self.dated.get(index)
        if dated is not None and item.done is not None:
            # Polls answered at the very date may have come before or after the end: the
            # sightings bound it (first seen finished; last seen unfinished, one poll before).
            polls = min(dated[0], item.done[0])
            if item.unfinished is not None:
                polls = max(polls, item.unfinished[0] + 1)
            item.done, item.exact = (polls, dated[1]), True
            item.began = _earlier(item.began, item.done)
        started = self.dated_starts.get(index)
        if started is not None and started > self.origins.get(index, (0, 0.0)):
            polls = started[0] if item.began is None else min(started[0], item.began[0])
            if item.waiting is not None:
                polls = max(polls, item.waiting[0] + 1)
            item.began = (polls, started[1])
            item.waiting = _earlier(item.waiting, self.origins.get(index, (0, 0.0)))
        return item


def _give(items: list[_Item], at: Moment, ok: bool | None, wanted: int) -> None:
    """Finish items by ``at`` until ``wanted`` of them finished with outcome ``ok``: first
    those an answer dated by then (the count places them among polls of the same date),
    then the first whose outcome fits and that no later sighting shows unfinished (``ok``
    None: any outcome)."""
    fits = (True, False, None) if ok is None else (ok, None)
    have = sum(
        1 for i in items if (ok is None or i.ok is ok) and i.done is not None and i.done <= at
    )
    for dated_first in (True, False):
        for item in items:
            if have >= wanted:
                return
            if item.done is not None and item.done <= at:
                continue
            seen_later = item.unfinished is not None and item.unfinished >= at
            if item.ok not in fits or seen_later or item.exact is not dated_first:
                continue
            if item.exact and item.done is not None:
                if item.done[1] > at[1]:
                    continue
                item.done = (at[0], item.done[1])
            else:
                item.ok, item.done = ok if item.ok is None else item.ok, at
            item.began = _earlier(item.began, item.done)
            have += 1


def _start(items: list[_Item], at: Moment, wanted: int) -> None:
    """Start items by ``at`` until ``wanted`` of them have started."""
    have = sum(1 for i in items if i.began is not None and i.began <= at)
    for item in items:
        if have >= wanted:
            return
        waiting_later = item.waiting is not None and item.waiting >= at
        if (item.began is None or item.began > at) and not waiting_later:
            item.began = at
            have += 1


def _write(batch: RecordedBatch, index: int, item: _Item, origin: Moment) -> None:
    recorded = batch.item(index)
    recorded.ok, recorded.body = item.ok, item.body
    recorded.after = _since(origin, item.done) if item.done is not None else None
    never = (batch.polls + 1, 0.0)  # not seen started or finished: after the last poll
    began = item.began or item.done or never
    waited = item.waiting is not None and item.waiting < began
    recorded.start = _since(origin, began) if waited else None
    if recorded.after is None and origin != (0, 0.0):
        recorded.after = _since(origin, never)


def _since(origin: Moment, at: Moment) -> Moment:
    """``at`` counted from ``origin`` (an item's timing counts from its arrival)."""
    return max(0, at[0] - origin[0]), max(0.0, at[1] - origin[1])


def _earlier(a: Moment | None, b: Moment) -> Moment:
    return b if a is None or b < a else a


def _later(a: Moment | None, b: Moment) -> Moment:
    return b if a is None or b > a else a


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date from an answer (``Z`` or an offset), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
