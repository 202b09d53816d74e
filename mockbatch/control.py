"""The control API under ``/__mockbatch``: health, reset, clock, batches, journal, scenarios.

Plain JSON in, JSON out; errors are ``{"error": message}`` with a 4xx status. Each route answers
its documented methods (HEAD like GET, changing nothing), others get 405 with ``Allow``; bodies
are bounded by the server's ``max_body`` (413), and scenarios are parsed off the event loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import wirejson
from .clock import MovableClock, parse_time
from .dispatch import read_body
from .engine import Batch, ItemState
from .errors import ControlError, LoadError, Problem
from .faults import Fault
from .mock import Mock
from .scenarios import Scenario

PREFIX = "/__mockbatch"
Handler = Callable[[Request], Awaitable[Response]]


class JSONAnswer(JSONResponse):
    """A JSON response that never fails to render: whatever was stored can be read back."""

    def render(self, content: Any) -> bytes:
        return wirejson.dumps(content)


class Endpoint:
    """One control route: a handler per documented method. HEAD is answered like GET (without
    a body, changing nothing); any other method gets ``otherwise``, by default a 405 JSON with
    ``Allow``."""

    def __init__(self, *, otherwise: Handler | None = None, **handlers: Handler) -> None:
        self.handlers = {method.upper(): handler for method, handler in handlers.items()}
        if "GET" in self.handlers:
            self.handlers["HEAD"] = self.handlers["GET"]
        self.otherwise = otherwise

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        handler = self.handlers.get(request.method, self.otherwise)
        try:
            if handler is None:
                raise ControlError(_not_allowed(request, self.handlers))
            response = await handler(request)
        except ControlError as error:
            response = error.response
        await response(scope, receive, send)


def _not_allowed(request: Request, handlers: dict[str, Handler]) -> Response:
    allow = ", ".join(sorted(handlers))
    message = f"{request.method} is not allowed on {request.url.path} (allowed: {allow})"
    return _bad(message, 405, headers={"allow": allow})


def _mock(request: Request) -> Mock:
    mock: Mock = request.app.state.mock
    return mock


def _bad(
    message: str, status: int = 400, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONAnswer:
    return JSONAnswer({"error": message, **extra}, status_code=status, headers=headers)


async def _body(request: Request) -> bytes:
    """The request body, refused with 413 past the server's ``max_body``."""
    limit: int = request.app.state.max_body
    raw, too_large = await read_body(request.receive, limit)
    if too_large:
        message = f"request body is over {limit} bytes"
        raise ControlError(_bad(message, 413, headers={"connection": "close"}))
    return raw


async def _json_body(request: Request) -> Any:
    """The body as JSON (``{}`` when empty), refused with 400 when it is not JSON."""
    raw = await _body(request)
    if not raw:
        return {}
    try:
        return wirejson.loads(raw)
    except ValueError as exc:
        raise ControlError(_bad(f"body is not valid JSON: {exc}")) from None


async def health(request: Request) -> Response:
    mock = _mock(request)
    return JSONAnswer(
        {
            "status": "ok",
            "apis": sorted(request.app.state.apis),
            "clock": {"kind": getattr(mock.clock, "name", "custom"), **clock_json(mock)},
            "scenarios": [
                {"name": s.name, "api": s.api, "source": s.source} for s in mock.scenarios
            ],
            **watching(request),
        }
    )


def watching(request: Request) -> dict[str, Any]:
    """``{"watch": {"paths": [...], "problems": [...]}}`` while the server reloads its files
    as they change (``serve --watch``; problems: the files not reloaded), else ``{}``."""
    watcher = request.app.state.watch
    return {"watch": watcher.status()} if watcher is not None else {}


async def reset(request: Request) -> Response:
    _mock(request).reset()
    return JSONAnswer({"reset": True})


async def clock(request: Request) -> Response:
    return JSONAnswer(clock_json(_mock(request)))


