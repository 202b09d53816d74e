"""The lifecycle rules, judged over one batch's history (its polls and results reads, in the
order they were made). Each rule returns its breaches; none names an API: what differs per
API is data of its :class:`~.contract.Lifecycle`.

A results read sits between two polls. Results present too early are judged against the poll
*after* the read (the batch was at most there when it was read); results incomplete when they
must be complete, against the poll *before* it (the batch was at least there).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

from .contract import Breach, Created, Item, Lifecycle, Presence, Results, Snapshot

Event = Snapshot | Results

STATUS_ORDER = "status order"
COUNTS = "counts add up"
COUNTS_RISE = "counts never decrease"
RESULTS = "results as the status allows"
ONCE = "each item once"
CANCEL = "cancel"


def judge(
    life: Lifecycle, batch: Created, history: Sequence[Event], *, cancelled: bool = False
) -> list[Breach]:
    """Every breach in ``history``; ``cancelled``: the flow cancelled this batch."""
    polls = [e for e in history if isinstance(e, Snapshot)]
    found = [*status_order(life, polls), *item_order(history)]
    for snap in polls:
        found.extend(counts_add_up(life, batch, snap))
    found.extend(counts_rise(life, polls))
    for before, read, after in _reads(history):
        found.extend(each_item_once(life, batch, read))
        found.extend(results_allowed(life, batch, before, read, after))
    if cancelled and polls and polls[-1].terminal:
        found.extend(cancel_ended(life, polls[-1], _last_read(history)))
    return found


def status_order(life: Lifecycle, polls: Sequence[Snapshot]) -> Iterator[Breach]:
    """Statuses are the API's own, and change only to one of a higher rank."""
    for snap in polls:
        if snap.status not in life.order:
            known = ", ".join(life.order)
            yield Breach(
                STATUS_ORDER, f"unknown status {snap.status!r} (known: {known})", (snap.exchange,)
            )
    for a, b in itertools.pairwise(polls):
        if a.status == b.status or a.status not in life.order or b.status not in life.order:
            continue
        if life.order[b.status] < life.order[a.status]:
            how = "went back"
        elif life.order[b.status] == life.order[a.status]:
            how = "moved sideways"
        else:
            continue
        message = f"status {how}: {a.status} -> {b.status}"
        yield Breach(STATUS_ORDER, message, (a.exchange, b.exchange))


def item_order(history: Sequence[Event]) -> Iterator[Breach]:
    """An item once shown finished is never shown unfinished again."""
    done: dict[str, Item] = {}
    for read in (e for e in history if isinstance(e, Results)):
        for item in read.items:
            first = done.get(item.key)
            if item.finished:
                done.setdefault(item.key, item)
            elif first is not None:
                message = f"item {item.key} went back: {first.state} -> {item.state}"
                yield Breach(STATUS_ORDER, message, (first.exchange, item.exchange))
                del done[item.key]


def counts_add_up(life: Lifecycle, batch: Created, snap: Snapshot) -> Iterator[Breach]:
    """In one answer: no count is negative, the parts fit in the total, the sums hold, and
    the total is the number of items created."""
    counts, shown = snap.counts, (snap.exchange,)
    negative = sorted(k for k, v in counts.items() if v < 0)
    if negative:
        yield Breach(COUNTS, f"negative count(s): {_show(counts, negative)}", shown)
    parts = [k for k in life.parts if k in counts]
    if snap.total is not None and sum(counts[k] for k in parts) > snap.total:
        message = f"{' + '.join(parts)} = {sum(counts[k] for k in parts)} > total {snap.total}"
        yield Breach(COUNTS, f"{message} ({_show(counts, parts)})", shown)
    for name, terms in life.sums.items():
        whole = snap.total if name == "total" else counts.get(name)
        if whole is None or not all(t in counts for t in terms):
            continue
        if whole != sum(counts[t] for t in terms):
            message = f"{name} {whole} != {' + '.join(terms)} ({_show(counts, terms)})"
            yield Breach(COUNTS, message, shown)
    if life.total_is_items and snap.total is not None and snap.total != len(batch.keys):
        message = f"total {snap.total}, but the batch was created with {len(batch.keys)} items"
        yield Breach(COUNTS, message, (batch.exchange, snap.exchange))


