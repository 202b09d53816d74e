"""The behaviour assertions on hand-made journals, for a paged API iVvy does not have.

``paged`` is a made-up API: ``GET /paged/b/{id}`` is a poll (finished when it answers
``{"status": "done"}``) and ``GET /paged/b/{id}/results?page=N`` a results page whose answer
names the next page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mockbatch.apis import Observation
from mockbatch.assertions import (
    NothingToJudgeError,
    observer,
    poll_rate,
    results_read_once,
    retry_after_honoured,
    stopped_polling,
)
from mockbatch.clock import EPOCH
from mockbatch.journal import Entry
from mockbatch.provider import Provider


class Paged(Provider):
    name = "paged"

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        parts = entry.path.strip("/").split("/")
        answer = entry.response if isinstance(entry.response, dict) else {}
        if len(parts) == 3:
            return Observation("poll", parts[2], terminal=answer.get("status") == "done")
        following = answer.get("next")
        return Observation(
            "results",
            parts[2],
            page=entry.query.removeprefix("page=") or "1",
            next_page=str(following) if following else None,
        )


class Silent(Provider):
    """A provider that does not observe its traffic."""

    name = "silent"


OBSERVE = observer({"paged": Paged, "silent": Silent})


def journal(*requests: tuple[float, str, Any]) -> list[Entry]:
    """Entries from ``(clock seconds, "path?query", response)``; a response may be
    ``(status, body, headers)``."""
    entries = []
    for seq, (seconds, target, answer) in enumerate(requests, 1):
        path, _, query = target.partition("?")
        status, body, headers = answer if isinstance(answer, tuple) else (200, answer, {})
        entry = Entry(seq, EPOCH + timedelta(seconds=seconds), "paged", "GET", path, query, {}, b"")
        entry.status, entry.response, entry.response_headers = status, body, headers
        entries.append(entry)
    return entries


RUNNING = {"status": "running"}
DONE = {"status": "done"}


def test_every_page_read_once_passes() -> None:
    entries = journal(
        (0, "/paged/b/x", RUNNING),
        (5, "/paged/b/x", DONE),
        (5, "/paged/b/x/results", {"next": 2}),
        (5, "/paged/b/x/results?page=2", {"next": 3}),
        (5, "/paged/b/x/results?page=3", {}),
    )
    results_read_once(entries, OBSERVE)
    stopped_polling(entries, OBSERVE)


def test_a_page_read_twice_fails_naming_it() -> None:
    entries = journal(
        (0, "/paged/b/x", DONE),
        (0, "/paged/b/x/results", {"next": 2}),
        (0, "/paged/b/x/results?page=2", {}),
        (0, "/paged/b/x/results?page=2", {}),
    )
    with pytest.raises(AssertionError) as failure:
        results_read_once(entries, OBSERVE)
    assert str(failure.value).splitlines() == [
        "the client read results page '2' of batch x (paged) 2 times:",
        "  #3 00:00:00.000 GET /paged/b/x/results?page=2 -> 200 {}",
        "  #4 00:00:00.000 GET /paged/b/x/results?page=2 -> 200 {}",
    ]


def test_a_page_never_read_fails_naming_the_page_that_points_to_it() -> None:
    entries = journal(
        (0, "/paged/b/x", DONE),
        (0, "/paged/b/x/results", {"next": 2}),
    )
    with pytest.raises(AssertionError, match=r"never read results page '2' of batch x \(paged\)"):
        results_read_once(entries, OBSERVE)


def test_a_finished_batch_whose_results_were_never_read_fails() -> None:
    entries = journal(
        (0, "/paged/b/x", DONE), (0, "/paged/b/y", DONE), (0, "/paged/b/y/results", {})
    )
    with pytest.raises(AssertionError) as failure:
        results_read_once(entries, OBSERVE)
    assert str(failure.value).splitlines() == [
        "the client saw batch x (paged) finished but never read its results:",
        '  finished: #1 00:00:00.000 GET /paged/b/x -> 200 {"status":"done"}',
    ]
    results_read_once(entries, OBSERVE, batch="y")


def test_stopped_polling_judges_each_batch_on_its_own() -> None:
    entries = journal(
        (0, "/paged/b/x", DONE),
        (0, "/paged/b/y", RUNNING),
        (1, "/paged/b/y", DONE),
        (2, "/paged/b/x", DONE),
    )
    stopped_polling(entries, OBSERVE, batch="y")
    with pytest.raises(AssertionError, match=r"kept polling batch x \(paged\)") as failure:
        stopped_polling(entries, OBSERVE)
    assert "batch y" not in str(failure.value)


@pytest.mark.parametrize(
    ("times", "ok"),
    [
        ([0, 0.5, 1.0, 1.5], True),  # two in every second
        ([0, 0.4, 0.9], False),  # three inside one second
        ([0, 0, 0, 5], False),  # three at the same instant
    ],
)
def test_poll_rate_counts_polls_in_any_one_second(times: list[float], ok: bool) -> None:
    entries = journal(*[(t, "/paged/b/x", RUNNING) for t in times])
    if ok:
        poll_rate(entries, OBSERVE, max_per_second=2)
    else:
        with pytest.raises(AssertionError, match=r"at most 2 per second allowed"):
            poll_rate(entries, OBSERVE, max_per_second=2)


def test_poll_rate_below_one_per_second_is_a_minimum_gap() -> None:
    poll_rate(journal((0, "/paged/b/x", RUNNING), (2, "/paged/b/x", RUNNING)), OBSERVE, 0.5)
    with pytest.raises(AssertionError) as failure:
        poll_rate(journal((0, "/paged/b/x", RUNNING), (1.5, "/paged/b/x", RUNNING)), OBSERVE, 0.5)
    assert str(failure.value).splitlines()[0] == (
        "the client polled batch x (paged) 2 times within 1.5 s of clock time"
        " (at most one every 2 s allowed):"
    )


def test_retry_after_may_be_an_http_date() -> None:
    later = "Thu, 01 Jan 2026 00:00:30 GMT"  # 30 s after the first response
    throttled = (429, {}, {"retry-after": later})
    retry_after_honoured(
        journal((0, "/paged/b/x", throttled), (30, "/paged/b/x", RUNNING)), OBSERVE
    )
    with pytest.raises(AssertionError, match=f"after 29 s of clock time; .* Retry-After: {later}"):
        retry_after_honoured(
            journal((0, "/paged/b/x", throttled), (29, "/paged/b/x", RUNNING)), OBSERVE
        )


def test_retry_after_looks_at_the_next_request_of_the_same_kind() -> None:
    throttled = (429, {}, {"retry-after": "10"})
    entries = journal(
        (0, "/paged/b/x/results?page=2", throttled),
        (1, "/paged/b/x", RUNNING),  # a poll: another kind of request
        (10, "/paged/b/x/results?page=2", {}),
    )
    retry_after_honoured(entries, OBSERVE)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (stopped_polling, "no batch was seen finished in this test's responses"),
        (results_read_once, "no batch was seen finished or had its results read"),
        (retry_after_honoured, "no response in this test carried a Retry-After header"),
        (lambda e, o: poll_rate(e, o, 1), "the client never polled any batch in this test"),
    ],
)
def test_an_assertion_with_nothing_to_judge_fails(check: Any, message: str) -> None:
    with pytest.raises(NothingToJudgeError, match=message):
        check(journal() if "polled" in message else journal((0, "/paged/b/x", RUNNING)), OBSERVE)


def test_nothing_to_judge_for_one_batch_says_which_was_not_seen() -> None:
    entries = journal((0, "/paged/b/x", RUNNING))
    with pytest.raises(NothingToJudgeError, match=r"^batch x was not seen finished in this test"):
        stopped_polling(entries, OBSERVE, "x")
    with pytest.raises(NothingToJudgeError, match=r"^batch x was not seen finished or had its"):
        results_read_once(entries, OBSERVE, "x")


def test_an_adapter_that_does_not_observe_its_requests_is_named() -> None:
    entry = journal((0, "/silent/b/x", RUNNING))[0]
    entry.api = "silent"
    with pytest.raises(AssertionError, match="the silent adapter does not say which"):
        stopped_polling([entry], OBSERVE)