async def move_clock(request: Request) -> Response:
    """``{"advance": seconds}`` or ``{"set": "<ISO time>"}``, within the clock's range; on the
    wall clock, an offset over real time."""
    mock = _mock(request)
    if not isinstance(mock.clock, MovableClock):
        return _bad("this clock cannot be moved", 409)
    body = await _json_body(request)
    if not isinstance(body, dict) or len(body.keys() & {"advance", "set"}) != 1:
        return _bad('send {"advance": seconds} or {"set": "<ISO time>"}')
    try:
        with mock.engine.lock:
            if "advance" in body:
                seconds = body["advance"]
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    return _bad("advance takes a number of seconds")
                now = mock.clock.advance(seconds)
            else:
                if not isinstance(body["set"], str):
                    return _bad("set takes an ISO 8601 time")
                now = mock.clock.set(parse_time(body["set"]))
    except ValueError as exc:
        return _bad(str(exc))
    return JSONAnswer({**clock_json(mock), "now": now.isoformat()})


def clock_json(mock: Mock) -> dict[str, Any]:
    """The clock's time and, on the wall clock, its offset over real time in seconds."""
    shown: dict[str, Any] = {"now": mock.clock.now().isoformat()}
    offset = getattr(mock.clock, "offset", None)
    if offset is not None:
        shown["offset"] = offset
    return shown


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def batch_json(
    batch: Batch, now: datetime, *, with_items: bool = True, limit: int = 1000
) -> dict[str, Any]:
    """A batch as the control API shows it (items capped at ``limit``)."""
    counts = batch.counts(now)
    done = batch.completed_at(now)
    out: dict[str, Any] = {
        "api": batch.api,
        "id": batch.id,
        "created_at": batch.created_at.isoformat(),
        "polls": batch.polls,
        "paused": batch.paused,
        "cancelled_at": _iso(batch.cancelled_at(now)),
        "item_count": len(batch.items),
        "counts": {state.value: counts.get(state, 0) for state in ItemState},
        "completed_at": _iso(done),
        "meta": batch.meta,
    }
    if with_items:
        out["items"] = [
            {
                "index": i,
                "key": batch.items.spec(i).key,
                "input": batch.items.spec(i).input,
                "state": batch.state(i, now).value,
                "outcome": batch.items.spec(i).body,
            }
            for i in range(min(len(batch.items), limit))
        ]
    return out


async def batches(request: Request) -> Response:
    mock = _mock(request)
    api = request.query_params.get("api")
    with mock.engine.lock:
        now = mock.clock.now()
        body = [batch_json(b, now, with_items=False) for b in mock.engine.batches(api)]
    return JSONAnswer({"batches": body})


async def batch(request: Request) -> Response:
    mock = _mock(request)
    with mock.engine.lock:
        found = mock.engine.get(request.path_params["api"], request.path_params["id"])
        if found is None:
            return _bad("no such batch", 404)
        return JSONAnswer(batch_json(found, mock.clock.now()))


async def cancel_batch(request: Request) -> Response:
    """Cancel a batch now, running items too; 409 once it has completed."""
    return await _change_batch(request, cancel=True)


async def finish_batch(request: Request) -> Response:
    """Let every unfinished item of a batch finish now, with its outcome."""
    return await _change_batch(request, cancel=False)


async def _change_batch(request: Request, *, cancel: bool) -> Response:
    mock = _mock(request)
    with mock.engine.lock:
        found = mock.engine.get(request.path_params["api"], request.path_params["id"])
        if found is None:
            return _bad("no such batch", 404)
        now = mock.clock.now()
        if cancel and found.completed_at(now) is not None:
            return _bad("the batch has completed: there is nothing left to cancel", 409)
        if cancel:
            mock.engine.cancel(found, running_too=True)
        else:
            mock.engine.finish(found)
        shown = batch_json(found, now)
    mock.outbox.poke()  # a batch with a callback target may have completed
    return JSONAnswer(shown)


async def requests(request: Request) -> Response:
    mock = _mock(request)
    return JSONAnswer(
        {
            "requests": [e.to_json() for e in mock.journal.entries()],
            "dropped": mock.journal.dropped,
        }
    )


async def callbacks(request: Request) -> Response:
    mock = _mock(request)
    with mock.engine.lock:
        shown = [d.to_json() for d in mock.outbox.deliveries]
    if not mock.journal.keep_secrets:  # a webhook's signature is as secret as a client's key
        for delivery in shown:
            delivery["headers"] = mock.journal.masked(delivery["headers"])
    return JSONAnswer({"callbacks": shown})


async def faults(request: Request) -> Response:
    """The active faults."""
    return JSONAnswer({"faults": [_fault_json(f) for f in _mock(request).faults.all]})


