"""``create_app()``: one Starlette app serving every API under its prefix, plus the control API."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from . import __version__, control, dashboard, doccache, registry
from .clock import Clock
from .context import Context
from .dispatch import DEFAULT_MAX_BODY, ApiApp, read_body
from .errors import LoadError, Problem
from .explain import capped
from .guard import ControlToken
from .journal import DEFAULT_LIMIT, DEFAULT_MAX_BYTES
from .mock import Mock
from .provider import Provider, operation_problems
from .scenarios import Scenario, load_paths
from .specs import Spec


def load_specs(names: Iterable[str], directory: Path | None = None) -> dict[str, Spec]:
    """The OpenAPI document of each API, from ``directory`` (default: each provider's own)."""
    specs: dict[str, Spec] = {}
    problems: list[Problem] = []
    for name in names:
        made = registry.provider(name)
        try:
            specs[name] = Spec.from_path((directory or made.data_dirs()[0]) / made.spec_file)
        except LoadError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LoadError(problems)
    return specs


def load_scenarios(
    paths: Sequence[str | Path] | None = None, *, apis: Iterable[str] | None = None
) -> list[Scenario]:
    """Scenario files and folders (default: each provider's default scenario, or only those
    of ``apis``), checked by their providers."""
    return load_paths(paths or default_scenarios(apis), check=check_scenario, rules=check_rules)


def default_scenarios(apis: Iterable[str] | None = None) -> list[Path]:
    """The default scenario file of every registered provider (of ``apis``: only their
    packages are imported), in the registry's order."""
    wanted = registry.names() if apis is None else list(apis)
    found = []
    for name in registry.names():
        made = registry.provider(name) if name in wanted else None
        if made is not None and made.scenario_file is not None:
            found.append(made.data_dirs()[1] / made.scenario_file)
    return found


def check_scenario(scenario: Scenario) -> list[Problem]:
    """What the scenario's provider finds wrong with it (without serving anything); the first
    few problems, then how many more (see :func:`explain.capped`)."""
    made = registry.providers().get(scenario.api)
    if made is None:
        return []  # the schema has already refused the name
    return capped(made.check_scenario(scenario))


@functools.cache
def check_rules(api: str) -> str | None:
    """What a verdict of the scenario schema and :func:`check_scenario` on a file of ``api``
    depends on: mockbatch's version and files (the schema, the generic checks), the
    registered names (the schema's ``api``), jsonschema's files, and the provider's package
    and data folders. None for an API no provider has (the schema refuses it)."""
    made = registry.providers().get(api)
    if made is None:
        return None
    package = Path(inspect.getfile(made)).parent
    jsonschema = importlib.util.find_spec("jsonschema")
    origin = jsonschema.origin if jsonschema is not None and jsonschema.origin else "-"
    stamped = [_stamped(path) for path in (_HERE, package, *made.data_dirs(), Path(origin))]
    return "\n".join([f"scenario check {__version__} {registry.names()}", *stamped])


_HERE = Path(__file__).parent


@functools.cache
def _stamped(path: Path) -> str:
    """A folder's (or file's) :func:`doccache.stamp`; "" for one inside mockbatch's own."""
    if path != _HERE and path.is_relative_to(_HERE):
        return ""
    return doccache.stamp(path)


def create_app(
    *,
    scenarios: Iterable[Scenario] | None = None,
    clock: Clock | None = None,
    apis: Sequence[str] | None = None,
    root_api: str | None = None,
    specs: Path | None = None,
    seed: int = 0,
    check_responses: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
    journal_limit: int = DEFAULT_LIMIT,
    journal_bytes: int = DEFAULT_MAX_BYTES,
    allow_callback_hosts: Sequence[str] = (),
    control_token: str | None = None,
    journal_secrets: bool = False,
) -> Starlette:
    """Build the mock server app (its :class:`~mockbatch.mock.Mock` is ``app.state.mock``).

    ``scenarios`` default to the providers' own; ``apis`` to every registered provider;
    ``root_api`` is served at ``/``. ``check_responses`` journals responses that break the
    spec. With ``control_token`` the control API needs ``Authorization: Bearer <token>`` (or
    the dashboard's cookie, see :mod:`mockbatch.guard`). The journal masks secrets unless
    ``journal_secrets``. A provider whose handlers and spec disagree refuses to start
    (:class:`LoadError`).
    """
    names = list(apis or ([root_api] if root_api else registry.names()))
    made = {name: registry.provider(name) for name in [*names, *([root_api] if root_api else [])]}
    loaded = load_specs(names, specs)
    for name in names:
        _check_operations(made[name], loaded[name])
    mock = Mock(
        scenarios=[
            s
            for s in (load_scenarios(apis=names) if scenarios is None else scenarios)
            if s.api in names
        ],
        clock=clock,
        seed=seed,
        journal_limit=journal_limit,
        journal_bytes=journal_bytes,
        allow_hosts=allow_callback_hosts,
        secret_headers=[h for n in names for h in made[n].secret_headers],
        journal_secrets=journal_secrets,
    )
    api_apps = {
        name: _api_app(mock, made[name], loaded[name], check_responses, max_body) for name in names
    }
    mock.outbox.settle()  # the sources are known only now
    mock.outbox.wake()
    return _with_state(_assemble(api_apps, root_api, control_token), mock, api_apps, max_body)


def _with_state(
    app: MockbatchApp, mock: Mock, api_apps: dict[str, ApiApp], max_body: int
) -> MockbatchApp:
    """What the control API and the dashboard read off ``app.state``."""
    app.state.mock, app.state.apis, app.state.max_body = mock, list(api_apps), max_body
    app.state.adapters = {name: type(api_app.provider) for name, api_app in api_apps.items()}
    app.state.providers = {name: api_app.provider for name, api_app in api_apps.items()}
    app.state.check_scenario = check_scenario
    app.state.watch = None  # a watch.Watcher while `serve --watch` reloads the files
    return app


def _api_app(
    mock: Mock, made: type[Provider], spec: Spec, check_responses: bool, max_body: int
) -> ApiApp:
    """The provider of one API, on its context, behind its :class:`ApiApp`; every provider is
    a callback source (one without a target sends nothing)."""
    provider = made(Context(mock, made.name), spec)
    mock.outbox.sources.append(provider)
    return ApiApp(
        mock=mock, provider=provider, spec=spec, check_responses=check_responses, max_body=max_body
    )


def _check_operations(made: type[Provider], spec: Spec) -> None:
    """Refuse to start a provider whose ``operations`` and spec disagree."""
    problems = operation_problems(made, spec)
    if problems:
        where = f"provider {made.name!r} ({made.__module__}.{made.__qualname__})"
        raise LoadError([Problem(where, 1, "operations", p) for p in problems])


def _assemble(
    api_apps: dict[str, ApiApp], root_api: str | None, control_token: str | None
) -> MockbatchApp:
    """The APIs' mounts first (they get the traffic), then the control API and the 404s."""
    routes: list[BaseRoute] = [
        Mount("" if root_api else f"/{name}", app=api_app) for name, api_app in api_apps.items()
    ]
    guard = [Middleware(ControlToken, token=control_token)] if control_token else None
    control_routes = [*dashboard.routes, *control.routes]
    control_api = Mount(control.PREFIX, routes=control_routes, middleware=guard)
    if root_api:  # the API at "/" would match everything: the control API goes first
        routes.insert(0, control_api)
    else:
        home = control.Endpoint(get=dashboard.home, otherwise=_unknown_api)
        routes += [control_api, Route("/", home)]
        routes.append(Route("/{path:path}", control.Endpoint(otherwise=_unknown_api)))
    app = MockbatchApp(routes=routes, apis=api_apps, root=api_apps[root_api] if root_api else None)
    _match_any_path(app.routes)
    return app


class MockbatchApp(Starlette):
    """The Starlette app, with a fast path: a request under an API's prefix goes straight to
    that API's :class:`ApiApp`, which journals, validates and renders its own errors, so
    Starlette's middleware and routing (a third of the time of a small request) are skipped.
    Everything else (the control API, unknown paths, lifespan) takes the usual way."""

    def __init__(
        self, *, routes: list[BaseRoute], apis: dict[str, ApiApp], root: ApiApp | None
    ) -> None:
        super().__init__(routes=routes, exception_handlers={Exception: _internal_error})
        self.apis = apis
        self.root = root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if self.root is not None:
                if not path.startswith(control.PREFIX):
                    await self.root(scope, receive, send)
                    return
            else:
                name, slash, rest = path[1:].partition("/")
                api = self.apis.get(name)
                if api is not None and slash and not scope.get("root_path"):
                    await api.serve(scope, "/" + rest, receive, send)
                    return
                if api is not None and slash:
                    prefixed = {**scope, "root_path": scope.get("root_path", "") + "/" + name}
                    await api(prefixed, receive, send)
                    return
        await super().__call__(scope, receive, send)


def _match_any_path(routes: Iterable[BaseRoute]) -> None:
    """Let routes match paths holding a newline (a %0A in a path parameter is legal).

    Starlette's path patterns stop at a newline, so such a request fell through to its plain
    text 404 instead of the API, which answers in its own format.
    """
    for route in routes:
        if isinstance(route, Mount | Route):
            route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
        if isinstance(route, Mount):
            _match_any_path(route.routes)


async def _unknown_api(request: Request) -> Response:
    """A path under no API prefix, with any method: journaled as unmatched, answered 404 with
    the prefixes."""
    mock: Mock = request.app.state.mock
    body, too_large = await read_body(request.receive, request.app.state.max_body)
    entry = mock.journal.record(
        time=mock.clock.now(),
        api=None,
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        headers=request.scope["headers"],
        body=body,
    )
    entry.unmatched = True
    entry.status = 404
    prefixes = [f"/{name}" for name in request.app.state.apis]
    path = request.url.path
    if path in prefixes or path == control.PREFIX:
        owner = f"the {path[1:]} API's" if path in prefixes else "the control API's"
        message = f"no operation at {path}; {owner} routes start with {path}/"
    else:
        message = f"no API at {path}"
    entry.response = {"error": message, "apis": prefixes}
    headers = {"connection": "close"} if too_large else None
    return control.JSONAnswer(entry.response, status_code=404, headers=headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug in mockbatch outside an API (whose own errors are the provider's): JSON too."""
    return control.JSONAnswer({"error": f"internal error in mockbatch: {exc!r}"}, status_code=500)
