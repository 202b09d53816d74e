"""A callback receiver on 127.0.0.1 for tests: records what arrives, answers as told (and, with a
gate, only once the test opens it: the delivery stays in flight until then)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """``statuses`` are answered in order (then 200); ``received`` fills as requests arrive."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} callbacks, got {len(self.received)}")
            return list(self.received)


@contextmanager
def receiver(*statuses: int, gate: threading.Event | None = None) -> Iterator[Receiver]:
    """Serve a :class:`Receiver` on 127.0.0.1 (a free port) for the ``with`` block; with a
    ``gate``, each request is recorded at once but answered only after ``gate.set()``."""
    state = Receiver(statuses=list(statuses))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.changed:
                status = state.statuses.pop(0) if state.statuses else 200
                state.received.append(Received(self.path, dict(self.headers.items()), body))
                state.changed.notify_all()
            if gate is not None:
                gate.wait(10)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/callback"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if gate is not None:
            gate.set()  # no handler is left waiting on a failed test
        server.shutdown()
        server.server_close()
