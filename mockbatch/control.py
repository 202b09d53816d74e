"""The control API under ``/__mockbatch``: health, reset, clock, batches, journal, scenarios.

Plain JSON in, JSON out; errors are ``{"error": message}`` with a 4xx status.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .clock import VirtualClock, parse_time
from .engine import Batch, ItemState
from .errors import LoadError
from .faults import Fault
from .mock import Mock
from .scenarios import Scenario

PREFIX = "/__mockbatch"


def _mock(request: Request) -> Mock:
    mock: Mock = request.app.state.mock
    return mock


def _bad(message: str, status: int = 400, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    return json.loads(raw)


async def health(request: Request) -> Response:
    mock = _mock(request)
    return JSONResponse(
        {
            "status": "ok",
            "apis": sorted(request.app.state.apis),
            "clock": {
                "kind": getattr(mock.clock, "name", "custom"),
                "now": mock.clock.now().isoformat(),
            },
            "scenarios": [
                {"name": s.name, "api": s.api, "source": s.source} for s in mock.scenarios
            ],
        }
    )


async def reset(request: Request) -> Response:
    _mock(request).reset()
    return JSONResponse({"reset": True})


async def clock(request: Request) -> Response:
    mock = _mock(request)
    if request.method == "GET":
        return JSONResponse({"now": mock.clock.now().isoformat()})
    if not isinstance(mock.clock, VirtualClock):
        return _bad("the clock is the wall clock; start with --clock virtual to move it", 409)
    try:
        body = await _json_body(request)
    except ValueError as exc:
        return _bad(f"body is not valid JSON: {exc}")
    if not isinstance(body, dict) or len(body.keys() & {"advance", "set"}) != 1:
        return _bad('send {"advance": seconds} or {"set": "<ISO time>"}')
    try:
        with mock.engine.lock:
            if "advance" in body:
                seconds = body["advance"]
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    return _bad("advance takes a number of seconds")
                now = mock.clock.advance(float(seconds))
            else:
                if not isinstance(body["set"], str):
                    return _bad("set takes an ISO 8601 time")
                now = mock.clock.set(parse_time(body["set"]))
    except ValueError as exc:
        return _bad(str(exc))
    return JSONResponse({"now": now.isoformat()})


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
    return JSONResponse({"batches": body})


async def batch(request: Request) -> Response:
    mock = _mock(request)
    with mock.engine.lock:
        found = mock.engine.get(request.path_params["api"], request.path_params["id"])
        if found is None:
            return _bad("no such batch", 404)
        return JSONResponse(batch_json(found, mock.clock.now()))


async def requests(request: Request) -> Response:
    mock = _mock(request)
    return JSONResponse(
        {
            "requests": [e.to_json() for e in mock.journal.entries()],
            "dropped": mock.journal.dropped,
        }
    )


async def callbacks(request: Request) -> Response:
    mock = _mock(request)
    with mock.engine.lock:
        return JSONResponse({"callbacks": [d.to_json() for d in mock.outbox.deliveries]})


async def faults(request: Request) -> Response:
    """GET lists the active faults; POST adds some (until reset); DELETE removes added ones."""
    mock = _mock(request)
    if request.method == "GET":
        return JSONResponse({"faults": [_fault_json(f) for f in mock.faults.all]})
    if request.method == "DELETE":
        mock.clear_faults()
        return JSONResponse({"faults": [_fault_json(f) for f in mock.faults.all]})
    try:
        body = await _json_body(request)
    except ValueError as exc:
        return _bad(f"body is not valid JSON: {exc}")
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
    return JSONResponse({"faults": [_fault_json(f) for f in mock.faults.all]}, status_code=201)


def _fault_json(fault: Fault) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(fault).items() if v not in (None, False, (), {})}


async def scenarios(request: Request) -> Response:
    mock = _mock(request)
    if request.method == "GET":
        return JSONResponse(
            {
                "scenarios": [
                    {"name": s.name, "api": s.api, "source": s.source} for s in mock.scenarios
                ]
            }
        )
    raw = (await request.body()).decode("utf-8", errors="replace")
    try:
        scenario = Scenario.from_text(raw, source="<POST /__mockbatch/scenarios>")
        problems = request.app.state.check_scenario(scenario)
        if problems:
            raise LoadError(problems)
    except LoadError as exc:
        return _bad("scenario refused", 422, problems=[str(p) for p in exc.problems])
    if scenario.api not in request.app.state.apis:
        return _bad(f"this server does not serve the {scenario.api!r} API", 422)
    mock.load(scenario)
    return JSONResponse(
        {"loaded": scenario.name, "api": scenario.api, "batches": len(scenario.batches)},
        status_code=201,
    )


routes = [
    Route("/health", health, methods=["GET"]),
    Route("/reset", reset, methods=["POST"]),
    Route("/clock", clock, methods=["GET", "POST"]),
    Route("/batches", batches, methods=["GET"]),
    Route("/batches/{api}/{id:path}", batch, methods=["GET"]),
    Route("/requests", requests, methods=["GET"]),
    Route("/callbacks", callbacks, methods=["GET"]),
    Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/scenarios", scenarios, methods=["GET", "POST"]),
]
