"""Faults on demand: what breaks real batch clients, from scenarios or the control API.

Request faults pick requests by operation and query and then delay them, answer them with an
error status (in the provider's format, with ``Retry-After``), or drop the connection. Batch
faults make a batch stall, vanish after some polls, or expire after it completes. A rate limit
counts requests per API key in fixed windows of the mock's clock.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STATUS_TEXT = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault rule (see the README, "Faults", for each key)."""

    api: str
    operation: str | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    on: tuple[int, ...] = ()
    every: int | None = None
    probability: float | None = None
    seed: int = 0
    times: int | None = None
    status: int | None = None
    retry_after: float | None = None
    latency: float | tuple[float, float] | None = None
    drop: bool = False
    batch: str | None = None
    stall: bool = False
    vanish_after_polls: int | None = None
    expire_after: float | None = None

    @classmethod
    def from_dict(cls, api: str, raw: Mapping[str, Any]) -> Fault:
        latency = raw.get("latency")
        if isinstance(latency, Mapping):
            latency = (float(latency["min"]), float(latency["max"]))
        on = raw.get("on", ())
        return cls(
            api=api,
            operation=raw.get("operation"),
            query={str(k): str(v) for k, v in raw.get("query", {}).items()},
            on=tuple(on) if isinstance(on, list) else (int(on),) if on else (),
            every=raw.get("every"),
            probability=raw.get("probability"),
            seed=int(raw.get("seed", 0)),
            times=raw.get("times"),
            status=raw.get("status"),
            retry_after=raw.get("retry_after"),
            latency=latency,
            drop=bool(raw.get("drop", False)),
            batch=raw.get("batch"),
            stall=bool(raw.get("stall", False)),
            vanish_after_polls=raw.get("vanish_after_polls"),
            expire_after=raw.get("expire_after"),
        )

    @property
    def is_batch_fault(self) -> bool:
        return self.batch is not None

    def matches_request(self, api: str, operation: str, query: Mapping[str, list[str]]) -> bool:
        if self.is_batch_fault or api != self.api:
            return False
        if self.operation is not None and self.operation != operation:
            return False
        return all(query.get(k, [None])[0] == v for k, v in self.query.items())

    def matches_batch(self, api: str, batch_id: str) -> bool:
        return (
            self.batch is not None and api == self.api and fnmatch.fnmatchcase(batch_id, self.batch)
        )


@dataclass(frozen=True, slots=True)
class Action:
    """What the faults do to one request: wait ``latency`` seconds (the delays of every fault
    that fired, added up), then let ``answer`` (the first fault listed with a status or drop
    that fired) answer with its status or drop the connection; with no ``answer``, go on."""

    latency: float = 0.0
    answer: Fault | None = None

    @property
    def status(self) -> int | None:
        return self.answer.status if self.answer is not None else None

    @property
    def drop(self) -> bool:
        return self.answer is not None and self.answer.drop

    @property
    def retry_after(self) -> float | None:
        return self.answer.retry_after if self.answer is not None else None

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"retry-after": f"{self.retry_after:g}"}

    @property
    def message(self) -> str:
        return STATUS_TEXT.get(self.status or 0, "Fault injected by mockbatch")


@dataclass(slots=True)
class _Counter:
    seen: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random)


