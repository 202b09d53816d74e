"""Client-behaviour assertions, judged from a test's request journal and the mock's clock.

Each provider says what a journaled request did (:class:`~mockbatch.apis.Observation`: a poll,
a results page, whether the batch was finished); these functions compare that with what a
well-behaved client does and fail with the requests that show otherwise. An assertion with
nothing to judge fails too: a check that cannot fail would prove nothing.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .apis import Observation
from .journal import Entry
from .provider import Provider

Observer = Callable[[Entry], Observation | None]
Key = tuple[str | None, str]  # (api, batch id)


def observer(providers: Mapping[str, type[Provider]], *, required: bool = True) -> Observer:
    """``observe(entry)`` through the provider of the entry's API.

    With ``required``, an API whose provider does not observe its traffic is an error (the
    assertion cannot judge it); without, its requests count as unobserved.
    """

    def observe(entry: Entry) -> Observation | None:
        made = providers.get(entry.api or "")
        if made is None:
            return None
        if required and not observes(made):
            raise AssertionError(
                f"the {entry.api} adapter does not say which of its requests are polls or"
                " results pages (it has no observe(); see ARCHITECTURE.md), so this"
                " assertion cannot judge its requests"
            )
        return made.observe(entry)

    return observe


def observes(made: type[Provider]) -> bool:
    """Whether ``made`` overrides :meth:`Provider.observe` (the default observes nothing)."""
    return any("observe" in vars(k) for k in made.__mro__[: made.__mro__.index(Provider)])


def describe(entry: Entry, *, width: int = 100) -> str:
    """One line: ``#3 00:00:05.000 POST /ivvy/...?action=progress {"async":..} -> 200 {...}``."""
    target = entry.path + (f"?{entry.query}" if entry.query else "")
    body = _excerpt(entry.body.decode("utf-8", "replace"), width) if entry.body else ""
    answer = f" -> {entry.status}" if entry.status is not None else ""
    if entry.response is not None:
        answer += " " + _excerpt(json.dumps(entry.response, separators=(",", ":")), width)
    return f"#{entry.seq} {_clock(entry.time)} {entry.method} {target} {body}".rstrip() + answer


