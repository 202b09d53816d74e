"""The engine: states derived from the clock and poll counts, and the generated-batch fast path
agreeing with item-by-item evaluation."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from mockbatch import VirtualClock
from mockbatch.engine import (
    After,
    Batch,
    Engine,
    GeneratedItems,
    ItemSpec,
    ItemState,
    ListItems,
    PollTimes,
)
from mockbatch.scenarios import Generate, Outcome

S, F, R, P, C = (
    ItemState.SUCCEEDED,
    ItemState.FAILED,
    ItemState.RUNNING,
    ItemState.PENDING,
    ItemState.CANCELLED,
)


def test_item_finishes_when_both_polls_and_seconds_have_come() -> None:
    clock = VirtualClock()
    engine = Engine(clock=clock)
    batch = engine.create("t", "b", [ItemSpec(input=1, after=After(polls=2, seconds=10))], {})

    engine.poll("t", "b")
    engine.poll("t", "b")
    assert batch.state(0, clock.now()) is R  # two polls, but no time has passed
    clock.advance(10)
    assert batch.state(0, clock.now()) is S
    assert batch.finished_at(0, clock.now()) == batch.created_at + timedelta(seconds=10)


def test_start_makes_an_item_pending_then_running() -> None:
    clock = VirtualClock()
    engine = Engine(clock=clock)
    spec = ItemSpec(input=1, start=After(seconds=5), after=After(seconds=9), ok=False)
    batch = engine.create("t", "b", [spec], {})

    assert [batch.state(0, clock.now())] == [P]
    clock.advance(5)
    assert batch.state(0, clock.now()) is R
    clock.advance(4)
    assert batch.state(0, clock.now()) is F


def test_cancel_spares_running_items_unless_it_is_an_abort() -> None:
    clock = VirtualClock()
    engine = Engine(clock=clock)
    specs = [
        ItemSpec(input=0),  # done at once
        ItemSpec(input=1, after=After(seconds=10)),  # running
        ItemSpec(input=2, start=After(seconds=5), after=After(seconds=10)),  # pending
    ]
    gentle = engine.create("t", "gentle", specs, {})
    abort = engine.create("t", "abort", specs, {})
    engine.cancel(gentle, running_too=False)
    engine.cancel(abort, running_too=True)
    clock.advance(60)

    assert [gentle.state(i, clock.now()) for i in range(3)] == [S, S, C]
    assert [abort.state(i, clock.now()) for i in range(3)] == [S, C, C]
    assert abort.completed_at(clock.now()) == abort.created_at


def _generated(count: int, *, fail_every: int | None, after: After, stagger: After) -> Batch:
    error = {"e": 1} if fail_every else None
    outcome = Outcome(response={"i": "{index}"}, error=error, fail_every=fail_every, after=after)
    generate = Generate(count=count, input={"n": "{index}"}, outcome=outcome, stagger=stagger)
    clock = VirtualClock()
    return Batch(
        api="t", id="g", items=GeneratedItems(generate, clock.now()), created_at=clock.now()
    )


def _slow(batch: Batch) -> Batch:
    """The same items, materialised in a list: the engine's item-by-item path."""
    entries = [(batch.items.spec(i), *batch.items.origin(i)) for i in range(len(batch.items))]
    return Batch(
        api="t",
        id="slow",
        items=ListItems(entries),
        created_at=batch.created_at,
        poll_times=batch.poll_times,
        paused=batch.paused,
        cancel=batch.cancel,
        cancel_running=batch.cancel_running,
    )