async def clear_faults(request: Request) -> Response:
    """Remove the faults added at run time."""
    _mock(request).clear_faults()
    return await faults(request)


async def add_faults(request: Request) -> Response:
    """Add ``{"api": NAME, ...fault}`` or ``{"faults": [...]}`` (until reset)."""
    mock = _mock(request)
    body = await _json_body(request)
    listed = body.get("faults") if isinstance(body, dict) and "faults" in body else [body]
    if not isinstance(listed, list) or not all(isinstance(f, dict) for f in listed):
        return _bad('send {"api": NAME, ...fault} or {"faults": [...]}')
    added: list[Fault] = []
    for raw in listed:
        fault = dict(raw)
        api = fault.pop("api", None)
        if api not in request.app.state.apis:
            return _bad(
                f"each fault needs an 'api' this server serves: {request.app.state.apis}", 422
            )
        try:
            scenario = Scenario.from_dict(
                {"api": api, "faults": [fault]}, source="<POST /__mockbatch/faults>"
            )
        except LoadError as exc:
            return _bad("fault refused", 422, problems=[str(p) for p in exc.problems])
        added.extend(scenario.faults)
    mock.add_faults(added)
    response = await faults(request)
    response.status_code = 201
    return response


def _fault_json(fault: Fault) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(fault).items() if v not in (None, False, (), {})}


async def scenarios(request: Request) -> Response:
    """The loaded scenarios."""
    listed = [{"name": s.name, "api": s.api, "source": s.source} for s in _mock(request).scenarios]
    return JSONAnswer({"scenarios": listed, **watching(request)})


async def load_scenario(request: Request) -> Response:
    """Load a scenario document (parsed and checked in a worker thread: a big document must
    not stall every API)."""
    text = (await _body(request)).decode("utf-8", errors="replace")
    try:
        scenario = await run_in_threadpool(_scenario, text, request.app.state.check_scenario)
    except LoadError as exc:
        return _bad("scenario refused", 422, problems=[str(p) for p in exc.problems])
    if scenario.api not in request.app.state.apis:
        return _bad(f"this server does not serve the {scenario.api!r} API", 422)
    _mock(request).load(scenario)
    answer: dict[str, Any] = {
        "loaded": scenario.name,
        "api": scenario.api,
        "batches": len(scenario.batches),
    }
    callbacks = scenario.options.get("callbacks")
    if isinstance(callbacks, dict) and callbacks.get("allow_hosts"):
        answer["ignored"] = [
            "options.callbacks.allow_hosts: an uploaded scenario cannot allow callback hosts"
            " (start the server with --allow-callback-host)"
        ]
    return JSONAnswer(answer, status_code=201)


def _scenario(text: str, check: Callable[[Scenario], list[Problem]]) -> Scenario:
    """The scenario in ``text``, or :class:`LoadError` with what is wrong with it."""
    source = "<POST /__mockbatch/scenarios>"
    try:
        scenario = Scenario.from_text(text, source=source)
    except RecursionError:
        raise LoadError([Problem(source, 1, "", "nested too deeply")]) from None
    unwritable = wirejson.unfit(scenario)
    problems = [Problem(source, 1, "", unwritable)] if unwritable else check(scenario)
    if problems:
        raise LoadError(problems)
    return scenario


async def not_found(request: Request) -> Response:
    """A path under the control API's prefix that it does not have (any method)."""
    known = [PREFIX + route.path.replace(":path", "") for route in routes[:-1]]
    return _bad(f"no control API route at {request.url.path}", 404, routes=known)


routes = [
    Route("/health", Endpoint(get=health)),
    Route("/reset", Endpoint(post=reset)),
    Route("/clock", Endpoint(get=clock, post=move_clock)),
    Route("/batches", Endpoint(get=batches)),
    Route("/batches/{api}/{id:path}/cancel", Endpoint(post=cancel_batch)),
    Route("/batches/{api}/{id:path}/finish", Endpoint(post=finish_batch)),
    Route("/batches/{api}/{id:path}", Endpoint(get=batch)),
    Route("/requests", Endpoint(get=requests)),
    Route("/callbacks", Endpoint(get=callbacks)),
    Route("/faults", Endpoint(get=faults, post=add_faults, delete=clear_faults)),
    Route("/scenarios", Endpoint(get=scenarios, post=load_scenario)),
    Route("/{path:path}", Endpoint(otherwise=not_found)),
]
