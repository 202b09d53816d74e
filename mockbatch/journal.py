"""The request journal: every request a client sent, what it got, and what it broke.

Entries are recorded when a request arrives (so nothing is lost if handling fails) and completed
when the response is known. The journal is bounded; the oldest entries are dropped and counted.
"""

from __future__ import annotations

import base64
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import Violation

DEFAULT_LIMIT = 10_000


@dataclass(slots=True)
class Entry:
    """One request and its response."""

    seq: int
    time: datetime
    api: str | None
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    operation: str | None = None
    status: int | None = None
    response: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    unmatched: bool = False
    error: str | None = None
    kind: str = "request"  # or "callback": a delivery attempt the mock made
    outcome: str | None = None

    def body_json(self) -> dict[str, Any]:
        try:
            return {"body": self.body.decode("utf-8")}
        except UnicodeDecodeError:
            return {"body": None, "body_base64": base64.b64encode(self.body).decode()}

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time.isoformat(),
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            **self.body_json(),
            "operation": self.operation,
            "status": self.status,
            "response": self.response,
            "response_headers": self.response_headers,
            "violations": [v.to_json() for v in self.violations],
            "unmatched": self.unmatched,
            "error": self.error,
            "kind": self.kind,
            "outcome": self.outcome,
        }


class Journal:
    """A bounded, thread-safe list of :class:`Entry`, oldest first."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self.dropped = 0
        self._entries: deque[Entry] = deque()
        self._seq = 0
        self._lock = threading.Lock()

    def record(
        self,
        *,
        time: datetime,
        api: str | None,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Entry:
        """Add a request as it arrives; complete the returned entry when it is answered."""
        with self._lock:
            self._seq += 1
            entry = Entry(self._seq, time, api, method, path, query, headers, body)
            self._entries.append(entry)
            while len(self._entries) > self.limit:
                self._entries.popleft()
                self.dropped += 1
            return entry

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.dropped = 0
            self._seq = 0
