"""The whole mockbatch exception tree.

::

    MockbatchError                  root: the CLI prints these without a traceback
    ├── LoadError                   a scenario or spec file refused at load
    │     .problems: list[Problem]  one per place in a file (file, line, key path, valid values)
    ├── ControlError                a control API request refused; .response is its answer
    └── ApiError                    a wire-level error; the API's provider renders it in its
          │                         own error format
          ├── NotFound              no such route or resource
          └── MethodNotAllowed      the route exists, the method does not

Providers subclass :class:`ApiError` for provider codes (e.g. ``IvvyError`` carries a
``specificCode``) so one handler per API turns every failure into the provider's format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong at one place in a file: ``file:line: key.path: message (valid: ...)``."""

    file: str
    line: int
    path: str
    message: str
    valid: str = ""

    def __str__(self) -> str:
        where = self.path or "(top level)"
        hint = f" (valid: {self.valid})" if self.valid else ""
        return f"{self.file}:{self.line}: {where}: {self.message}{hint}"


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a request (or response) breaks the OpenAPI contract."""

    location: str  # "body", "query", "path", "header", "response"
    path: str  # key path inside that location, dotted ("jobs[0].namespace")
    message: str
    keyword: str = ""  # JSON Schema keyword that failed ("required", "maxItems", ...)

    def to_json(self) -> dict[str, str]:
        return {
            "location": self.location,
            "path": self.path,
            "message": self.message,
            "keyword": self.keyword,
        }


class MockbatchError(Exception):
    """Root of every error mockbatch raises on purpose."""


class LoadError(MockbatchError):
    """A scenario or spec file was refused; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ControlError(MockbatchError):
    """A control API request refused where it was found wrong; ``response`` answers it."""

    def __init__(self, response: Any) -> None:
        super().__init__(getattr(response, "status_code", ""))
        self.response = response


@dataclass(eq=False)
class ApiError(MockbatchError):
    """An error answered on the wire; the API adapter decides its exact body."""

    status: int
    message: str
    violations: list[Violation] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # added to the rendered reply

    def __post_init__(self) -> None:
        super().__init__(self.message)


class NotFound(ApiError):
    """No route, or no resource with that ID."""


class MethodNotAllowed(ApiError):
    """The path exists but not with this method; ``details["allow"]`` lists the methods."""
