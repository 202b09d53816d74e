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


class SystemClock:
    """Real time, for running as a local mock."""

    name = "wall"

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class VirtualClock:
    """Time that moves only when told: :meth:`advance` or :meth:`set`. Thread-safe."""

    name = "virtual"

    def __init__(self, start: datetime = EPOCH) -> None:
        self._start = _aware(start)
        self._now = self._start
        self._lock = threading.Lock()
        self._listeners: list[weakref.WeakMethod[Callable[[], None]]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` (a bound method, held weakly) after every move of the clock."""
        self._listeners = [ref for ref in self._listeners if ref() is not None]
        self._listeners.append(weakref.WeakMethod(listener))

    def _moved(self) -> None:
        for ref in list(self._listeners):
            listener = ref()
            if listener is not None:
                listener()

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by ``seconds`` (never backwards, never past :data:`LATEST`)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward: seconds must be >= 0")
        with self._lock:
            room = (LATEST - self._now).total_seconds()
            if not seconds <= room:
                raise ValueError(
                    f"the virtual clock stops at {LATEST.isoformat()}:"
                    f" it can advance {room:.0f} seconds more"
                )
            self._now = now = self._now + timedelta(seconds=seconds)
        self._moved()
        return now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when`` (not earlier than now, not past :data:`LATEST`) and return it."""
        when = _aware(when)
        with self._lock:
            if when < self._now:
                raise ValueError(f"a clock only moves forward: {when.isoformat()} is in the past")
            if when > LATEST:
                raise ValueError(
                    f"the virtual clock stops at {LATEST.isoformat()}: {when.isoformat()} is later"
                )
            self._now = when
        self._moved()
        return when

    def reset(self) -> None:
        """Back to the time the clock started at."""
        with self._lock:
            self._now = self._start
        self._moved()


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; ``Z`` is accepted and a missing zone means UTC."""
    return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