def _excerpt(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _clock(when: datetime) -> str:
    return when.strftime("%H:%M:%S.%f")[:-3]


def _seen(entries: Sequence[Entry], observe: Observer, batch: str | None) -> list[Any]:
    out = []
    for entry in entries:
        found = observe(entry)
        if found is not None and found.batch is not None and batch in (None, found.batch):
            out.append((entry, found))
    return out


def _name(key: Key) -> str:
    return f"batch {key[1]} ({key[0]})"


class NothingToJudgeError(AssertionError):
    """An assertion failed because the journal held nothing it could judge (no poll, no
    finished batch, no Retry-After): a test fails with it; the dashboard shows "n/a"."""


def _fail(lines: list[str], *, nothing: bool = False) -> None:
    __tracebackhide__ = True
    raise (NothingToJudgeError if nothing else AssertionError)("\n".join(lines))


def stopped_polling(entries: Sequence[Entry], observe: Observer, batch: str | None = None) -> None:
    """No poll of a batch after a response that showed it finished."""
    __tracebackhide__ = True
    finished: dict[Key, Entry] = {}
    late: dict[Key, list[Entry]] = {}
    for entry, seen in _seen(entries, observe, batch):
        key = (entry.api, seen.batch)
        if key in finished and seen.kind == "poll":
            late.setdefault(key, []).append(entry)
        if seen.terminal:
            finished.setdefault(key, entry)
    if not finished:
        which = f"batch {batch} was not" if batch else "no batch was"
        _fail(
            [
                f"{which} seen finished in this test's responses, so there is no stop to check"
                " (poll until it finishes: advance mockbatch.clock, or poll more)",
                *_listing(entries),
            ],
            nothing=True,
        )
    if late:
        lines = []
        for key, polls in late.items():
            lines += [
                f"the client kept polling {_name(key)} after it saw it finished:",
                f"  finished: {describe(finished[key])}",
                *(f"  polled:   {describe(e)}" for e in polls),
            ]
        _fail(lines)


def poll_rate(
    entries: Sequence[Entry], observe: Observer, max_per_second: float, batch: str | None = None
) -> None:
    """No batch polled more than ``max_per_second`` times in any second of clock time (below 1:
    no two polls of a batch closer than ``1 / max_per_second`` seconds)."""
    __tracebackhide__ = True
    if max_per_second <= 0:
        raise ValueError("max_per_second must be > 0")
    window = max(1.0, 1.0 / max_per_second)
    limit = max(1, math.floor(max_per_second * window + 1e-9))
    polls: dict[Key, list[Entry]] = {}
    for entry, seen in _seen(entries, observe, batch):
        if seen.kind == "poll":
            polls.setdefault((entry.api, seen.batch), []).append(entry)
    if not polls:
        which = f"batch {batch}" if batch else "any batch"
        message = f"the client never polled {which} in this test, so there is no rate to check"
        _fail([message], nothing=True)
    lines = []
    for key, times in polls.items():
        burst = _burst(times, window, limit)
        if burst:
            span = (burst[-1].time - burst[0].time).total_seconds()
            allowed = (
                f"{max_per_second:g} per second"
                if max_per_second >= 1
                else (f"one every {window:g} s")
            )
            lines += [
                f"the client polled {_name(key)} {len(burst)} times within {span:g} s of clock"
                f" time (at most {allowed} allowed):",
                *(f"  {describe(e)}" for e in burst),
            ]
    if lines:
        lines.append(
            "With a virtual clock, time moves only when the test moves it: give the client a"
            " sleep that calls mockbatch.clock.advance(seconds)."
        )
        _fail(lines)


def _burst(polls: list[Entry], window: float, limit: int) -> list[Entry]:
    """The first run of more than ``limit`` polls inside ``window`` seconds, or []."""
    end = 0
    for start, first in enumerate(polls):
        end = max(end, start)
        while end < len(polls) and (polls[end].time - first.time).total_seconds() < window:
            end += 1
        if end - start > limit:
            return polls[start:end]
    return []


def results_read_once(
    entries: Sequence[Entry], observe: Observer, batch: str | None = None
) -> None:
    """Every results page of each batch the client saw finished (or read) read exactly once."""
    __tracebackhide__ = True
    reads: dict[Key, list[tuple[Entry, Observation]]] = {}
    finished: dict[Key, Entry] = {}
    for entry, seen in _seen(entries, observe, batch):
        key = (entry.api, seen.batch)
        if seen.kind == "results":
            reads.setdefault(key, []).append((entry, seen))
        if seen.terminal:
            finished.setdefault(key, entry)
    if not reads and not finished:
        which = f"batch {batch} was not" if batch else "no batch was"
        _fail(
            [f"{which} seen finished or had its results read in this test", *_listing(entries)],
            nothing=True,
        )
    lines = []
    for key in [*finished, *(k for k in reads if k not in finished)]:
        pages = reads.get(key, [])
        if not pages:
            lines.append(f"the client saw {_name(key)} finished but never read its results:")
            lines.append(f"  finished: {describe(finished[key])}")
            continue
        counts = Counter(seen.page for _, seen in pages)
        for page, n in counts.items():
            if n > 1:
                lines.append(f"the client read {_page(page)} of {_name(key)} {n} times:")
                lines += [f"  {describe(e)}" for e, seen in pages if seen.page == page]
        missing = {s.next_page for _, s in pages if s.next_page is not None} - set(counts)
        for page in sorted(missing):
            lines.append(f"the client never read {_page(page)} of {_name(key)}, which follows:")
            lines += [f"  {describe(e)}" for e, s in pages if s.next_page == page]
    if lines:
        _fail(lines)


def _page(page: str | None) -> str:
    return "the results" if not page else f"results page {page!r}"


def retry_after_honoured(entries: Sequence[Entry], observe: Observer) -> None:
    """After a response with ``Retry-After``, the next request of the same kind came no sooner
    (in clock time) than it asked."""
    __tracebackhide__ = True
    checked = 0
    lines = []
    for i, entry in enumerate(entries):
        value = entry.response_headers.get("retry-after")
        if value is None:
            continue
        checked += 1
        wait = _retry_seconds(value, entry.time)
        if wait is None:
            lines += [f"Retry-After: {value} is neither seconds nor an HTTP date:"]
            lines += [f"  {describe(entry)}"]
            continue
        kind = _kind(entry, observe)
        following = next((e for e in entries[i + 1 :] if _kind(e, observe) == kind), None)
        if following is None:
            continue
        waited = (following.time - entry.time).total_seconds()
        if waited < wait:
            lines += [
                f"the client came back after {waited:g} s of clock time; the response said"
                f" Retry-After: {value}:",
                f"  {describe(entry)}",
                f"  {describe(following)}",
            ]
    if not checked:
        _fail(
            [
                "no response in this test carried a Retry-After header, so there is nothing to"
                " honour (make one: mockbatch.fail_next(api, status=429, retry_after=seconds))",
                *_listing(entries),
            ],
            nothing=True,
        )
    if lines:
        _fail(lines)


def _kind(entry: Entry, observe: Observer) -> tuple[Any, ...]:
    seen = observe(entry)
    if seen is not None:
        return (entry.api, seen.kind)
    return (entry.api, entry.method, entry.path)


def _retry_seconds(value: str, since: datetime) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return (parsedate_to_datetime(value) - since).total_seconds()
    except (TypeError, ValueError):
        return None


def _listing(entries: Sequence[Entry], limit: int = 20) -> list[str]:
    if not entries:
        return ["(the client sent no request in this test)"]
    shown = [f"  {describe(e)}" for e in entries[:limit]]
    more = len(entries) - limit
    return ["requests this test sent:", *shown, *([f"  ... and {more} more"] if more > 0 else [])]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one assertion says of one batch: ``outcome`` is ``pass``, ``fail`` or ``n/a``
    (nothing to judge); ``message`` is its failure message, or what it found."""

    assertion: str
    outcome: str
    message: str


def verdicts(
    entries: Sequence[Entry], observe: Observer, batch: str, *, max_per_second: float
) -> list[Verdict]:
    """Every assertion's verdict on ``batch`` from ``entries`` (the requests about it), named
    as the ``mockbatch`` fixture's methods: what a test asserting them would say now."""
    checks: list[tuple[str, Callable[[], None], str]] = [
        (
            "assert_stopped_polling",
            lambda: stopped_polling(entries, observe, batch),
            "the client stopped polling once it saw the batch finished",
        ),
        (
            f"assert_poll_rate({max_per_second:g})",
            lambda: poll_rate(entries, observe, max_per_second, batch),
            f"the client polled at most {max_per_second:g} time(s) a second",
        ),
        (
            "assert_results_read_once",
            lambda: results_read_once(entries, observe, batch),
            "the client read every results page once",
        ),
        (
            "assert_retry_after_honoured",
            lambda: retry_after_honoured(entries, observe),
            "the client waited as long as each Retry-After asked",
        ),
    ]
    found = []
    for name, check, passed in checks:
        try:
            check()
        except NothingToJudgeError as exc:
            found.append(Verdict(name, "n/a", str(exc)))
        except AssertionError as exc:
            found.append(Verdict(name, "fail", str(exc)))
        else:
            found.append(Verdict(name, "pass", passed))
    return found
