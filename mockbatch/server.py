"""Run an app with uvicorn in a background thread, on a socket bound before the thread starts.

Binding first means the port is known at once (port 0 picks a free one) and a second server can
never race for it. Used by the tests, the pytest plugin, and anyone embedding the mock.

Stopping is fast: uvicorn's own loop notices ``should_exit`` only on its 0.1 s tick and then
sleeps another 0.1 s before closing connections, so a test session would pay 0.2 s at teardown.
Here the loop waits on an event that :meth:`ServerThread.stop` sets, closes idle connections at
once, and gives requests still in flight up to ``grace`` seconds to finish.

The loop is uvloop's when it is installed, as ``uvicorn`` picks by default (its ``auto`` loop):
serving on asyncio's own loop costs about a third of the requests a second.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

DEFAULT_GRACE = 1.0

Started = TypeVar("Started", bound="ServerThread")


class ServerThread:
    """``with ServerThread(app) as server: httpx.get(server.url + "/__mockbatch/health")``.

    A subclass that serves an app of its own (``record``'s proxy) inherits the start, stop and
    ``with`` block, each returning the subclass."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, grace: float = DEFAULT_GRACE
    ) -> None:
        self.app = app
        self.grace = grace
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
        # and without it every keep-alive response waits ~40 ms for a delayed ACK.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="mockbatch-server", daemon=True)
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            _run_loop(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._failure = exc

    async def _serve(self) -> None:
        server = self._server
        if not server.config.loaded:
            server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        self._stopping = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        await server.startup(sockets=[self._socket])
        await self._stopping.wait()
        await self._shutdown()

    async def _shutdown(self) -> None:
        state = self._server.server_state
        for listener in self._server.servers:
            listener.close()
        for connection in list(state.connections):
            connection.shutdown()  # idle keep-alive connections close now
        deadline = time.monotonic() + self.grace
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        for task in state.tasks:
            task.cancel()
        for connection in list(state.connections):
            connection.transport.close()

    def start(self: Started) -> Started:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"mockbatch server failed to start: {self._failure!r}")
            self._thread.join(0.0005)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (requests in flight get ``grace`` seconds)."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and self._thread.is_alive():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # the loop already closed
                pass
            self._thread.join(self.grace + 5)
        self._socket.close()

    def __enter__(self: Started) -> Started:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _run_loop(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run(main)``, on uvloop's loop when it is installed (uvicorn's ``auto``)."""
    run: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run
    try:
        import uvloop

        run = uvloop.run  # since uvloop 0.18; its own loop, no global policy set
    except (ImportError, AttributeError):
        pass
    run(main)
