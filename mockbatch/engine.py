"""Batches and their items as data; every state is computed when read.

An item's state follows from its :class:`ItemSpec` (outcome and timing), the moment and the poll
count at which it entered the batch, the clock, and the batch's poll history. Nothing derived is
stored: a batch's status is a function of its items, and an item's status a function of time.
Adapters read this vocabulary and render it in their provider's words.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from .clock import Clock


class ItemState(str, Enum):
    """Where one item is in its lifecycle (engine vocabulary, not any provider's)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self is not ItemState.RUNNING


@dataclass(frozen=True, slots=True)
class After:
    """When an item finishes: once ``polls`` polls of its batch have happened *and*
    ``seconds`` have passed on the clock, both counted from when the item entered the batch.
    A poll sees its own count, so ``After(polls=1)`` is finished for the first poll."""

    polls: int = 0
    seconds: float = 0.0

    def plus(self, other: After, times: int = 1) -> After:
        return After(self.polls + other.polls * times, self.seconds + other.seconds * times)


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """What one item is: its input, its outcome (``ok`` with a body or an error) and timing."""

    input: Any
    ok: bool = True
    body: Any = None
    after: After = After()
    key: str | None = None


class ItemSource(Protocol):
    """The items of a batch, by index; implementations may compute them on demand."""

    def __len__(self) -> int: ...

    def spec(self, index: int) -> ItemSpec: ...

    def origin(self, index: int) -> tuple[datetime, int]: ...


@dataclass(slots=True)
class ListItems:
    """Items held in a list, each with the moment and poll count at which it arrived."""

    entries: list[tuple[ItemSpec, datetime, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def spec(self, index: int) -> ItemSpec:
        return self.entries[index][0]

    def origin(self, index: int) -> tuple[datetime, int]:
        _, at, polls = self.entries[index]
        return at, polls

    def append(self, spec: ItemSpec, at: datetime, polls: int) -> None:
        self.entries.append((spec, at, polls))


class Generator(Protocol):
    """Makes item ``index`` of a generated batch (see ``scenarios.Generate``)."""

    @property
    def count(self) -> int: ...

    def make(self, index: int) -> ItemSpec: ...


@dataclass(slots=True)
class GeneratedItems:
    """``count`` items derived from a generator when asked, never held in memory."""

    generator: Generator
    created_at: datetime

    def __len__(self) -> int:
        return self.generator.count

    def spec(self, index: int) -> ItemSpec:
        if not 0 <= index < self.generator.count:
            raise IndexError(index)
        return self.generator.make(index)

    def origin(self, index: int) -> tuple[datetime, int]:
        return self.created_at, 0


@dataclass(slots=True)
class Batch:
    """One batch: its items, its poll history and the facts an adapter attached to it."""

    api: str
    id: str
    items: ItemSource
    created_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)
    poll_times: list[datetime] = field(default_factory=list)
    paused: bool = False
    resumed: tuple[datetime, int] | None = None
    cancelled: tuple[datetime, int] | None = None

    @property
    def polls(self) -> int:
        return len(self.poll_times)

    def state(self, index: int, now: datetime) -> ItemState:
        """The state of item ``index`` at ``now``."""
        spec = self.items.spec(index)
        done_at = self._finished_at(index, spec, now)
        if self.cancelled is not None:
            cancel_at, _ = self.cancelled
            if done_at is None or done_at > cancel_at:
                return ItemState.CANCELLED
        if done_at is None:
            return ItemState.RUNNING
        return ItemState.SUCCEEDED if spec.ok else ItemState.FAILED

    def finished_at(self, index: int, now: datetime) -> datetime | None:
        """When item ``index`` finished (or was cancelled), or None while it runs."""
        spec = self.items.spec(index)
        done_at = self._finished_at(index, spec, now)
        if self.cancelled is not None and (done_at is None or done_at > self.cancelled[0]):
            return self.cancelled[0]
        return done_at

    def _finished_at(self, index: int, spec: ItemSpec, now: datetime) -> datetime | None:
        at, polls = self.items.origin(index)
        if self.paused:
            return None
        if self.resumed is not None:
            at, polls = max(at, self.resumed[0]), max(polls, self.resumed[1])
        by_time = at + timedelta(seconds=spec.after.seconds)
        if by_time > now:
            return None
        if spec.after.polls <= 0:
            return by_time
        needed = polls + spec.after.polls
        if self.polls < needed:
            return None
        return max(by_time, self.poll_times[needed - 1])

    def states(self, now: datetime) -> Iterator[ItemState]:
        return (self.state(i, now) for i in range(len(self.items)))

    def counts(self, now: datetime) -> Counter[ItemState]:
        """How many items are in each state at ``now``."""
        return Counter(self.states(now))

    def completed_at(self, now: datetime) -> datetime | None:
        """When the last item finished, or None while any item runs (or none arrived)."""
        if len(self.items) == 0:
            return None
        latest: datetime | None = None
        for i in range(len(self.items)):
            done = self.finished_at(i, now)
            if done is None:
                return None
            latest = done if latest is None else max(latest, done)
        return latest


class Ids:
    """Deterministic identifiers: the n-th ID of a kind depends only on the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._counters: Counter[str] = Counter()

    def next(self, kind: str) -> str:
        """A 64-hex-digit token; adapters cut and format it."""
        self._counters[kind] += 1
        text = f"{self.seed}:{kind}:{self._counters[kind]}"
        return hashlib.sha256(text.encode()).hexdigest()

    def reset(self) -> None:
        self._counters.clear()


class Engine:
    """All batches of all APIs, the clock they live by and the ID source.

    Adapters and the control API read and change batches only through this object, under
    :attr:`lock` (the server thread and a test thread may both touch it).
    """

    def __init__(self, *, clock: Clock, seed: int = 0) -> None:
        self.clock = clock
        self.ids = Ids(seed)
        self.lock = threading.RLock()
        self._batches: dict[tuple[str, str], Batch] = {}

    def now(self) -> datetime:
        return self.clock.now()

    def add(self, batch: Batch) -> Batch:
        self._batches[(batch.api, batch.id)] = batch
        return batch

    def get(self, api: str, batch_id: str) -> Batch | None:
        return self._batches.get((api, batch_id))

    def poll(self, api: str, batch_id: str) -> Batch | None:
        """Look a batch up *as a poll*: the poll is counted before its state is read."""
        batch = self._batches.get((api, batch_id))
        if batch is not None:
            batch.poll_times.append(self.now())
        return batch

    def batches(self, api: str | None = None) -> list[Batch]:
        return [b for (a, _), b in self._batches.items() if api is None or a == api]

    def create(
        self, api: str, batch_id: str, specs: Sequence[ItemSpec], meta: dict[str, Any]
    ) -> Batch:
        """A new batch whose items start now."""
        now = self.now()
        items = ListItems([(spec, now, 0) for spec in specs])
        return self.add(Batch(api=api, id=batch_id, items=items, created_at=now, meta=meta))

    def clear(self) -> None:
        self._batches.clear()
        self.ids.reset()
