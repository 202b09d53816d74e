"""The request journal: every request a client sent, what it got, and what it broke.

Entries are recorded when a request arrives (so nothing is lost if handling fails) and completed
when the response is known. The journal is bounded, by entries and by the bytes of the bodies it
keeps; the oldest entries are dropped and counted.
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
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # bodies kept; the oldest entries go first past it


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
    size: int = 0  # bytes of request and response body this entry holds
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

    def __init__(self, *, limit: int = DEFAULT_LIMIT, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.dropped = 0
        self._entries: deque[Entry] = deque()
        self._bytes = 0  # request and response bodies held, roughly what the journal weighs
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
            entry.size = len(body)
            self._entries.append(entry)
            self._bytes += entry.size
            self._trim()
            return entry

    def answered(self, entry: Entry, response_bytes: int) -> None:
        """Count the response's size against the bound (the entry keeps the response)."""
        with self._lock:
            entry.size += response_bytes
            self._bytes += response_bytes
            self._trim()

    def _trim(self) -> None:
        while self._entries and (len(self._entries) > self.limit or self._bytes > self.max_bytes):
            old = self._entries.popleft()
            self._bytes -= old.size
            self.dropped += 1

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
            self._bytes = 0
            self.dropped = 0
            self._seq = 0
