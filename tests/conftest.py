"""Shared fixtures: a fresh app per test, reached in process or over a real socket.

Every test's app validates its own responses against the specs; a test fails at teardown if
any response broke its spec or the server hit an internal error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from thirdparty import install as thirdparty

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.apis import NO_BODY, Call, Reply
from mockbatch.dispatch import SHARED_BODY, ApiApp
from mockbatch.journal import Entry
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

BOUND = 120.0  # seconds a socket client waits: a bound for a wedged server, not a speed check

pytest_plugins = ["pytester"]  # the pytest plugin's own tests run pytest inside pytest

if os.environ.get(thirdparty.FLAG):  # a provider from outside mockbatch, registered before
    thirdparty.install()  # collection: the tests parametrised over the registry run for it too


@pytest.fixture(scope="session", autouse=True)
def _httpx_imported_outside_pytester() -> None:
    """pytester's in-process runs drop the modules first imported inside them, and httpx loads
    its map of httpcore's exceptions at its first request over a socket. Make that request here,
    so a dropped connection is ``httpx.RemoteProtocolError`` whatever order the tests run in
    (run after the plugin's tests, it surfaced as httpcore's own class)."""
    with ServerThread(create_app(clock=VirtualClock(), apis=["ivvy"])) as server:
        assert httpx.get(f"{server.url}/__mockbatch/health").status_code == 200


@pytest.fixture(scope="session", autouse=True)
def _schemathesis_imported_outside_pytester() -> None:
    """pytester's in-process runs drop the modules first imported inside them (schemathesis is
    a pytest plugin, so an inner run imports it); ``verify`` imported afterwards then saw
    events of another copy of its classes and counted no operation tested."""
    import importlib
    import pkgutil

    import schemathesis.engine

    for module in pkgutil.walk_packages(schemathesis.engine.__path__, "schemathesis.engine."):
        importlib.import_module(module.name)


@pytest.fixture(autouse=True)
def _shared_request_parts_stay_unchanged() -> Iterator[None]:
    """The dispatcher hands providers a parsed JSON body, query, path parameters and headers
    that it shares with every request sending the same bytes: no provider may change them.
    Every request of every test is checked; one that a provider changed fails its test."""
    changed: list[str] = []
    handle = ApiApp._handle

    def checked(self: ApiApp, call: Call, entry: Entry) -> Reply:
        before = _shared(call)
        try:
            return handle(self, call, entry)
        finally:
            if _shared(call) != before:
                changed.append(f"{call.method} {call.full_path} ({call.operation.id})")

    # Patched by hand, not with the monkeypatch fixture: an autouse fixture would set that one
    # up first, so a test's own patches would be undone only after its other fixtures' teardown.
    ApiApp._handle = checked  # type: ignore[method-assign]
    try:
        yield
    finally:
        ApiApp._handle = handle  # type: ignore[method-assign]
    assert not changed, f"a provider changed a request's shared parts: {changed}"


def _shared(call: Call) -> str | None:
    """The shared parts written down (None: nested too deeply to write)."""
    shared = call.json is not NO_BODY and len(call.body) <= SHARED_BODY  # bigger: not shared
    try:
        shown = (call.json if shared else None, call.query, call.path_params, call.headers)
        return json.dumps(shown)
    except RecursionError:
        return None


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def app(clock: VirtualClock) -> Starlette:
    return create_app(clock=clock, check_responses=True)


@pytest.fixture
def mock(app: Starlette) -> Mock:
    found: Mock = app.state.mock
    return found


@pytest.fixture(params=["in-process", "socket"])
def client(request: pytest.FixtureRequest, app: Starlette, mock: Mock) -> Iterator[httpx.Client]:
    """An httpx client on the app: in process, and over uvicorn on 127.0.0.1 (port 0)."""
    if request.param == "socket":
        with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=BOUND) as http:
            yield http
    else:
        transport = InProcessTransport(app)
        with httpx.Client(transport=transport, base_url="http://mockbatch.test") as http:
            yield http
    assert_contract_kept(mock)


def assert_contract_kept(mock: Mock) -> None:
    """No response broke its spec and no request hit a bug in mockbatch."""
    __tracebackhide__ = True
    for entry in mock.journal.entries():
        assert entry.error is None, f"{entry.method} {entry.path}: internal error\n{entry.error}"
        broken = [v for v in entry.violations if v.location == "response"]
        assert not broken, f"{entry.method} {entry.path} -> {entry.status}: {broken}"
