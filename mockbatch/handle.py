"""What the pytest fixtures hand a test: the session's server, and a per-test handle on it.

:class:`MockbatchServer` is one app on 127.0.0.1 (a free port) for a whole test session (one per
pytest-xdist worker). :class:`Mockbatch` is a test's view of it after a reset: its own batches,
journal, clock and scenarios, plus the client-behaviour assertions. Nothing here imports pytest;
``plugin.py`` turns these into fixtures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx

from . import assertions, registry, strict
from .app import check_scenario, create_app, load_scenarios
from .callbacks import Delivery
from .clock import SystemClock, VirtualClock
from .control import batch_json
from .errors import LoadError, Problem
from .faults import Fault
from .journal import Entry
from .mock import Mock
from .scenarios import Scenario
from .server import ServerThread
from .transport import InProcessTransport

ScenarioRef = str | os.PathLike[str] | Mapping[str, Any]


class SessionClock(VirtualClock):
    """Virtual unless the running test asked for the wall clock (``clock="wall"``)."""

    def __init__(self) -> None:
        super().__init__()
        self.wall = False
        self._system = SystemClock()

    def use_wall(self, wall: bool) -> None:
        self.wall = wall
        self.name = "wall" if wall else "virtual"

    def now(self) -> datetime:
        return self._system.now() if self.wall else super().now()

    def advance(self, seconds: float) -> datetime:
        self._refuse_on_wall()
        return super().advance(seconds)

    def set(self, when: datetime) -> datetime:
        self._refuse_on_wall()
        return super().set(when)

    def _refuse_on_wall(self) -> None:
        if self.wall:
            raise ValueError("this test runs on the wall clock (clock='wall'): it cannot be moved")


class _Shared(httpx.BaseTransport):
    """The session's in-process transport, which a test's ``with httpx.Client(...)`` may not
    close."""

    def __init__(self, inner: InProcessTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


class MockbatchServer:
    """One mock server for a test session, serving every API under ``/<api>``."""

    def __init__(self, *, scenarios: Sequence[Scenario] | None = None) -> None:
        self.clock = SessionClock()
        self.app = create_app(scenarios=scenarios, clock=self.clock)
        self.mock: Mock = self.app.state.mock
        self.apis: list[str] = list(self.app.state.apis)
        self.base_scenarios = list(self.mock.loaded)
        self.routes = strict.routes_of(self.app)
        self._thread = ServerThread(self.app)
        self._transport: InProcessTransport | None = None
        self._cache: dict[str, list[Scenario]] = {}

    def start(self) -> MockbatchServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.stop()
        if self._transport is not None:
            self._transport.close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self._thread.url

    def base_url(self, api: str) -> str:
        """Where ``api`` is served: ``http://127.0.0.1:<port>/<api>``."""
        if api not in self.apis:
            raise ValueError(f"mockbatch serves no API {api!r} (valid: {', '.join(self.apis)})")
        return f"{self.url}/{api}"

    @property
    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that calls the app in process (no socket)."""
        if self._transport is None:
            self._transport = InProcessTransport(self.app)
        return _Shared(self._transport)

    def scenarios(self, ref: ScenarioRef | Sequence[ScenarioRef], here: Path) -> list[Scenario]:
        """Scenarios from paths (relative to ``here``) and dicts; parsed once per session."""
        refs = list(ref) if isinstance(ref, list | tuple) else [cast(ScenarioRef, ref)]
        found: list[Scenario] = []
        for one in refs:
            if isinstance(one, Mapping):
                key = json.dumps(one, sort_keys=True, default=str)
            else:
                path = here / Path(one)
                key = f"{path}@{path.stat().st_mtime_ns if path.exists() else 0}"
            if key not in self._cache:
                self._cache[key] = self._parse(one, here)
            found += self._cache[key]
        return found

    def _parse(self, ref: ScenarioRef, here: Path) -> list[Scenario]:
        if isinstance(ref, Mapping):
            scenario = Scenario.from_dict(dict(ref), source="<scenario dict>")
            problems = check_scenario(scenario)
            if problems:
                raise LoadError(problems)
            loaded = [scenario]
        else:
            loaded = load_scenarios([here / Path(ref)])
        for scenario in loaded:
            if scenario.api not in self.apis:
                served = ", ".join(self.apis)
                problem = Problem(
                    scenario.source, 1, "api", "this mockbatch has no such API", served
                )
                raise LoadError([problem])
        return loaded

    def begin(self, *, scenarios: Sequence[Scenario] | None, wall: bool, here: Path) -> Mockbatch:
        """Reset for a new test: the given scenarios (default: the session's), a clock back at
        its start (or the wall clock), an empty journal, no armed faults."""
        with self.mock.engine.lock:
            self.clock.use_wall(wall)
            self.mock.loaded = list(scenarios) if scenarios is not None else self.base_scenarios
            self.mock.reset()
        return Mockbatch(self, here=here)


class Mockbatch:
    """A test's handle on the session's mock server (the ``mockbatch`` fixture)."""

    def __init__(self, server: MockbatchServer, *, here: Path) -> None:
        self.server = server
        self.here = here

    def __repr__(self) -> str:
        return f"<Mockbatch {self.url}: {len(self.server.mock.journal)} request(s) so far>"

    @property
    def url(self) -> str:
        """The server's root URL, ``http://127.0.0.1:<port>``."""
        return self.server.url

    def base_url(self, api: str) -> str:
        """The base URL to give a client of ``api``: ``http://127.0.0.1:<port>/<api>``."""
        return self.server.base_url(api)

    @property
    def clock(self) -> SessionClock:
        """The mock's clock: ``mockbatch.clock.advance(30)``."""
        return self.server.clock

    @property
    def transport(self) -> httpx.BaseTransport:
        """For ``httpx.Client(transport=..., base_url=mockbatch.base_url(api))``: no socket."""
        return self.server.transport

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for ``httpx.AsyncClient`` (runs the app on the test's event loop)."""
        return httpx.ASGITransport(app=self.server.app)

    def load(self, scenario: ScenarioRef) -> None:
        """Add a scenario (a path, relative to the test's scenario folder, or a dict) now; its
        batches replace any with the same ID, its rules are tried after those already loaded."""
        for one in self.server.scenarios(scenario, self.here):
            self.server.mock.load(one, trusted=True)

    @property
    def batches(self) -> list[dict[str, Any]]:
        """Every batch's state now, as ``GET /__mockbatch/batches`` shows it."""
        mock = self.server.mock
        with mock.engine.lock:
            now = mock.clock.now()
            return [batch_json(b, now, with_items=False) for b in mock.engine.batches()]

    def batch(self, batch_id: str, api: str | None = None) -> dict[str, Any]:
        """One batch with its items' states (``GET /__mockbatch/batches/{api}/{id}``)."""
        mock = self.server.mock
        with mock.engine.lock:
            for found in mock.engine.batches(api):
                if found.id == batch_id:
                    return batch_json(found, mock.clock.now())
            known = ", ".join(b.id for b in mock.engine.batches(api)) or "none"
        raise KeyError(f"no batch {batch_id!r} (batches: {known})")

    @property
    def requests(self) -> list[Entry]:
        """This test's requests, oldest first, with what each got and broke."""
        return self.server.mock.journal.entries()

    @property
    def callbacks(self) -> list[Delivery]:
        """This test's callback deliveries, each with its attempts (see the README,
        "Callbacks"); :meth:`wait_for_callbacks` waits for them to settle."""
        with self.server.mock.engine.lock:
            return list(self.server.mock.outbox.deliveries)

    def wait_for_callbacks(self, count: int = 1, *, timeout: float = 5.0) -> list[Delivery]:
        """Wait until ``count`` deliveries are settled (delivered, failed or refused)."""
        __tracebackhide__ = True
        outbox = self.server.mock.outbox

        def settled() -> bool:
            return sum(d.state != "pending" for d in outbox.deliveries) >= count

        if not outbox.wait(settled, timeout):
            states = [d.state for d in outbox.deliveries]
            raise AssertionError(f"expected {count} settled callbacks within {timeout} s: {states}")
        return self.callbacks

    def fail_next(
        self,
        api: str,
        *,
        status: int = 429,
        retry_after: float | None = None,
        times: int = 1,
        operation: str | None = None,
        query: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``api`` (of ``operation``, with ``query``)
        with ``status`` in the provider's error format, and ``Retry-After`` if given. They are
        journaled and never reach the API. (A shortcut for a fault: see the README, "Faults".)"""
        self.server.base_url(api)
        fault = Fault(
            api=api,
            operation=operation,
            query=query or {},
            status=status,
            retry_after=retry_after,
            times=times,
        )
        self.server.mock.add_faults([fault])

    # -- client-behaviour assertions ---------------------------------------------------------

    def assert_stopped_polling(self, batch: str | None = None) -> None:
        """The client polled no batch again after a response showed it finished."""
        __tracebackhide__ = True
        assertions.stopped_polling(self.requests, self._observer(), batch)

    def assert_poll_rate(self, max_per_second: float, batch: str | None = None) -> None:
        """The client never polled a batch more than ``max_per_second`` times in one second
        of clock time."""
        __tracebackhide__ = True
        observe = self._observer()
        assertions.poll_rate(self.requests, observe, max_per_second, batch)

    def assert_results_read_once(self, batch: str | None = None) -> None:
        """The client read every results page of each finished batch exactly once."""
        __tracebackhide__ = True
        assertions.results_read_once(self.requests, self._observer(), batch)

    def assert_retry_after_honoured(self) -> None:
        """After a response with ``Retry-After``, the client's next request of the same kind
        waited at least that long (clock time)."""
        __tracebackhide__ = True
        observe = self._observer(required=False)
        assertions.retry_after_honoured(self.requests, observe)

    def _observer(self, *, required: bool = True) -> assertions.Observer:
        return assertions.observer(registry.providers(), required=required)

    def contract_report(self) -> str | None:
        """Strict mode's verdict: None when every request kept the contract."""
        entries = self.requests
        if not strict.breaches(entries):
            return None
        return strict.report(entries, self.server.routes)
