"""What a recording learns: each request and answer (:class:`Exchange`), and the batches they
show (:class:`Book`), in the engine's words (inputs, outcomes, timing as first seen).

A provider reads its own answers into the book through its :class:`Recorder` (its
``Provider.recorder()``); this module names no provider. Timing is counted as the mock counts
it: polls of a batch (the requests the provider's mock counts as polls) and seconds since the
batch was created, both at the answer that first showed an item finished.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import wirejson
from ..apis import NO_BODY


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the client sent through the recorder and the answer it got."""

    seq: int
    time: datetime
    method: str
    path: str  # the route path, as the API's spec matches it
    operation: str
    path_params: Mapping[str, str]
    query: Mapping[str, list[str]]
    body: Any  # the request's JSON (NO_BODY when none or not JSON)
    raw: bytes
    status: int
    answer: Any  # the response's JSON (NO_BODY when none or not JSON)
    upstream_failed: bool = False  # the answer is the recorder's own (the upstream failed)
    content_type: str = ""  # the request's Content-Type (a multipart upload's boundary)
    answer_raw: bytes = b""  # the response's bytes (a JSON Lines download is not JSON)

    def arg(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json_answer(self) -> dict[str, Any]:
        """The answer's JSON object ({} when it is something else)."""
        return self.answer if isinstance(self.answer, dict) else {}

    def answer_lines(self) -> list[dict[str, Any]]:
        """The JSON objects of a JSON Lines answer (a results or output file), in order;
        lines that are not JSON objects are left out."""
        found = []
        for line in self.answer_raw.splitlines():
            try:
                value = wirejson.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                found.append(value)
        return found

    def json_body(self) -> dict[str, Any]:
        """The request's JSON object ({} when it is something else)."""
        return self.body if isinstance(self.body, dict) and self.body is not NO_BODY else {}


@dataclass(slots=True)
class RecordedItem:
    """One item as recorded: its input and ID, and its outcome and timing once seen finished."""

    input: Any
    key: str | None = None
    ok: bool | None = None  # None: never seen finished
    body: Any = None
    after: tuple[int, float] | None = None  # (polls, seconds) when first seen finished
    start: tuple[int, float] | None = None  # (polls, seconds) when first seen running


@dataclass(slots=True)
class RecordedBatch:
    """One batch the client created or read."""

    id: str
    created: bool  # by the client, through the recorder
    first_seen: datetime
    polls: int = 0
    items: list[RecordedItem] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # comments for the file
    _now: datetime | None = None

    def item(self, index: int, input: Any = None, key: str | None = None) -> RecordedItem:
        """Item ``index`` (made, and earlier ones with it, when new); ``input`` and ``key``
        fill in what is not known yet."""
        while len(self.items) <= index:
            self.items.append(RecordedItem(input=None))
        found = self.items[index]
        if found.input is None and input is not None:
            found.input = input
        if found.key is None and key is not None:
            found.key = key
        return found

    def finished(
        self,
        index: int,
        *,
        ok: bool | None = None,
        body: Any = None,
        at: tuple[int, float] | None = None,
    ) -> None:
        """Item ``index`` is seen finished now (or at ``at``, a :meth:`moment` noted earlier):
        when counts the first time; its outcome (``ok`` and ``body``) whenever an answer first
        tells it (a results page after the poll that saw it end)."""
        item = self.item(index)
        if item.after is None:
            item.after = at if at is not None else self.moment()
        if item.ok is None and ok is not None:
            item.ok = ok
        if item.body is None and body is not None:
            item.body = body

    def running(self, index: int) -> None:
        """Item ``index`` is seen running (or finished) now; the first time counts."""
        item = self.item(index)
        if item.start is None:
            item.start = self.moment()

    def moment(self) -> tuple[int, float]:
        """(polls so far, whole seconds since creation) for a batch the client created; a
        batch only read counts polls (when it was created is the provider's affair)."""
        if not self.created or self._now is None:
            return self.polls, 0.0
        elapsed = (self._now - self.first_seen).total_seconds()
        return self.polls, float(math.floor(max(0.0, elapsed)))


class Book:
    """The batches of one recording, in the order they were first seen."""

    def __init__(self) -> None:
        self.batches: dict[str, RecordedBatch] = {}
        self.now: datetime | None = None  # the exchange being read

    def created(self, batch_id: str) -> RecordedBatch:
        """The batch the client just created (a repeated create with the same ID: the same)."""
        return self._batch(batch_id, created=True)

    def seen(self, batch_id: str) -> RecordedBatch:
        """A batch an answer shows (first seen now if it is new: read, not created)."""
        return self._batch(batch_id, created=False)

    def poll(self, batch_id: str) -> RecordedBatch:
        """A request the mock counts as a poll of the batch (counted before it is read)."""
        found = self.seen(batch_id)
        found.polls += 1
        return found

    def _batch(self, batch_id: str, *, created: bool) -> RecordedBatch:
        found = self.batches.get(batch_id)
        if found is None:
            found = RecordedBatch(batch_id, created, self._time())
            self.batches[batch_id] = found
        found._now = self.now
        return found

    def _time(self) -> datetime:
        assert self.now is not None, "Book.now is set for each exchange"
        return self.now


class Recorder:
    """How ``mockbatch record`` reads one API's answers: a provider's ``recorder()``.

    :meth:`read` notes in the book what an exchange shows and says whether replaying the
    scenario answers the same; the others have defaults.
    """

    def read(self, exchange: Exchange, book: Book) -> bool:
        """Note what ``exchange`` shows (batches created, polled, items finished) in ``book``;
        True when the scenario the book becomes answers it the same (False: it is written as
        a fault on that request)."""
        raise NotImplementedError

    def fault_query(self, exchange: Exchange) -> dict[str, str]:
        """The query parameters that tell this request's kind apart (a fault's ``query``)."""
        return {}

    def batch_entry(self, batch: RecordedBatch) -> dict[str, Any]:
        """Extra keys of the scenario's entry for ``batch`` (e.g. ``meta``)."""
        return {"meta": batch.meta} if batch.meta else {}

    def options(self, book: Book) -> dict[str, Any]:
        """The scenario's ``options`` (default none: the provider's defaults)."""
        return {}