def counts_rise(life: Lifecycle, polls: Sequence[Snapshot]) -> Iterator[Breach]:
    """The rising counts never decrease from one poll to the next."""
    for a, b in itertools.pairwise(polls):
        for name in life.rising:
            if name in a.counts and name in b.counts and b.counts[name] < a.counts[name]:
                message = f"{name} decreased: {a.counts[name]} -> {b.counts[name]}"
                yield Breach(COUNTS_RISE, message, (a.exchange, b.exchange))


def each_item_once(life: Lifecycle, batch: Created, read: Results) -> Iterator[Breach]:
    """No item is served twice, none that was not created; where the API lists every item,
    none is missing."""
    seen = Counter(item.key for item in read.items)
    for key, times in seen.items():
        if times > 1:
            pages = tuple(dict.fromkeys(i.exchange for i in read.items if i.key == key))
            yield Breach(ONCE, f"item {key} served {times} times", pages)
    unknown = [key for key in seen if key not in batch.keys]
    if unknown:
        yield Breach(ONCE, f"item(s) never created: {', '.join(unknown)}", read.exchanges)
    missing = [key for key in batch.keys if key not in seen]
    if life.lists_all and read.available and missing:
        yield Breach(ONCE, f"item(s) missing from the pages: {', '.join(missing)}", read.exchanges)


def results_allowed(
    life: Lifecycle, batch: Created, before: Snapshot, read: Results, after: Snapshot | None
) -> Iterator[Breach]:
    """Absent while the status says none may be served; complete once it says all are."""
    later = after or before
    if read.available and life.results.get(later.status) is Presence.ABSENT:
        message = f"results served while the batch is {later.status} (none may be yet)"
        yield Breach(RESULTS, message, (*read.exchanges, later.exchange))
    if life.results.get(before.status) is not Presence.COMPLETE:
        return
    finished = {item.key for item in read.items if item.finished}
    lacking = [key for key in batch.keys if key not in finished]
    if not read.available or lacking:
        what = "none served" if not read.available else f"not served finished: {', '.join(lacking)}"
        message = f"results incomplete while the batch is {before.status}: {what}"
        yield Breach(RESULTS, message, (before.exchange, *read.exchanges))


def cancel_ended(life: Lifecycle, last: Snapshot, read: Results | None) -> Iterator[Breach]:
    """A cancelled batch ends cancelled, its items in the states documented for that."""
    if not last.cancelled:
        yield Breach(CANCEL, f"the cancelled batch ended {last.status}", (last.exchange,))
    allowed = life.cancel_states or frozenset()
    for item in read.items if read is not None else ():
        if item.state not in allowed:
            message = (
                f"item {item.key} of the cancelled batch is {item.state}"
                f" (documented: {', '.join(sorted(allowed))})"
            )
            yield Breach(CANCEL, message, (item.exchange,))


def _reads(history: Sequence[Event]) -> Iterator[tuple[Snapshot, Results, Snapshot | None]]:
    """Each results read with the polls just before and just after it."""
    before: Snapshot | None = None
    pending: list[tuple[Snapshot, Results]] = []
    for event in history:
        if isinstance(event, Snapshot):
            for previous, read in pending:
                yield previous, read, event
            pending = []
            before = event
        elif before is not None:
            pending.append((before, event))
    for previous, read in pending:
        yield previous, read, None


def _last_read(history: Sequence[Event]) -> Results | None:
    return next((e for e in reversed(history) if isinstance(e, Results)), None)


def _show(counts: Mapping[str, int], names: Sequence[str]) -> str:
    return ", ".join(f"{name}={counts[name]}" for name in names)
