"""Clocks: the only place mockbatch learns what time it is.

State code takes a :class:`Clock` and never reads the system time itself, so a test can
freeze time (:class:`VirtualClock`) and a local mock can follow real time (:class:`SystemClock`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
"""A virtual clock goes no further: the mock adds durations (delays, expiry times) to the time,
and Python's datetime ends at 9999-12-31."""


@runtime_checkable
class Clock(Protocol):
    """Something that tells the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


@runtime_checkable
class MovableClock(Clock, Protocol):
    """A clock the control API can move forward: :meth:`advance` or :meth:`set`."""

    def advance(self, seconds: float) -> datetime: ...

    def set(self, when: datetime) -> datetime: ...

    def reset(self) -> None: ...


class Listeners:
    """Bound methods, held weakly, called after every move of a clock."""

    def __init__(self) -> None:
        self._refs: list[weakref.WeakMethod[Callable[[], None]]] = []

    def add(self, listener: Callable[[], None]) -> None:
        self._refs = [ref for ref in self._refs if ref() is not None]
        self._refs.append(weakref.WeakMethod(listener))

    def call(self) -> None:
        for ref in list(self._refs):
            listener = ref()
            if listener is not None:
                listener()


class SystemClock:
    """Real time, for running as a local mock, plus an offset that only grows: time travel
    (:meth:`advance`, :meth:`set`) moves the mock's time ahead of real time. Thread-safe."""

    name = "wall"

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self._listeners = Listeners()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (a bound method, held weakly) after every move of the clock."""
        self._listeners.add(listener)

    @property
    def offset(self) -> float:
        """Seconds the clock is ahead of real time."""
        return self._offset.total_seconds()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (never backwards, never past :data:`LATEST`)."""
        with self._lock:
            now = self.now()
            _check_advance(now, seconds, "wall")
            self._offset += timedelta(seconds=seconds)
        self._listeners.call()
        return now + timedelta(seconds=seconds)

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (not earlier than now, not past :data:`LATEST`) and return it."""
        when = _aware(when)
        with self._lock:
            now = self.now()
            _check_set(now, when, "wall")
            self._offset += when - now
        self._listeners.call()
        return when

    def reset(self) -> None:
        """Back to real time (no offset)."""
        with self._lock:
            self._offset = timedelta(0)
        self._listeners.call()


class VirtualClock:
    """Time that moves only when told: :meth:`advance` or :meth:`set`. Thread-safe."""

    name = "virtual"

    def __init__(self, start: datetime = EPOCH) -> None:
        self._start = _aware(start)
        self._now = self._start
        self._lock = threading.Lock()
        self._listeners = Listeners()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (a bound method, held weakly) after every move of the clock."""
        self._listeners.add(listener)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (never backwards, never past :data:`LATEST`)."""
        with self._lock:
            _check_advance(self._now, seconds, self.name)
            self._now = now = self._now + timedelta(seconds=seconds)
        self._listeners.call()
        return now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (not earlier than now, not past :data:`LATEST`) and return it."""
        when = _aware(when)
        with self._lock:
            _check_set(self._now, when, self.name)
            self._now = when
        self._listeners.call()
        return when

    def reset(self) -> None:
        """Back to the time the clock started at."""
        with self._lock:
            self._now = self._start
        self._listeners.call()


def _check_advance(now: datetime, seconds: float, kind: str) -> None:
    if seconds < 0:
        raise ValueError("a clock only moves forward: seconds must be >= 0")
    room = (LATEST - now).total_seconds()
    if not seconds <= room:
        raise ValueError(
            f"the {kind} clock stops at {LATEST.isoformat()}:"
            f" it can advance {room:.0f} seconds more"
        )


def _check_set(now: datetime, when: datetime, kind: str) -> None:
    if when < now:
        raise ValueError(f"a clock only moves forward: {when.isoformat()} is in the past")
    if when > LATEST:
        raise ValueError(
            f"the {kind} clock stops at {LATEST.isoformat()}: {when.isoformat()} is later"
        )


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; ``Z`` is accepted and a missing zone means UTC."""
    return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
