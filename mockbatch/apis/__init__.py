"""Provider adapters: wire shapes only. They read and command the engine; they own no state.

Each adapter turns a validated :class:`Call` into a :class:`Reply` and renders every
:class:`~mockbatch.errors.ApiError` in its provider's error format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..errors import ApiError, Violation

if TYPE_CHECKING:
    from ..mock import Mock
    from ..scenarios import Scenario
    from ..specs import Operation, Spec

from ..errors import Problem

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
    def uris(self) -> list[str]:
        """The request URI as sent, and as seen by the API (without the mock's prefix)."""
        suffix = f"?{self.raw_query}" if self.raw_query else ""
        return list(
            dict.fromkeys([f"{self.path}{suffix}", f"{self.full_path or self.path}{suffix}"])
        )

    def arg(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(slots=True)
class Reply:
    """What an adapter answers; ``body`` is JSON-serialisable (or bytes, sent as is)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = (
        None  # ``body`` already serialised (adapters cache bodies that cannot change)
    )


class Adapter(Protocol):
    """What every provider module provides."""

    name: ClassVar[str]
    spec_file: ClassVar[str]

    def __init__(self, mock: Mock, spec: Spec) -> None: ...

    def handle(self, call: Call) -> Reply:
        """Answer a matched request (raise :class:`ApiError` to answer with an error)."""
        ...

    def error(self, error: ApiError) -> Reply:
        """Render ``error`` in the provider's format."""
        ...

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """Problems with a scenario for this API that the generic schema cannot see."""
        ...
