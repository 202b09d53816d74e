"""One-shot faults: answer the next matching request(s) with a given status, headers and body.

A small ASGI wrapper around the app, for tests of how a client copes with a throttled or failing
provider (``mockbatch.fail_next(...)`` in the pytest plugin). The request is journaled like any
other, with the response it got, and never reaches the API: no batch is polled or created.
Faults armed in a scenario are a later, fuller feature; this one is deliberately tiny.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope, Send

from .mock import Mock


@dataclass(slots=True)
class Fault:
    """Answer ``times`` requests under ``/{api}`` whose ``"METHOD path?query"`` contains
    ``matching`` with ``status``, ``headers`` and ``body`` (JSON)."""

    api: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    matching: str = ""


class Faults:
    """Wraps an app made by ``create_app``; :meth:`add` arms a fault, :meth:`clear` drops all."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.mock: Mock = app.state.mock
        self._armed: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def _take(self, path: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self._armed:
                if path.startswith(f"/{fault.api}/") and fault.matching in target:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._armed.remove(fault)
                    return fault
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._armed:
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"{scope['method']} {scope['path']}" + (f"?{query}" if query else "")
        fault = self._take(scope["path"], target)
        if fault is None:
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        entry = self.mock.journal.record(
            time=self.mock.clock.now(),
            api=fault.api,
            method=scope["method"],
            path=scope["path"],
            query=query,
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
        )
        headers = {k.lower(): v for k, v in fault.headers.items()}
        entry.status, entry.response, entry.response_headers = fault.status, fault.body, headers
        payload = json.dumps(fault.body).encode("utf-8")
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        raw.append((b"content-type", b"application/json"))
        raw.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": fault.status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})
