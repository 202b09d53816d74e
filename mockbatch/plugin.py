"""The pytest plugin (entry point ``pytest11``): fixtures, the ``mockbatch`` marker, ini options.

Fixtures:

- ``mockbatch_server`` (session): one mock server on 127.0.0.1, a free port; one per
  pytest-xdist worker, so tests in different workers never share state.
- ``mockbatch`` (function): a :class:`~mockbatch.handle.Mockbatch` on that server, reset for
  this test. In strict mode (the default) the test fails at teardown if the client sent a
  request that broke the spec or that no route matches.

``@pytest.mark.mockbatch(scenario=..., strict=True, clock="virtual")`` sets these per test;
the ini options ``mockbatch_scenarios``, ``mockbatch_scenario_dir``, ``mockbatch_strict`` and
``mockbatch_clock`` set them for a whole suite.

pytest imports this module in every session of anyone who has mockbatch installed, so it imports
nothing heavy: the server's modules load when a test first asks for a fixture.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .handle import Mockbatch, MockbatchServer

MARKER = "mockbatch"
KEYWORDS = ("scenario", "strict", "clock")
CLOCKS = ("virtual", "wall")
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(frozen=True, slots=True)
class Settings:
    """The ini options, checked."""

    scenarios: tuple[Path, ...] | None  # None: the shipped scenarios
    scenario_dir: Path | None  # None: each test file's folder
    strict: bool
    clock: str


_SETTINGS = pytest.StashKey[Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "mockbatch_scenarios",
        type="paths",
        default=[],
        help="mockbatch: scenario files or folders every test starts from (default: shipped)",
    )
    parser.addini(
        "mockbatch_scenario_dir",
        default="",
        help="mockbatch: folder for relative scenario paths (default: the test file's folder)",
    )
    parser.addini("mockbatch_strict", default="true", help="mockbatch: strict mode (true|false)")
    parser.addini("mockbatch_clock", default="virtual", help="mockbatch: virtual|wall")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockbatch(scenario=None, strict=True, clock='virtual'): this test's mockbatch scenarios"
        " (paths or dicts, replacing the default ones), strict mode, and clock.",
    )
    config.stash[_SETTINGS] = _settings(config)


def _settings(config: pytest.Config) -> Settings:
    base = config.inipath.parent if config.inipath else config.rootpath
    paths: list[Path] = list(config.getini("mockbatch_scenarios"))
    for path in paths:
        if not path.exists():
            raise pytest.UsageError(f"mockbatch_scenarios: {path} does not exist")
    raw_dir = str(config.getini("mockbatch_scenario_dir")).strip()
    scenario_dir = base / raw_dir if raw_dir else None
    if scenario_dir is not None and not scenario_dir.is_dir():
        raise pytest.UsageError(f"mockbatch_scenario_dir: {scenario_dir} is not a folder")
    raw_strict = str(config.getini("mockbatch_strict")).strip().lower()
    if raw_strict not in BOOLEANS:
        raise pytest.UsageError(f"mockbatch_strict = {raw_strict!r}: use true or false")
    clock = str(config.getini("mockbatch_clock")).strip()
    if clock not in CLOCKS:
        raise pytest.UsageError(f"mockbatch_clock = {clock!r}: use virtual or wall")
    return Settings(tuple(paths) or None, scenario_dir, BOOLEANS[raw_strict], clock)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A bad marker stops the session before any test runs. Not in a pytest-xdist worker: there a
    # UsageError during collection crashes the worker and its message is lost, so the marker
    # is checked (with the same message) when the test asks for the fixture.
    if hasattr(config, "workerinput"):
        return
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            _options(item)


def _options(item: pytest.Item) -> dict[str, Any]:
    """The merged marker keywords (the closest marker wins), checked."""
    __tracebackhide__ = True
    options: dict[str, Any] = {}
    for mark in reversed(list(item.iter_markers(MARKER))):
        where = f"{item.nodeid}: @pytest.mark.mockbatch"
        if mark.args:
            raise pytest.UsageError(f"{where} takes keywords only: scenario=, strict=, clock=")
        for key, value in mark.kwargs.items():
            if key not in KEYWORDS:
                close = difflib.get_close_matches(key, KEYWORDS, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise pytest.UsageError(
                    f"{where}({key}=...): unknown option {key!r} (valid: {', '.join(KEYWORDS)})"
                    + hint
                )
            _check(where, key, value)
            options[key] = value
    return options


def _check(where: str, key: str, value: Any) -> None:
    __tracebackhide__ = True
    if key == "strict" and not isinstance(value, bool):
        raise pytest.UsageError(f"{where}(strict={value!r}): strict must be True or False")
    if key == "clock" and value not in CLOCKS:
        raise pytest.UsageError(f"{where}(clock={value!r}): clock must be 'virtual' or 'wall'")
    if key == "scenario":
        refs = value if isinstance(value, list | tuple) else [value]
        for ref in refs:
            if not isinstance(ref, str | os.PathLike | Mapping):
                raise pytest.UsageError(
                    f"{where}(scenario={ref!r}): a scenario is a path or a dict (or a list of them)"
                )


@pytest.fixture(scope="session")
def mockbatch_server(pytestconfig: pytest.Config) -> Iterator[MockbatchServer]:
    """One mockbatch server for the session (per xdist worker) on 127.0.0.1, a free port."""
    from .errors import LoadError
    from .handle import MockbatchServer

    settings = pytestconfig.stash[_SETTINGS]
    try:
        scenarios = None
        if settings.scenarios is not None:
            from .app import load_scenarios

            scenarios = load_scenarios(list(settings.scenarios))
        server = MockbatchServer(scenarios=scenarios).start()
    except LoadError as exc:
        raise pytest.UsageError(f"mockbatch_scenarios:\n{exc}") from None
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mockbatch(
    request: pytest.FixtureRequest, mockbatch_server: MockbatchServer
) -> Iterator[Mockbatch]:
    """A handle on the session's mockbatch server, reset for this test.

    ``url``, ``base_url(api)``, ``clock``, ``load()``, ``batches``, ``requests``,
    ``transport``, ``fail_next()`` and the ``assert_*`` client-behaviour checks. In strict mode
    the test fails at teardown if any request broke the contract.
    """
    __tracebackhide__ = True  # a UsageError here shows as its message alone
    from .errors import LoadError

    settings = request.config.stash[_SETTINGS]
    options = _options(request.node) if isinstance(request.node, pytest.Item) else {}
    here = settings.scenario_dir or request.path.parent
    scenarios = None
    if "scenario" in options:
        try:
            scenarios = mockbatch_server.scenarios(options["scenario"], here)
        except LoadError as exc:
            raise pytest.UsageError(
                f"{request.node.nodeid}: @pytest.mark.mockbatch(scenario=...):\n{exc}"
            ) from None
    wall = options.get("clock", settings.clock) == "wall"
    handle = mockbatch_server.begin(scenarios=scenarios, wall=wall, here=here)
    yield handle
    if options.get("strict", settings.strict):
        report = handle.contract_report()
        if report is not None:
            pytest.fail(report, pytrace=False)
