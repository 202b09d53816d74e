"""What an API's lifecycle is, as ``verify --lifecycle`` checks it: :class:`Lifecycle`, which a
provider returns from ``Provider.lifecycle()``, and the views of answers its steps return.

A lifecycle is data (its state order, what its results may be at each status, how its counts
add up) plus four client steps (create, poll, read the results, cancel) written against a
:class:`~mockbatch.lifecycle.session.Session`. The steps turn answers into the generic views
below; the rules (:mod:`.rules`) judge those views and never name an API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import MockbatchError

if TYPE_CHECKING:
    from .session import Exchange, Session
    from .steps import StatusRead


class Presence(str, Enum):
    """What a batch's results may be at one status."""

    ABSENT = "absent"  # no result may be served yet
    PARTIAL = "partial"  # some, all or none of the items may be served
    COMPLETE = "complete"  # every item is served, finished


@dataclass(frozen=True, slots=True)
class Created:
    """A batch the flow created: its ID and its items' keys (what identifies an item in the
    results: a custom ID, a run ID, a job's position), in the order they were sent."""

    id: str
    keys: tuple[str, ...]
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One poll's answer: the status in the API's words, its counts and total (None: the
    answer gives none), whether the batch is finished, and finished as cancelled."""

    status: str
    counts: Mapping[str, int]
    total: int | None
    terminal: bool
    exchange: Exchange
    cancelled: bool = False
    body: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Item:
    """An item as a results page shows it: its key, its state in the API's words, whether
    that state is final, and the answer that showed it."""

    key: str
    state: str
    finished: bool
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class Results:
    """Every results page read once: ``available`` False when the API served none (it said
    not yet, or named no file); the items in page order; the answers read."""

    available: bool
    items: tuple[Item, ...]
    exchanges: tuple[Exchange, ...]


@dataclass(frozen=True, slots=True)
class Cancel:
    """A cancel's answer: accepted, or refused (``reason`` says why, as the API put it)."""

    accepted: bool
    exchange: Exchange
    reason: str = ""


class FlowError(MockbatchError):
    """An answer the flow cannot go on from (an unexpected status, a body without the fields
    it needs); carries the exchange that shows it."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


@dataclass(frozen=True, slots=True)
class Cost:
    """What one run of the flow costs, for the README and the run's first lines."""

    batches: int
    items: int
    requests: str


class Lifecycle:
    """An API's lifecycle contract and its client flow. Subclasses set the class attributes
    and implement the steps (:meth:`poll` only without ``status_read``); :meth:`cancel` only
    when ``cancel_states`` is set."""

    order: ClassVar[Mapping[str, int]] = {}
    """Status -> rank: a status may only change to one of a higher rank."""
    results: ClassVar[Mapping[str, Presence]] = {}
    """Status -> what the results may be then (a status not listed: PARTIAL)."""
    rising: ClassVar[tuple[str, ...]] = ()
    """Counts that never decrease."""
    parts: ClassVar[tuple[str, ...]] = ()
    """Counts whose sum is at most the total."""
    sums: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """A count (or ``total``) -> the counts it equals the sum of, in every answer."""
    total_is_items: ClassVar[bool] = True
    """Whether a poll's total is the number of items (else a bound, e.g. 100 per cent)."""
    lists_all: ClassVar[bool] = False
    """Whether every results read lists every item (in any state), or only finished ones."""
    cancel_states: ClassVar[frozenset[str] | None] = None
    """The item states a cancelled batch's results may show; None: the API has no cancel."""
    items: ClassVar[int] = 3
    """Items in the batch polled to its end (the cancelled one has one fewer)."""
    cost: ClassVar[Cost] = Cost(0, 0, "")
    status_read: ClassVar[StatusRead | None] = None
    """Where a batch's answer keeps its status, counts and total: what :meth:`poll` reads."""

    def create(self, http: Session, count: int) -> Created:
        """Create a batch of ``count`` items."""
        raise NotImplementedError

    def poll(self, http: Session, batch: Created) -> Snapshot:
        """Read the batch's status once (by default, as ``status_read`` says)."""
        if self.status_read is None:
            raise NotImplementedError(f"{type(self).__name__} has no poll")
        return self.status_read.read(http, batch)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        """Read every results page there is now (``seen``: the latest poll)."""
        raise NotImplementedError

    def cancel(self, http: Session, batch: Created) -> Cancel:
        """Ask to cancel the batch."""
        raise NotImplementedError(f"{type(self).__name__} has no cancel")


@dataclass(frozen=True, slots=True)
class Breach:
    """One rule broken: the rule's name, what happened, and the answers that show it."""

    rule: str
    message: str
    exchanges: tuple[Exchange, ...] = field(default=())
