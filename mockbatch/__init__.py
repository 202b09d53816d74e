"""mockbatch: a mock and contract-testing server for asynchronous batch APIs.

``create_app()`` builds the server; ``ServerThread`` runs it on 127.0.0.1 in the background;
scenarios come from ``Scenario.from_path()`` / ``load_scenarios()``.

The names below are imported on first use: pytest imports ``mockbatch.plugin`` (and so this
package) in every session of anyone who has mockbatch installed, and that must stay cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app, load_scenarios
    from .clock import SystemClock, VirtualClock
    from .errors import ApiError, LoadError, MockbatchError, Problem
    from .handle import Mockbatch, MockbatchServer
    from .mock import Mock
    from .scenarios import Scenario
    from .server import ServerThread

__version__ = "0.1.0"

_WHERE = {
    "ApiError": ".errors",
    "LoadError": ".errors",
    "Mock": ".mock",
    "Mockbatch": ".handle",
    "MockbatchError": ".errors",
    "MockbatchServer": ".handle",
    "Problem": ".errors",
    "Scenario": ".scenarios",
    "ServerThread": ".server",
    "SystemClock": ".clock",
    "VirtualClock": ".clock",
    "create_app": ".app",
    "load_scenarios": ".app",
}

__all__ = [
    "ApiError",
    "LoadError",
    "Mock",
    "Mockbatch",
    "MockbatchError",
    "MockbatchServer",
    "Problem",
    "Scenario",
    "ServerThread",
    "SystemClock",
    "VirtualClock",
    "__version__",
    "create_app",
    "load_scenarios",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mockbatch' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
