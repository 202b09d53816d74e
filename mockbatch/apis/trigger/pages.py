"""Runs in cursor pages, as ``GET /api/v1/runs`` lists them (``runs.list()`` in the SDK).

The listing is the runs of the batches in scope (one with ``filter[batch]``, else all, oldest
batch first), each batch's runs in item order, filtered by state and task. A cursor is a run
ID: ``page[after]`` starts just after that run, ``page[before]`` ends just before it; a cursor
naming no run of the listing gives an empty page (as a keyset query would). Positions
are found by binary search over the engine's paged selection, so a generated batch of any size
pages in O(log n) per request.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...engine import Batch, GeneratedItems, ItemState
from .runs import find_run, list_item, run_id, task_of

if TYPE_CHECKING:
    from ...context import Context


@dataclass(slots=True)
class Selection:
    """The runs of one batch that pass the filters, addressable by position."""

    batch: Batch
    now: datetime
    states: Collection[ItemState] | None
    tasks: Collection[str] | None
    _indexes: list[int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if isinstance(self.batch.items, GeneratedItems):
            # A generated batch has one task template: its first item's task stands for all.
            if self.tasks is not None and len(self.batch.items):
                if task_of(self.batch.items.spec(0).input) not in self.tasks:
                    self._indexes = []
            return
        self._indexes = [
            i
            for i in range(len(self.batch.items))
            if (self.states is None or self.batch.state(i, self.now) in self.states)
            and (self.tasks is None or task_of(self.batch.items.spec(i).input) in self.tasks)
        ]

    @property
    def total(self) -> int:
        if self._indexes is not None:
            return len(self._indexes)
        return self.batch.select(self.now, self.states, 0, 0)[0]

    def page(self, offset: int, limit: int) -> list[int]:
        if self._indexes is not None:
            return self._indexes[offset : offset + limit]
        return self.batch.select(self.now, self.states, offset, limit)[1]

    def rank(self, index: int, *, after: bool) -> int:
        """The position of the first run past ``index`` (``after``) or at/after it."""
        low, high = 0, self.total
        while low < high:
            middle = (low + high) // 2
            found = self.page(middle, 1)[0]
            if found > index or (not after and found == index):
                high = middle
            else:
                low = middle + 1
        return low


def list_runs(
    ctx: Context,
    batches: list[Batch],
    *,
    states: Collection[ItemState] | None,
    tasks: Collection[str] | None,
    size: int,
    after: str | None,
    before: str | None,
    env: Mapping[str, str],
) -> dict[str, Any]:
    """One page: ``{"data": [...], "pagination": {"next"?, "previous"?}}``."""
    now = ctx.now()
    selections = [Selection(b, now, states, tasks) for b in batches]
    starts = [0]
    for selection in selections:
        starts.append(starts[-1] + selection.total)
    total = starts[-1]
    cursor = after or before
    if cursor:
        found = find_run(ctx.batches(), cursor)  # any batch's: one out of scope ends the list
        which = next((k for k, b in enumerate(batches) if found and b is found[0]), None)
        if found is None or which is None:
            return {"data": [], "pagination": {}}  # nothing is known to come after it
        position = starts[which] + selections[which].rank(found[1], after=bool(after))
        start, end = (position, position + size) if after else (max(0, position - size), position)
    else:
        start, end = 0, size
    end = min(end, total)
    picked: list[tuple[Batch, int]] = []
    for k, selection in enumerate(selections):
        low, high = max(start, starts[k]), min(end, starts[k + 1])
        if low < high:
            picked.extend((selection.batch, i) for i in selection.page(low - starts[k], high - low))
    pagination: dict[str, str] = {}
    if picked and end < total:
        pagination["next"] = run_id(*picked[-1])
    if picked and start > 0:
        pagination["previous"] = run_id(*picked[0])
    data = [list_item(batch, index, now, env) for batch, index in picked]
    return {"data": data, "pagination": pagination}
