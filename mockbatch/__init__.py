"""mockbatch: a mock and contract-testing server for asynchronous batch APIs.

``create_app()`` builds the server; ``ServerThread`` runs it on 127.0.0.1 in the background;
scenarios come from ``Scenario.from_path()`` / ``load_scenarios()``.
"""

from .app import create_app, load_scenarios
from .clock import SystemClock, VirtualClock
from .errors import ApiError, LoadError, MockbatchError, Problem
from .mock import Mock
from .scenarios import Scenario
from .server import ServerThread

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "LoadError",
    "Mock",
    "MockbatchError",
    "Problem",
    "Scenario",
    "ServerThread",
    "SystemClock",
    "VirtualClock",
    "__version__",
    "create_app",
    "load_scenarios",
]
