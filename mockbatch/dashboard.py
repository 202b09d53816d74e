"""The dashboard at ``/__mockbatch/ui``: static files (``mockbatch/ui/``) and the feeds they read.

``GET /__mockbatch/events`` is a server-sent event stream of state snapshots (APIs, clock, batches,
faults, journal size), sent when they change; it ends when the client goes, and after
:data:`STREAM_SECONDS` (the browser reconnects by itself), and holds the engine lock only while a
snapshot is built. ``/journal`` lists the journal in short rows with the batch each request
concerned (the providers' ``observe``); ``/journal/{seq}`` is one entry whole; ``/timeline/{api}
/{id}`` is a batch's life as events, with the client-behaviour assertions' verdicts on it. A
batch's ``status`` is its API's own word (``Provider.status_word``). The page changes nothing
itself: its controls call the control API.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from . import wirejson
from .apis import Observation
from .assertions import observer, verdicts
from .control import PREFIX, Endpoint, JSONAnswer, batch_json, clock_json, watching
from .control import _fault_json as fault_json
from .engine import Batch
from .journal import Entry
from .mock import Mock
from .provider import Provider, engine_status

UI = Path(__file__).parent / "ui"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
TICK = 0.5  # seconds between looks at the state while a page is open
STREAM_SECONDS = 300.0
TIMELINE_ITEMS = 500  # items drawn on a batch's timeline (a generated batch may have millions)
JOURNAL_ROWS = 2000  # rows of the journal sent at once
POLL_RATE = 1.0  # the poll rate a batch's page judges against (``?max_per_second=``)


def _mock(request: Request) -> Mock:
    mock: Mock = request.app.state.mock
    return mock


def _observe(request: Request) -> Callable[[Entry], Observation | None]:
    return observer(request.app.state.adapters, required=False)


async def home(request: Request) -> Response:
    """``GET /``: where things are (a browser is sent to the dashboard)."""
    base = str(request.base_url).rstrip("/")
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"{base}{PREFIX}/ui", status_code=303)
    apis = {name: f"{base}/{name}" for name in request.app.state.apis}
    return JSONAnswer(
        {"dashboard": f"{base}{PREFIX}/ui", "control": f"{base}{PREFIX}", "apis": apis}
    )


async def page(request: Request) -> Response:
    return _file("index.html", "text/html")


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return JSONAnswer({"error": f"no dashboard file {name!r}"}, status_code=404)
    return _file(name, ASSETS[name])


def _file(name: str, media_type: str) -> Response:
    """A file of the page (a few kilobytes, read whole; always the installed version)."""
    content = (UI / name).read_bytes()
    return Response(content, media_type=f"{media_type}; charset=utf-8")


def _shown(request: Request, batch: Batch, now: datetime, **options: Any) -> dict[str, Any]:
    """The control API's view of ``batch`` with its ``status`` in its API's own words (its
    provider's :meth:`~mockbatch.provider.Provider.status_word`) and the engine's."""
    made: Provider | None = request.app.state.providers.get(batch.api)
    engine = engine_status(batch, now)
    word = made.status_word(batch, now) if made is not None else engine
    return {**batch_json(batch, now, **options), "status": word, "engine_status": engine}


def snapshot(request: Request) -> dict[str, Any]:
    """What the dashboard shows on every page, read under the engine lock."""
    mock = _mock(request)
    with mock.engine.lock:
        now = mock.clock.now()
        batches = [_shown(request, b, now, with_items=False) for b in mock.engine.batches()]
        faults = [fault_json(f) for f in mock.faults.all]
        deliveries = len(mock.outbox.deliveries)
    entries = mock.journal.entries()
    return {
        "apis": list(request.app.state.apis),
        "clock": {"kind": getattr(mock.clock, "name", "custom"), **clock_json(mock)},
        "batches": batches,
        "faults": faults,
        "callbacks": deliveries,
        "scenarios": [{"name": s.name, "api": s.api, "source": s.source} for s in mock.scenarios],
        "journal": {"last": entries[-1].seq if entries else 0, "dropped": mock.journal.dropped},
        **watching(request),
    }


async def events(request: Request) -> Response:
    """Snapshots as server-sent events, each sent only when it differs from the last."""

    async def stream() -> AsyncIterator[bytes]:
        yield b"retry: 1000\n\n"
        sent = b""
        ends = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < ends and not await request.is_disconnected():
            data = wirejson.dumps(snapshot(request))  # the lock is released before writing
            if data != sent:
                sent = data
                yield b"data: " + data + b"\n\n"
            await asyncio.sleep(TICK)

    headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
    if request.method == "HEAD":
        return Response(media_type="text/event-stream", headers=headers)
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


def _row(entry: Entry, seen: Observation | None) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "time": entry.time.isoformat(),
        "api": entry.api,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "operation": entry.operation,
        "status": entry.status,
        "kind": seen.kind if seen else entry.kind,
        "batch": seen.batch if seen else None,
        "violations": len(entry.violations),
        "unmatched": entry.unmatched,
        "outcome": entry.outcome,
    }


async def journal(request: Request) -> Response:
    """Short rows of the journal after ``?after=SEQ`` (at most :data:`JOURNAL_ROWS`)."""
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        return JSONAnswer({"error": "after takes a journal sequence number"}, status_code=400)
    observe = _observe(request)
    entries = [e for e in _mock(request).journal.entries() if e.seq > after][-JOURNAL_ROWS:]
    return JSONAnswer({"rows": [_row(e, _seen(observe, e)) for e in entries]})


def _seen(observe: Callable[[Entry], Observation | None], entry: Entry) -> Observation | None:
    try:
        return observe(entry) if entry.api and entry.status is not None else None
    except (ValueError, TypeError, AttributeError, KeyError):  # an odd body: not a batch's
        return None


async def journal_entry(request: Request) -> Response:
    seq = request.path_params["seq"]
    found = next((e for e in _mock(request).journal.entries() if str(e.seq) == seq), None)
    if found is None:
        return JSONAnswer({"error": f"no journal entry {seq} (dropped, or reset)"}, status_code=404)
    return JSONAnswer(found.to_json())


async def timeline(request: Request) -> Response:
    """A batch's life: created, each request about it with its answer, items finishing,
    callback attempts, stall, cancel, completion; and the assertions' verdicts on it (poll
    rate judged against ``?max_per_second=``, default :data:`POLL_RATE`)."""
    mock, api, batch_id = _mock(request), request.path_params["api"], request.path_params["id"]
    rate = _rate(request.query_params.get("max_per_second"))
    if rate is None:
        return JSONAnswer({"error": "max_per_second takes a number above 0"}, status_code=400)
    observe = _observe(request)
    about = [
        (e, seen)
        for e in mock.journal.entries()
        if e.api == api and (seen := _seen(observe, e)) is not None and seen.batch == batch_id
    ]
    with mock.engine.lock:
        found = mock.engine.get(api, batch_id)
        if found is None:
            return JSONAnswer({"error": "no such batch"}, status_code=404)
        now = mock.clock.now()
        answer = {
            "batch": _shown(request, found, now, limit=TIMELINE_ITEMS),
            "now": now.isoformat(),
            "marks": _marks(found, now),
            "items": _items(found, now),
            "requests": [{**_row(e, seen), "at": e.time.isoformat()} for e, seen in about],
            "callbacks": _callbacks(mock, found),
            "faults": [fault_json(f) for f in mock.faults.for_batch(api, batch_id)],
        }
    judged = verdicts([e for e, _ in about], observe, batch_id, max_per_second=rate)
    return JSONAnswer({**answer, "verdicts": [asdict(v) for v in judged]})


def _rate(sent: str | None) -> float | None:
    """The poll rate to judge against: :data:`POLL_RATE` unless sent; None if not above 0."""
    try:
        rate = POLL_RATE if sent is None else float(sent)
    except ValueError:
        return None
    return rate if 0 < rate < math.inf else None


def _marks(batch: Batch, now: Any) -> list[dict[str, Any]]:
    marks = [("created", batch.created_at), ("stalled", batch.stalled_at)]
    marks += [("cancelled", batch.cancelled_at(now)), ("completed", batch.completed_at(now))]
    return [{"kind": kind, "at": at.isoformat()} for kind, at in marks if at is not None]


def _items(batch: Batch, now: Any) -> list[dict[str, Any]]:
    shown = []
    for i in range(min(len(batch.items), TIMELINE_ITEMS)):
        done = batch.finished_at(i, now)
        if done is not None:
            shown.append({"index": i, "state": batch.state(i, now).value, "at": done.isoformat()})
    return shown


def _callbacks(mock: Mock, batch: Batch) -> list[dict[str, Any]]:
    return [
        {
            **attempt.to_json(),
            "at": attempt.time.isoformat(),
            "delivery": d.id,
            "url": d.message.url,
        }
        for d in mock.outbox.deliveries
        if d.message.api == batch.api and d.message.batch_id == batch.id
        for attempt in d.attempts
    ]


routes = [
    Route("/ui", Endpoint(get=page)),
    Route("/ui/{name}", Endpoint(get=asset)),
    Route("/events", Endpoint(get=events)),
    Route("/journal", Endpoint(get=journal)),
    Route("/journal/{seq}", Endpoint(get=journal_entry)),
    Route("/timeline/{api}/{id:path}", Endpoint(get=timeline)),
]
