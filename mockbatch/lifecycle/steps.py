"""Steps most providers' flows take alike, written once: the items' keys, a poll that reads a
batch's status, counts and total from one JSON answer (:class:`StatusRead`), and a cancel
that is one POST."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import Cancel, Created, Snapshot
from .session import Session, Shown


def numbered(count: int) -> tuple[str, ...]:
    """The keys of ``count`` items: ``lifecycle-1``, ``lifecycle-2``..."""
    return tuple(f"lifecycle-{i + 1}" for i in range(count))


@dataclass(frozen=True, slots=True)
class StatusRead:
    """Where an API's answer to ``GET path`` (``{id}``: the batch's ID) keeps what a poll shows.

    ``status``: the key of the status word. The counts are the ``counts`` keys of the body or,
    when ``within`` is set, every integer member of the body's ``within`` object but the total.
    ``total``: the total's key (in the ``within`` object when set; "": the answer has none).
    ``terminal``: the finished statuses; ``cancelled``: a cancelled batch's ("": none).
    ``what``: what a breach calls this read."""

    path: str
    what: str
    terminal: frozenset[str]
    counts: tuple[str, ...] = ()
    within: str = ""
    total: str = ""
    status: str = "status"
    cancelled: str = ""
    show: Shown | None = None

    def read(self, http: Session, batch: Created) -> Snapshot:
        """The batch's status, read once."""
        answer = http.request("GET", self.path.format(id=batch.id), show=self.show)
        answer.expect(self.what)
        status = answer.field(self.status, str, self.what)
        found: Mapping[str, Any] = answer.json
        if self.within:
            found = answer.field(self.within, dict, self.what)
            counts = {k: v for k, v in found.items() if isinstance(v, int) and k != self.total}
        else:
            counts = {k: found[k] for k in self.counts if isinstance(found.get(k), int)}
        total = found.get(self.total) if self.total else None
        return Snapshot(
            status,
            counts,
            total if isinstance(total, int) else None,
            status in self.terminal,
            answer.exchange,
            cancelled=bool(self.cancelled) and status == self.cancelled,
            body=answer.json,
        )


def post_cancel(http: Session, path: str, *, show: Shown | None = None) -> Cancel:
    """``POST path``: accepted when it answers 200."""
    answer = http.request("POST", path, show=show)
    return Cancel(answer.status == 200, answer.exchange, answer.text[:200])
