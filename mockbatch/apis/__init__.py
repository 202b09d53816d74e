"""Provider adapters: wire shapes only. They read and command the engine; they own no state.

Each adapter turns a validated :class:`Call` into a :class:`Reply` and renders every
:class:`~mockbatch.errors.ApiError` in its provider's error format. An adapter may also say what
a journaled request did to a batch (:class:`Observes`), which the pytest plugin's client-behaviour
assertions read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .. import wirejson
from ..errors import ApiError, Violation

if TYPE_CHECKING:
    from ..engine import Batch
    from ..journal import Entry
    from ..mock import Mock
    from ..scenarios import Scenario
    from ..specs import Operation, Spec

from ..errors import Problem

NO_BODY: Any = object()


@dataclass(slots=True)
class Call:
    """One request, matched to an operation and checked against the spec."""

    method: str
    path: str
    path_params: Mapping[str, str]
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    operation: Operation
    json: Any = NO_BODY
    violations: list[Violation] = field(default_factory=list)
    full_path: str = ""  # the path as sent, with the API's prefix (``path`` is without it)
    raw_query: str = ""  # the query string as sent

    @property
    def uri(self) -> str:
        """The request URI as the API sees it (without the mock's prefix), query included."""
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    @property
    def prefix(self) -> str:
        """The mock's path prefix for this API (``/ivvy``), or "" when there is none."""
        full = self.full_path or self.path
        return full.removesuffix(self.path) if full.endswith(self.path) else ""

    def arg(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(slots=True)
class Reply:
    """What an adapter answers; ``body`` is JSON-serialisable (or bytes, sent as is)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = (
        None  # ``body`` already serialised (adapters cache bodies that cannot change)
    )


@dataclass(frozen=True, slots=True)
class Observation:
    """What one journaled request did, in the words the behaviour assertions share.

    ``kind`` is ``"poll"`` for a request that reads a batch's state, ``"results"`` for one that
    read a page of its results, or the adapter's own name for anything else (``"create"``,
    ``"cancel"``...). ``terminal`` is true when the response showed the batch finished (nothing
    about it will change any more). ``page`` names the results page the request read (``""``
    for an API whose results are one page) and ``next_page`` the page after it (None on the
    last), in any form the adapter likes as long as the same page gets the same name.
    """

    kind: str
    batch: str | None = None
    terminal: bool = False
    page: str | None = None
    next_page: str | None = None


class Observes(Protocol):
    """Optional on an adapter: ``observe(entry)`` classifies one journaled request.

    Return None for a request that concerns no batch. Read only the entry (method, path, query,
    body, status, response): it runs after the fact, in the test's thread.
    """

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None: ...


FROZEN_MAX_ITEMS = 10_000  # bigger (generated) batches: pages are made afresh every time
# Bodies kept per batch: the few pages a polling client reads again and again (a client paging
# through every offset and limit would otherwise make a completed batch hold them all).
FROZEN_MAX_BODIES = 16


def frozen_reply(batch: Batch, key: str, now: datetime, make: Callable[[], Any]) -> Reply:
    """A 200 whose body ``make()`` builds, serialised once and kept on the batch as soon as
    the batch has completed (its bodies cannot change any more), up to ``FROZEN_MAX_BODIES``
    bodies per batch. ``key`` names the body among the batch's others (e.g. the page it is)."""
    bodies: dict[str, tuple[Any, bytes]] = batch.cache.setdefault("bodies", {})
    if key in bodies:
        body, raw = bodies[key]
        return Reply(200, body, raw=raw)
    body = make()
    raw = wirejson.dumps(body)
    if (
        len(bodies) < FROZEN_MAX_BODIES
        and len(batch.items) <= FROZEN_MAX_ITEMS
        and batch.completed_at(now) is not None
    ):
        bodies[key] = (body, raw)
    return Reply(200, body, raw=raw)


class Adapter(Protocol):
    """What every provider module provides."""

    name: ClassVar[str]
    spec_file: ClassVar[str]
    verify_exemptions: ClassVar[Mapping[str, str]]
    """schemathesis checks that cannot hold for this API, each with the reason: the suite's
    contract tests and ``mockbatch verify`` run every other check (``{}``: none)."""
    # Headers, besides the usual ones (Authorization...), whose values the journal masks:
    # the provider's own key or signature headers, received or sent with a callback.
    secret_headers: ClassVar[tuple[str, ...]]

    def __init__(self, mock: Mock, spec: Spec) -> None: ...

    def handle(self, call: Call) -> Reply:
        """Answer a matched request (raise :class:`ApiError` to answer with an error)."""
        ...

    def error(self, error: ApiError) -> Reply:
        """Render ``error`` in the provider's format."""
        ...

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """Problems with a scenario for this API that the generic schema cannot see."""
        ...