class Faults:
    """The active faults of a mock, with their counters (reset with the mock)."""

    def __init__(self) -> None:
        self.from_scenarios: list[Fault] = []
        self.added: list[Fault] = []
        self.all: tuple[Fault, ...] = ()  # both lists, kept current (read on every request)
        self._counters: dict[int, _Counter] = {}

    def reset(self, scenario_faults: Iterable[Fault]) -> None:
        """Back to the scenarios' faults, counters and random streams restarted."""
        self.from_scenarios = list(scenario_faults)
        self.added.clear()
        self._counters.clear()
        self._changed()

    def add_from_scenario(self, faults: Iterable[Fault]) -> None:
        self.from_scenarios.extend(faults)
        self._changed()

    def replace_scenarios(self, scenario_faults: Iterable[Fault]) -> None:
        """The scenarios' faults changed (a file reloaded): the ones kept keep their counters,
        new ones start from zero; those added at run time stay."""
        self.from_scenarios = list(scenario_faults)
        live = {id(f) for f in (*self.from_scenarios, *self.added)}
        for key in self._counters.keys() - live:
            del self._counters[key]
        self._changed()

    def add(self, faults: Iterable[Fault]) -> None:
        self.added.extend(faults)
        self._changed()

    def clear_added(self) -> None:
        for fault in self.added:  # counters are keyed by id(): a new fault may reuse the id
            self._counters.pop(id(fault), None)
        self.added.clear()
        self._changed()

    def _changed(self) -> None:
        self.all = (*self.from_scenarios, *self.added)

    def for_request(
        self, api: str, operation: str, query: Mapping[str, list[str]]
    ) -> Action | None:
        """What the faults do to this request, or None when none fires.

        Every matching fault counts the request (and a ``probability`` fault draws for it, so
        its draws are its own). Latency composes: the delays of all that fire add up. The
        status or drop of the first one listed that fires (the scenarios' faults first, then
        those added at run time) answers; the other status or drop faults leave the request
        alone and keep their ``times``.
        """
        if not self.all:
            return None
        latency = 0.0
        answer: Fault | None = None
        fired = False
        for fault in self.all:
            if not fault.matches_request(api, operation, query):
                continue
            counter = self._counters.setdefault(id(fault), _Counter(rng=random.Random(fault.seed)))
            counter.seen += 1
            answers = fault.status is not None or fault.drop
            if not self._fires(fault, counter) or (answers and answer is not None):
                continue
            counter.fired += 1
            fired = True
            latency += _latency(fault, counter.rng)
            if answers:
                answer = fault
        return Action(latency, answer) if fired else None

    @staticmethod
    def _fires(fault: Fault, counter: _Counter) -> bool:
        if fault.times is not None and counter.fired >= fault.times:
            return False
        if fault.on:
            return counter.seen in fault.on
        if fault.every:
            return counter.seen % fault.every == 0
        if fault.probability is not None:
            return counter.rng.random() < fault.probability
        return True

    def for_batch(self, api: str, batch_id: str) -> list[Fault]:
        if not self.all:
            return []
        return [f for f in self.all if f.matches_batch(api, batch_id)]


def _latency(fault: Fault, rng: random.Random) -> float:
    if isinstance(fault.latency, tuple):
        low, high = fault.latency
        return rng.uniform(low, high)
    return float(fault.latency or 0.0)


Header = tuple[bytes, bytes]  # an HTTP header as sent: (name, value)
KEYS_COUNTED = 10_000  # API keys a rate limiter counts at once (see RateLimiter._forget)


@dataclass(slots=True)
class RateLimiter:
    """``limit`` requests per ``window`` seconds per key, in fixed windows of the mock's clock."""

    limit: int
    window: float
    enforce: bool = True  # False: only report the count in the headers, never refuse
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    # The headers' parts that stay the same through a window: (its reset time, the text before
    # the remaining count, the text after it, the limit's and the reset's encoded headers).
    _parts: tuple[int, str, str, Header, Header] | None = None

    def headers(self, remaining: int, reset_at: int) -> tuple[str, tuple[Header, ...]]:
        """The ``x-ratelimit-*`` headers of an answer: as journaled (``name: value`` lines)
        and as sent."""
        parts = self._parts
        if parts is None or parts[0] != reset_at:
            parts = self._parts = (
                reset_at,
                f"x-ratelimit-limit: {self.limit}\nx-ratelimit-remaining: ",
                f"\nx-ratelimit-reset: {reset_at}",
                (b"x-ratelimit-limit", b"%d" % self.limit),
                (b"x-ratelimit-reset", b"%d" % reset_at),
            )
        _, before, after, limit, reset = parts
        shown = f"{before}{remaining}{after}"
        return shown, (limit, (b"x-ratelimit-remaining", b"%d" % remaining), reset)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RateLimiter | None:
        raw = options.get("rate_limit")
        if not isinstance(raw, Mapping):
            return None
        return cls(
            limit=int(raw["limit"]),
            window=float(raw.get("window", 60)),
            enforce=bool(raw.get("enforce", True)),
        )

    def take(self, key: str, now: datetime) -> tuple[bool, int, float, int]:
        """Count a request: (allowed, remaining, seconds until the window resets, the unix time
        it resets)."""
        t = now.timestamp()
        start = t - (t % self.window)
        windows = self._windows
        begun, used = windows.get(key, (start, 0))
        if begun != start:
            used = 0
        elif len(windows) >= KEYS_COUNTED and key not in windows:
            self._forget(start)
        used += 1
        windows[key] = (start, used)
        end = start + self.window
        return used <= self.limit, max(0, self.limit - used), end - t, int(end)

    def _forget(self, start: float) -> None:
        """Make room for a new key: drop the keys whose window has passed, and if every key
        is counting in this one, the oldest half (a client making up keys cannot grow this)."""
        windows = self._windows
        for old in [k for k, (begun, _) in windows.items() if begun != start]:
            del windows[old]
        if len(windows) >= KEYS_COUNTED:
            for old in list(windows)[: KEYS_COUNTED // 2]:
                del windows[old]