@pytest.mark.parametrize("fail_every", [None, 1, 3, 7])
@pytest.mark.parametrize("cancel", [None, After(polls=2, seconds=4)])
def test_generated_counts_and_pages_match_item_by_item(
    fail_every: int | None, cancel: After | None
) -> None:
    batch = _generated(40, fail_every=fail_every, after=After(polls=1), stagger=After(seconds=0.5))
    batch.cancel = cancel
    start = batch.created_at
    for step in range(8):
        now = start + timedelta(seconds=step * 2.5)
        batch.poll_times.append(now)
        slow = _slow(batch)
        assert batch.counts(now) == +Counter(slow.state(i, now) for i in range(40))
        for states in [None, {S}, {F}, {R}, {C}, {S, F}, {F, R}, {S, C}]:
            for offset, limit in [(0, 100), (3, 5), (0, 1), (17, 9), (39, 10)]:
                assert batch.select(now, states, offset, limit) == slow.select(
                    now, states, offset, limit
                ), (step, states, offset, limit)
        assert batch.completed_at(now) == slow.completed_at(now)


def test_a_million_items_cost_a_page_not_the_batch() -> None:
    batch = _generated(1_000_000, fail_every=7, after=After(), stagger=After(seconds=0.001))
    now = batch.created_at + timedelta(seconds=500)

    total, page = batch.select(now, {F}, 1000, 3)

    assert total == 500_001 // 7
    assert page == [7006, 7013, 7020]
    assert batch.counts(now) == Counter({S: 500_001 - total, F: total, R: 499_999})


def test_cancel_holds_when_the_clock_stands_still() -> None:
    # Every poll at the same instant: poll order, not time, says what came first.
    clock = VirtualClock()
    engine = Engine(clock=clock)
    specs = [ItemSpec(input=0, after=After(polls=1)), ItemSpec(input=1, after=After(polls=5))]
    batch = engine.create("t", "b", specs, {})
    batch.cancel = After(polls=2)

    seen = []
    for _ in range(6):
        engine.poll("t", "b")
        seen.append((batch.state(0, clock.now()), batch.state(1, clock.now())))

    assert seen == [(S, R), (S, C), (S, C), (S, C), (S, C), (S, C)]
    assert batch.started_at(1, clock.now()) == batch.created_at


def test_a_moment_past_the_calendars_end_never_comes() -> None:
    clock = VirtualClock()
    engine = Engine(clock=clock)
    far = Generate(
        count=100_000_000,
        input=1,
        outcome=Outcome(response=1),
        stagger=After(seconds=1e6),  # the last item: 10^14 s away, past the year 9999
    )
    batch = engine.add(Batch("t", "far", GeneratedItems(far, clock.now()), clock.now()))
    clock.advance(1e6)

    assert batch.counts(clock.now()) == Counter({S: 2, R: 99_999_998})
    assert batch.state(99_999_999, clock.now()) is R
    assert batch.finished_at(99_999_999, clock.now()) is None


@pytest.mark.parametrize("change", ["items added", "meta set"])
def test_a_completed_batch_s_kept_answers_go_when_it_changes(change: str) -> None:
    from mockbatch.apis import frozen_reply

    clock = VirtualClock()
    engine = Engine(clock=clock)
    batch = engine.create("t", "b", [ItemSpec(input=1)], {})
    answer = lambda: {"items": len(batch.items), "meta": dict(batch.meta)}  # noqa: E731
    assert frozen_reply(batch, "page", clock.now(), answer).body == {"items": 1, "meta": {}}
    if change == "items added":
        engine.add_items(batch, [ItemSpec(input=2)])
        expected = {"items": 2, "meta": {}}
    else:
        engine.set_meta(batch, "deleted", True)
        expected = {"items": 1, "meta": {"deleted": True}}
    assert frozen_reply(batch, "page", clock.now(), answer).body == expected


def test_poll_times_keep_each_poll_exactly_in_8_bytes() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    times = [start + timedelta(microseconds=7 * i + i * i) for i in range(10_000)]
    polls = PollTimes(times)
    polls.append(times[-1])  # two polls in the same microsecond

    assert len(polls) == 10_001
    assert (polls[0], polls[5_000], polls[-1]) == (times[0], times[5_000], times[-1])
    assert list(polls)[:-1] == times
    assert sys.getsizeof(polls._micros) <= 8 * 10_001 * 1.2 + 128
