"""Batches and their items as data; every state is computed when read.

An item's state follows from its :class:`ItemSpec` (outcome and timing), the moment and poll
count at which it entered the batch, the clock, and the batch's poll history. Nothing derived is
stored: a batch's status is a function of its items, and an item's state a function of time.
Adapters read this vocabulary and render it in their provider's words.

Generated batches (:class:`GeneratedItems`) are never materialised: their items finish in index
order, so counting and paging by state costs a binary search plus the page, whatever the size.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any, Protocol

from .clock import Clock


class ItemState(str, Enum):
    """Where one item is in its lifecycle (engine vocabulary, not any provider's)."""

    PENDING = "pending"  # not started yet (before its `start`, or its batch is paused)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (ItemState.PENDING, ItemState.RUNNING)


DONE = (ItemState.SUCCEEDED, ItemState.FAILED)


class PollTimes:
    """When each poll of a batch came, oldest first, as microseconds since the epoch: 8 bytes
    a poll, as a client may poll one batch millions of times (a datetime each took 56)."""

    __slots__ = ("_last", "_last_micros", "_micros")

    def __init__(self, times: Iterable[datetime] = ()) -> None:
        self._micros = array("q")
        self._last: datetime | None = None
        self._last_micros = 0
        for when in times:
            self.append(when)

    def append(self, when: datetime) -> None:
        """Add a poll at ``when`` (a timezone-aware time, as the clocks tell)."""
        if when is not self._last:  # a virtual clock answers the same object until moved
            self._last, self._last_micros = when, (when - _EPOCH) // _MICROSECOND
        self._micros.append(self._last_micros)

    def __len__(self) -> int:
        return len(self._micros)

    def __getitem__(self, index: int) -> datetime:
        return _EPOCH + timedelta(microseconds=self._micros[index])

    def __iter__(self) -> Iterator[datetime]:
        return (_EPOCH + timedelta(microseconds=m) for m in self._micros)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class After:
    """A moment relative to an origin: once ``polls`` polls of the batch have happened *and*
    ``seconds`` have passed on the clock. A poll sees its own count, so ``After(polls=1)`` has
    arrived for the first poll."""

    polls: int = 0
    seconds: float = 0.0

    def plus(self, other: After, times: int = 1) -> After:
        return After(self.polls + other.polls * times, self.seconds + other.seconds * times)


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One item: its input, its outcome (``ok`` with a body, or an error body) and timing.

    ``start`` is when it stops being pending, ``after`` when it finishes; both count from when
    the item entered its batch. ``key`` is a fixed ID, if the scenario gave one.
    """

    input: Any
    ok: bool = True
    body: Any = None
    after: After = field(default_factory=After)
    key: str | None = None
    start: After = field(default_factory=After)


class ItemSource(Protocol):
    """The items of a batch, by index."""

    def __len__(self) -> int: ...

    def spec(self, index: int) -> ItemSpec: ...

    def key(self, index: int) -> str | None: ...

    def origin(self, index: int) -> tuple[datetime, int]: ...


@dataclass(slots=True)
class ListItems:
    """Items held in a list, each with the moment and poll count at which it arrived."""

    entries: list[tuple[ItemSpec, datetime, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def spec(self, index: int) -> ItemSpec:
        return self.entries[index][0]

    def key(self, index: int) -> str | None:
        return self.entries[index][0].key

    def origin(self, index: int) -> tuple[datetime, int]:
        _, at, polls = self.entries[index]
        return at, polls

    def append(self, spec: ItemSpec, at: datetime, polls: int) -> None:
        self.entries.append((spec, at, polls))


class Generator(Protocol):
    """Makes item ``index`` of a generated batch (``scenarios.Generate`` is one).

    Items must finish in index order (a non-negative stagger) and fail in a fixed pattern:
    every ``fail_every``-th (1-based), or all of them when ``fails_all``.
    """

    @property
    def count(self) -> int: ...

    @property
    def fail_every(self) -> int | None: ...

    @property
    def fails_all(self) -> bool: ...

    def make(self, index: int) -> ItemSpec: ...


@dataclass(slots=True)
class GeneratedItems:
    """``count`` items derived from a generator when asked, never held in memory.

    The last item made is kept: rendering one item reads its spec several times (its state,
    start, end, body), and it is made once.
    """

    generator: Generator
    created_at: datetime
    _last: tuple[int, ItemSpec] | None = field(default=None, init=False, repr=False)

    def __len__(self) -> int:
        return self.generator.count

    def spec(self, index: int) -> ItemSpec:
        last = self._last
        if last is not None and last[0] == index:
            return last[1]
        if not 0 <= index < self.generator.count:
            raise IndexError(index)
        made = self.generator.make(index)
        self._last = (index, made)
        return made

    def key(self, index: int) -> str | None:
        """Generated items have no fixed IDs (nothing is made to say so)."""
        return None

    def origin(self, index: int) -> tuple[datetime, int]:
        return self.created_at, 0

    def failed_before(self, k: int) -> int:
        """How many of items ``0..k-1`` fail."""
        if self.generator.fails_all:
            return k
        every = self.generator.fail_every
        return k // every if every else 0

    def nth(self, j: int, ok: bool) -> int:
        """The index of the ``j``-th (0-based) succeeding (``ok``) or failing item."""
        every = self.generator.fail_every
        if self.generator.fails_all or not every:
            return j
        if not ok:
            return (j + 1) * every - 1
        return j + j // (every - 1)


@dataclass(slots=True)
class Batch:
    """One batch: its items, its poll history and the facts an adapter attached to it.

    ``cancel`` is when the batch is cancelled, relative to its creation (a client's cancel sets
    it to "now"). With ``cancel_running`` running items are cancelled too (an abort); without,
    only items that have not started are, and running ones still finish.
    """

    api: str
    id: str
    items: ItemSource
    created_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)
    poll_times: PollTimes = field(default_factory=PollTimes)
    paused: bool = False
    resumed: tuple[datetime, int] | None = None
    cancel: After | None = None
    cancel_running: bool = True
    stalled_at: datetime | None = None  # a fault: items unfinished by then never finish
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # adapters' derived bytes
    # A recorded batch's items (see Engine.await_create): item i is made from template[i].
    template: tuple[ItemSpec, ...] = field(default=(), repr=False)

    @property
    def polls(self) -> int:
        return len(self.poll_times)

    # -- one item -------------------------------------------------------------------------

    def state(self, index: int, now: datetime) -> ItemState:
        """The state of item ``index`` at ``now``."""
        final = self.cache.get("final")
        if final is not None and len(final) == len(self.items):
            found: ItemState = final[index]
            return found
        spec = self.items.spec(index)
        origin = self._origin(index)
        if self.paused:
            return ItemState.PENDING
        done_at = self._moment(spec.after, origin, now)
        if done_at is not None and self.stalled_at is not None and done_at > self.stalled_at:
            done_at = None
        cancel_at = self.cancelled_at(now)
        if cancel_at is not None and (
            done_at is None or self._later(spec.after, origin, done_at, cancel_at)
        ):
            started_at = self._moment(spec.start, origin, cancel_at)
            if (
                self.cancel_running
                or started_at is None
                or self._later(spec.start, origin, started_at, cancel_at)
            ):
                return ItemState.CANCELLED
        if done_at is not None:
            return ItemState.SUCCEEDED if spec.ok else ItemState.FAILED
        if self._moment(spec.start, origin, now) is None:
            return ItemState.PENDING
        return ItemState.RUNNING

    def finished_at(self, index: int, now: datetime) -> datetime | None:
        """When item ``index`` finished or was cancelled, or None while it is unfinished."""
        state = self.state(index, now)
        if state is ItemState.CANCELLED:
            return self.cancelled_at(now)
        if state in DONE:
            return self._moment(self.items.spec(index).after, self._origin(index), now)
        return None

    def started_at(self, index: int, now: datetime) -> datetime | None:
        """When item ``index`` started running, or None while pending (or cancelled first)."""
        if self.paused:
            return None
        start, origin = self.items.spec(index).start, self._origin(index)
        started = self._moment(start, origin, now)
        cancel_at = self.cancelled_at(now)
        if started is not None and cancel_at is not None:
            if self._later(start, origin, started, cancel_at):
                return None
        return started

    def cancelled_at(self, now: datetime) -> datetime | None:
        """When the batch was (or is by ``now``) cancelled, or None."""
        if self.cancel is None:
            return None
        return self._moment(self.cancel, (self.created_at, 0), now)

    def _later(
        self, after: After, origin: tuple[datetime, int], at: datetime, cancel_at: datetime
    ) -> bool:
        """Whether moment ``after`` (from ``origin``, reached ``at``) came after the cancel.

        By time; at the same instant (a clock that did not move between polls) by poll order:
        a moment reached at a later poll than the cancel's comes after it.
        """
        if at != cancel_at or self.cancel is None:
            return at > cancel_at
        return origin[1] + after.polls > self.cancel.polls

    def _origin(self, index: int) -> tuple[datetime, int]:
        at, polls = self.items.origin(index)
        if self.resumed is not None:
            return max(at, self.resumed[0]), max(polls, self.resumed[1])
        return at, polls

    def _moment(self, after: After, origin: tuple[datetime, int], now: datetime) -> datetime | None:
        """When ``after`` (counted from ``origin``) arrives, if it has by ``now``."""
        at, polls = origin
        try:
            by_time = at + timedelta(seconds=after.seconds)
        except OverflowError:  # past the calendar's end (e.g. a long stagger times 10^8): never
            return None
        if by_time > now:
            return None
        if after.polls <= 0:
            return by_time
        needed = polls + after.polls
        if self.polls < needed or self.poll_times[needed - 1] > now:
            return None
        return max(by_time, self.poll_times[needed - 1])

    # -- the whole batch ------------------------------------------------------------------

    def counts(self, now: datetime) -> Counter[ItemState]:
        """How many items are in each state at ``now``."""
        if isinstance(self.items, GeneratedItems):
            k, tail = self._generated_layout(now)
            failed = self.items.failed_before(k)
            counts = Counter({ItemState.SUCCEEDED: k - failed, ItemState.FAILED: failed})
            counts[tail] += len(self.items) - k
            return +counts
        final = self.cache.get("final")
        if final is not None and len(final) == len(self.items):
            return Counter(final)
        found: Counter[ItemState] = Counter()
        for rep, size in zip(*self._groups()[:2], strict=True):
            found[self.state(rep, now)] += size  # every item of a group is in its state
        if found and not found[ItemState.PENDING] and not found[ItemState.RUNNING]:
            self.completed_at(now)  # complete: freezes the states for the next reads
        return found

    def select(
        self, now: datetime, states: Collection[ItemState] | None, offset: int, limit: int
    ) -> tuple[int, list[int]]:
        """Indexes of the items in ``states`` (all when None), paged: (total, page indexes)."""
        if isinstance(self.items, GeneratedItems):
            return self._select_generated(now, states, offset, limit)
        if states is None:
            return len(self.items), list(range(len(self.items)))[offset : offset + limit]
        reps, _, member = self._groups()
        wanted = [self.state(rep, now) in states for rep in reps]
        matching = [i for i, group in enumerate(member) if wanted[group]]
        return len(matching), matching[offset : offset + limit]

    def completed_at(self, now: datetime) -> datetime | None:
        """When the last item finished, or None while any is unfinished (or none arrived).

        Once complete a batch stays complete (time only moves forward), so the answer is kept
        for as long as no item is added.
        """
        n = len(self.items)
        known = self.cache.get("completed_at")
        if known is not None and known[0] == n:
            found: datetime = known[1]
            return found
        done = self._completed_at(now)
        if done is not None:
            self.cache["completed_at"] = (n, done)
            if isinstance(self.items, ListItems):
                # Complete is for good: no item's state can change any more, so keep them.
                reps, _, member = self._groups()
                states = [self.state(rep, now) for rep in reps]
                self.cache["final"] = [states[group] for group in member]
        return done

    def last_finished(self, now: datetime, stop: int | None = None) -> datetime | None:
        """When the last of items ``0..stop-1`` (all by default) that have finished or were
        cancelled did so; None while none has."""
        stop = len(self.items) if stop is None else stop
        indexes: Iterable[int] = range(stop)
        if isinstance(self.items, ListItems):
            indexes = [rep for rep in self._groups()[0] if rep < stop]  # a group's first item
        found = [at for i in indexes if (at := self.finished_at(i, now)) is not None]
        return max(found, default=None)

    def _groups(self) -> tuple[list[int], list[int], array[int]]:
        """Listed items grouped by what their state is a function of (their spec and when
        they arrived): each group's first item and size, and each item's group.

        Items share specs (a batch made from a file has one per outcome), so counting, paging
        and completing a batch costs one state per group rather than per item. Kept until an
        item is added (``Engine.finish``, which changes specs, clears the cache).
        """
        assert isinstance(self.items, ListItems)
        entries = self.items.entries
        known = self.cache.get("groups")
        if known is not None and known[0] == len(entries):
            return known[1]  # type: ignore[no-any-return]
        numbers: dict[tuple[int, datetime, int], int] = {}
        reps: list[int] = []
        sizes: list[int] = []
        member = array("q", bytes(8 * len(entries)))
        for i, (spec, at, polls) in enumerate(entries):
            group = numbers.setdefault((id(spec), at, polls), len(reps))
            if group == len(reps):
                reps.append(i)
                sizes.append(0)
            sizes[group] += 1
            member[i] = group
        self.cache["groups"] = (len(entries), (reps, sizes, member))
        return reps, sizes, member

    def _completed_at(self, now: datetime) -> datetime | None:
        if len(self.items) == 0:
            return None
        if isinstance(self.items, GeneratedItems):
            k, tail = self._generated_layout(now)
            if k < len(self.items) and not tail.finished:
                return None
            return self.finished_at(len(self.items) - 1, now)
        latest: datetime | None = None
        for i in self._groups()[0]:
            done = self.finished_at(i, now)
            if done is None:
                return None
            latest = done if latest is None else max(latest, done)
        return latest

    def _generated_layout(self, now: datetime) -> tuple[int, ItemState]:
        """(k, tail): items ``0..k-1`` succeeded or failed, all later ones share state ``tail``.

        Generated items finish in index order, so k is found by binary search.
        """
        n = len(self.items)
        k = bisect.bisect_left(range(n), True, key=lambda i: self.state(i, now) not in DONE)
        tail = self.state(k, now) if k < n else ItemState.SUCCEEDED
        return k, tail

    def _select_generated(
        self, now: datetime, states: Collection[ItemState] | None, offset: int, limit: int
    ) -> tuple[int, list[int]]:
        assert isinstance(self.items, GeneratedItems)
        items = self.items
        n = len(items)
        k, tail = self._generated_layout(now)
        wanted = set(states) if states is not None else {*DONE, tail}
        failed = items.failed_before(k)
        # the finished prefix, in index order
        ok, bad = ItemState.SUCCEEDED in wanted, ItemState.FAILED in wanted
        prefix_total = (k - failed if ok else 0) + (failed if bad else 0)
        total = prefix_total + (n - k if tail in wanted else 0)
        page: list[int] = []
        for j in range(offset, min(offset + limit, total)):
            if j >= prefix_total:
                page.append(k + j - prefix_total)
            elif ok and bad:
                page.append(j)
            else:
                page.append(items.nth(j, ok))
        return total, page


@dataclass(frozen=True, slots=True)
class _FinishedBy:
    """A generator whose items all finish within ``seconds`` of their batch's creation."""

    inner: Generator
    seconds: float

    @property
    def count(self) -> int:
        return self.inner.count

    @property
    def fail_every(self) -> int | None:
        return self.inner.fail_every

    @property
    def fails_all(self) -> bool:
        return self.inner.fails_all

    def make(self, index: int) -> ItemSpec:
        spec = self.inner.make(index)
        due = After(seconds=min(spec.after.seconds, self.seconds))
        return replace(spec, after=due, start=After())


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

    def count(self, kind: str) -> int:
        """The number of the next ID of ``kind`` (1 for the first), for an adapter that makes
        its IDs from a counter."""
        self._counters[kind] += 1
        return self._counters[kind]

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
        self._awaiting: dict[str, list[Awaited]] = {}  # by API, oldest first
        # Fault hooks (set by the Mock): does a new batch stall; is a batch gone by now.
        self.stalls: Callable[[Batch], bool] = lambda batch: False
        self.gone: Callable[[Batch, datetime], bool] = lambda batch, now: False

    def now(self) -> datetime:
        return self.clock.now()

    def add(self, batch: Batch) -> Batch:
        batch.stalled_at = self.now() if self.stalls(batch) else None
        self._batches[(batch.api, batch.id)] = batch
        return batch

    def remove(self, api: str, batch_id: str) -> None:
        """Forget a batch (its scenario no longer defines it); a client then sees it gone."""
        self._batches.pop((api, batch_id), None)

    def get(self, api: str, batch_id: str) -> Batch | None:
        """The batch, or None when there is none (or a fault made it vanish or expire)."""
        batch = self._batches.get((api, batch_id))
        if batch is None or self.gone(batch, self.now()):
            return None
        return batch

    def poll(self, api: str, batch_id: str) -> Batch | None:
        """Look a batch up *as a poll*: the poll is counted before its state is read."""
        batch = self._batches.get((api, batch_id))
        if batch is None:
            return None
        now = self.clock.now()
        batch.poll_times.append(now)
        return None if self.gone(batch, now) else batch

    def batches(self, api: str | None = None) -> list[Batch]:
        return [b for (a, _), b in self._batches.items() if api is None or a == api]

    def await_create(self, api: str, awaited: Awaited) -> None:
        """Hold a recorded batch until a client of ``api`` creates one: the next
        :meth:`create` of that API gets it (see :class:`Awaited`)."""
        self._awaiting.setdefault(api, []).append(awaited)

    def create(
        self, api: str, batch_id: str, specs: Sequence[ItemSpec], meta: dict[str, Any]
    ) -> Batch:
        """A new batch whose items start now; the first batch :meth:`await_create` holds for
        ``api``, if any: its ID, its meta over ``meta``, its items' specs over ``specs``."""
        now = self.now()
        waiting = self._awaiting.get(api)
        template: tuple[ItemSpec, ...] = ()
        if waiting:
            awaited = waiting.pop(0)
            batch_id, template, meta = awaited.id, awaited.items, {**meta, **awaited.meta}
            specs = [_templated(template, i, spec) for i, spec in enumerate(specs)]
        items = ListItems([(spec, now, 0) for spec in specs])
        batch = Batch(api=api, id=batch_id, items=items, created_at=now, meta=meta)
        batch.template = template
        return self.add(batch)

    def cancel(self, batch: Batch, *, running_too: bool) -> None:
        """Cancel ``batch`` now (see :class:`Batch` for what ``running_too`` means)."""
        elapsed = (self.now() - batch.created_at).total_seconds()
        batch.cancel = After(polls=batch.polls, seconds=max(0.0, elapsed))
        batch.cancel_running = running_too

    def schedule_cancel(self, batch: Batch, after: After, *, running_too: bool) -> None:
        """Cancel ``batch`` once ``after`` (polls and seconds since it was created) has passed,
        unless a cancel is already set."""
        if batch.cancel is None:
            batch.cancel = after
            batch.cancel_running = running_too

    def finish(self, batch: Batch) -> None:
        """Let every unfinished item of ``batch`` finish now with its outcome (a paused or
        stalled batch too); items already finished or cancelled keep their end."""
        self.resume(batch)  # a paused batch's items count from now
        batch.stalled_at, now = None, self.now()
        if isinstance(batch.items, GeneratedItems):
            cap = (now - batch._origin(0)[0]).total_seconds()
            batch.items = GeneratedItems(_FinishedBy(batch.items.generator, cap), batch.created_at)
        elif isinstance(batch.items, ListItems):
            for i, (spec, at, polls) in enumerate(batch.items.entries):
                if batch.finished_at(i, now) is None:
                    due = After(seconds=(now - batch._origin(i)[0]).total_seconds())
                    batch.items.entries[i] = (replace(spec, after=due, start=After()), at, polls)
        batch.cache.clear()

    def pause(self, batch: Batch) -> None:
        """Hold ``batch``: its items stop moving until :meth:`resume`."""
        batch.paused = True

    def resume(self, batch: Batch) -> None:
        """Let a paused batch go on from now (its items' timings restart from here)."""
        if batch.paused:
            batch.paused = False
            batch.resumed = (self.now(), batch.polls)

    def add_items(self, batch: Batch, specs: Sequence[ItemSpec]) -> None:
        """Append items that arrive now to a batch of listed items."""
        if not isinstance(batch.items, ListItems):
            raise TypeError("items are added only to a batch of listed (not generated) items")
        now = self.now()
        for spec in specs:
            spec = _templated(batch.template, len(batch.items), spec)
            batch.items.append(spec, now, batch.polls)
        batch.cache.pop("bodies", None)  # answers kept for a completed batch (frozen_reply)

    def set_meta(self, batch: Batch, key: str, value: Any) -> None:
        """Record a provider's own fact about ``batch`` (shown by the control API)."""
        batch.meta[key] = value
        batch.cache.pop("bodies", None)

    def clear(self) -> None:
        self._batches.clear()
        self._awaiting.clear()
        self.ids.reset()


@dataclass(frozen=True, slots=True)
class Awaited:
    """A recorded batch (a scenario's ``on_create: true``) that exists once a client creates
    a batch: the n-th create of its API gets the n-th one, with this ID and meta, and each
    item it is given (then or later) becomes the recorded item at its position (input,
    outcome, ID and timing, counted from when it arrives)."""

    id: str
    items: tuple[ItemSpec, ...]
    meta: dict[str, Any] = field(default_factory=dict)


def _templated(template: Sequence[ItemSpec], index: int, spec: ItemSpec) -> ItemSpec:
    """The recorded item at ``index`` if there is one, else ``spec`` as made."""
    return template[index] if index < len(template) else spec
