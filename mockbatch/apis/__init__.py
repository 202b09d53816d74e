"""What providers and the dispatcher share: a matched request (:class:`Call`), its answer
(:class:`Reply`), what a journaled request did (:class:`Observation`, for the pytest plugin's
client-behaviour assertions), and :func:`frozen_reply`. The contract itself is
:class:`mockbatch.provider.Provider`; the built-in providers are this package's subpackages.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import wirejson
from ..errors import Violation

if TYPE_CHECKING:
    from ..engine import Batch
    from ..specs import Operation

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
    """What an adapter answers; ``body`` is JSON-serialisable (or bytes, sent as is, or a
    :class:`Stream`)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = (
        None  # ``body`` already serialised (adapters cache bodies that cannot change)
    )


STEP = 1024
"""Bytes of lines made between two looks at the client while a stream's first chunks grow
(other requests are let in, a hang-up is seen): :func:`chunked` yields an empty chunk."""
TURNS = 3
"""Turns of the event loop a :class:`Stream` lets pass after sending a chunk, before making the
next: one reads the socket (a hang-up wakes the task that receives it), a next one runs that
task; uvloop and asyncio order the two differently, and three turns cover both."""


@dataclass(frozen=True, slots=True)
class Stream:
    """A reply body sent in chunks as they are made, so that a big file (a million results)
    is never whole in memory: ``chunks`` yields its bytes, ``length`` of them in all (the
    ``content-length``; None: not known before the end, sent chunked). Each chunk is made
    under ``lock`` (the engine's), as handlers are; an empty one is not sent (a moment to let
    other requests in and to see that the client has gone, see :func:`chunked`)."""

    chunks: Iterable[bytes]
    length: int | None
    lock: AbstractContextManager[Any]

    async def send(
        self,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        receive: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        """Send the chunks as ASGI body messages (the response has started), letting other
        requests in between chunks; when the client goes away, the rest is not made."""
        gone = asyncio.Event()

        async def watch() -> None:  # a server answers once the client has gone
            if (await receive())["type"] == "http.disconnect":
                gone.set()

        watcher = asyncio.get_running_loop().create_task(watch())
        chunks = iter(self.chunks)
        try:
            while not gone.is_set():
                with self.lock:
                    chunk = next(chunks, None)
                if chunk is None:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                if not chunk:  # a look: the loop turns once (a hang-up is seen by the next)
                    _let_others_run()
                    await asyncio.sleep(0)
                    continue
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                for _ in range(TURNS):
                    await asyncio.sleep(0)
        finally:
            watcher.cancel()


def _let_others_run() -> None:
    """Give the CPU (and the GIL) to whoever else is ready to run: on a busy machine, or with
    the server in a thread of the test's process, the client that has its lines and is about
    to hang up may be waiting for the very CPU the next lines would take."""
    if sys.platform != "win32":
        os.sched_yield()


def chunked(
    pieces: Iterable[bytes],
    size: int = 16 * 1024,
    *,
    first: int | None = None,
    step: int | None = None,
) -> Iterator[bytes]:
    """``pieces`` (lines...) joined into chunks of about ``size`` bytes; with ``first``, the
    first chunk is about that big and each next one twice the last, up to ``size`` (the first
    lines go out sooner, and a client that hangs up early stops the making sooner); with
    ``step``, while the chunks grow, an empty chunk after each ``step`` bytes of one (a
    :class:`Stream` then looks at its client without sending: a client that hangs up after
    the first lines stops the making within a few steps, while one that reads the whole file
    is not slowed by looks past the first chunks, which cost it a tenth of its time)."""
    held: list[bytes] = []
    count = looked = 0
    wanted = min(first or size, size)
    for piece in pieces:
        held.append(piece)
        count += len(piece)
        if count >= wanted:
            yield b"".join(held)
            held, count, looked = [], 0, 0
            wanted = min(2 * wanted, size)
        elif step is not None and wanted < size and count - looked >= step:
            looked = count
            yield b""
    if held:
        yield b"".join(held)


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


FROZEN_MAX_ITEMS = 10_000  # bigger (generated) batches: pages are made afresh every time
# Bodies kept per batch: the few pages a polling client reads again and again (a client paging
# through every offset and limit would otherwise make a completed batch hold them all).
FROZEN_MAX_BODIES = 16


def frozen_reply(
    batch: Batch, key: str, now: datetime, make: Callable[[], Any], *, final: bool = True
) -> Reply:
    """A 200 whose body ``make()`` builds, serialised once and kept on the batch as soon as
    the batch has completed (its bodies cannot change any more), up to ``FROZEN_MAX_BODIES``
    bodies per batch. ``key`` names the body among the batch's others (e.g. the page it is).
    ``final`` False: something the provider knows may still change it (it is not kept)."""
    kept = kept_reply(batch, key)
    if kept is not None:
        return kept
    bodies: dict[str, tuple[Any, bytes]] = batch.cache.setdefault("bodies", {})
    body = make()
    raw = wirejson.dumps(body)
    if (
        final
        and len(bodies) < FROZEN_MAX_BODIES
        and len(batch.items) <= FROZEN_MAX_ITEMS
        and batch.completed_at(now) is not None
    ):
        bodies[key] = (body, raw)
    return Reply(200, body, raw=raw)


def kept_reply(batch: Batch, key: str) -> Reply | None:
    """The 200 :func:`frozen_reply` kept under ``key`` for ``batch`` (None: none kept), for a
    provider that can name the body before working out whether it is final."""
    bodies: dict[str, tuple[Any, bytes]] | None = batch.cache.get("bodies")
    found = bodies.get(key) if bodies else None
    return Reply(200, found[0], raw=found[1]) if found is not None else None
