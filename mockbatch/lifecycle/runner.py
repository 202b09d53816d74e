"""The generic flow: create a batch, poll it to its end within the bounds (reading its
results after every poll), read its results; where the API has a cancel, create a second batch,
cancel it at once and poll it to its end. Then the rules judge each batch's history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .contract import Breach, Created, FlowError, Lifecycle, Results, Snapshot
from .rules import CANCEL, Event, judge
from .session import Pace, Session

FLOW = "flow"


@dataclass(frozen=True, slots=True)
class Bounds:
    """How far one batch is polled: at most ``polls`` polls, and ``timeout`` seconds for the
    whole run (``clock``: a monotonic clock, injectable)."""

    polls: int = 30
    timeout: float = 600.0
    clock: Callable[[], float] = time.monotonic


@dataclass(slots=True)
class Flow:
    """One batch's run: what was created, every poll and results read in order, whether it
    hit the bounds, and the breaches found."""

    name: str
    created: Created | None = None
    history: list[Event] = field(default_factory=list)
    bounded: str = ""
    breaches: list[Breach] = field(default_factory=list)

    @property
    def statuses(self) -> list[str]:
        """The statuses seen, each change once."""
        seen: list[str] = []
        for event in self.history:
            if isinstance(event, Snapshot) and (not seen or seen[-1] != event.status):
                seen.append(event.status)
        return seen

    @property
    def polls(self) -> int:
        return sum(isinstance(e, Snapshot) for e in self.history)

    @property
    def last_read(self) -> Results | None:
        return next((e for e in reversed(self.history) if isinstance(e, Results)), None)


@dataclass(frozen=True, slots=True)
class Report:
    """A run's flows and how many requests it sent."""

    flows: tuple[Flow, ...]
    requests: int

    @property
    def breaches(self) -> list[Breach]:
        return [b for flow in self.flows for b in flow.breaches]

    @property
    def bounded(self) -> list[str]:
        return [flow.bounded for flow in self.flows if flow.bounded]


def run(life: Lifecycle, http: Session, pace: Pace, bounds: Bounds) -> Report:
    """Run ``life``'s flow with ``http``; what it found."""
    started = bounds.clock()
    flows = [_to_the_end(life, http, pace, bounds, started)]
    if life.cancel_states is not None:
        flows.append(_cancelled(life, http, pace, bounds, started))
    return Report(tuple(flows), len(http.exchanges))


def _to_the_end(life: Lifecycle, http: Session, pace: Pace, bounds: Bounds, started: float) -> Flow:
    flow = Flow("batch")
    try:
        flow.created = life.create(http, life.items)
        _poll(life, http, pace, bounds, started, flow)
    except FlowError as exc:
        flow.breaches.append(Breach(FLOW, str(exc), (exc.exchange,)))
    _judge(life, flow, cancelled=False)
    return flow


def _cancelled(life: Lifecycle, http: Session, pace: Pace, bounds: Bounds, started: float) -> Flow:
    flow = Flow("cancelled batch")
    try:
        flow.created = life.create(http, max(1, life.items - 1))
        answer = life.cancel(http, flow.created)
        if not answer.accepted:
            message = f"the cancel of a batch just created was refused: {answer.reason}"
            flow.breaches.append(Breach(CANCEL, message, (answer.exchange,)))
        _poll(life, http, pace, bounds, started, flow)
    except FlowError as exc:
        flow.breaches.append(Breach(FLOW, str(exc), (exc.exchange,)))
    _judge(life, flow, cancelled=True)
    return flow


def _poll(
    life: Lifecycle, http: Session, pace: Pace, bounds: Bounds, started: float, flow: Flow
) -> None:
    """Poll until the batch is finished, reading its results after each poll."""
    assert flow.created is not None
    while True:
        seen = life.poll(http, flow.created)
        flow.history.append(seen)
        flow.history.append(life.read_results(http, flow.created, seen))
        if seen.terminal:
            return
        elapsed = bounds.clock() - started
        if flow.polls >= bounds.polls or elapsed >= bounds.timeout:
            flow.bounded = (
                f"{flow.name} {flow.created.id} still {seen.status} after {flow.polls} poll(s)"
                f" and {elapsed:.0f} s (bounds: --max-polls {bounds.polls},"
                f" --timeout {bounds.timeout:g})"
            )
            return
        pace.between_polls()


def _judge(life: Lifecycle, flow: Flow, *, cancelled: bool) -> None:
    if flow.created is not None:
        flow.breaches.extend(judge(life, flow.created, flow.history, cancelled=cancelled))
