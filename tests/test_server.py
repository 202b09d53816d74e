"""ServerThread: starts at once on a free port, answers keep-alive requests without delay,
stops in milliseconds, and lets a request in flight finish."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import pytest
from conftest import BOUND
from starlette.types import Receive, Scope, Send

from mockbatch import ServerThread, VirtualClock, create_app


def test_stops_with_a_keep_alive_connection_open() -> None:
    server = ServerThread(create_app(clock=VirtualClock())).start()
    idle = httpx.Client(base_url=server.url, timeout=BOUND)
    assert idle.get("/__mockbatch/health").status_code == 200  # the connection stays open

    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(5)  # a bound against hanging, not a speed test (bench/plugin_overhead.py is)

    assert not stopper.is_alive()
    with pytest.raises(httpx.TransportError):  # the idle connection was closed, nothing listens
        idle.get("/__mockbatch/health")
    idle.close()


def test_the_socket_says_it_is_tcp_so_asyncio_sets_tcp_nodelay() -> None:
    # asyncio turns Nagle off only on sockets created with proto IPPROTO_TCP; without it every
    # keep-alive response waited ~40 ms for a delayed ACK (measured by bench/throughput.py).
    with ServerThread(create_app(clock=VirtualClock())) as server:
        assert server._socket.proto == socket.IPPROTO_TCP
        assert httpx.get(f"{server.url}/__mockbatch/health").status_code == 200


def test_a_request_in_flight_finishes_before_the_server_stops() -> None:
    arrived = threading.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        arrived.set()
        await asyncio.sleep(0.05)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    server = ServerThread(slow).start()
    answers: list[str] = []
    client = threading.Thread(target=lambda: answers.append(httpx.get(server.url).text))
    client.start()
    arrived.wait(60)
    server.stop()
    client.join(60)
    assert answers == ["done"]


def test_a_port_is_known_before_start_and_freed_by_stop() -> None:
    server = ServerThread(create_app(clock=VirtualClock()))
    assert server.url.startswith("http://127.0.0.1:") and server.port > 0
    with server:
        assert httpx.get(f"{server.url}/__mockbatch/health").json()["status"] == "ok"
    again = ServerThread(create_app(clock=VirtualClock()), port=server.port)  # rebinds at once
    again.stop()


def test_serves_on_uvloop_when_it_is_installed_as_uvicorn_does() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def loop_type(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = type(asyncio.get_running_loop()).__module__.encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    with ServerThread(loop_type) as server:
        answer = httpx.get(server.url, timeout=BOUND).text

    assert answer == uvloop.Loop.__module__
    assert not isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)  # no global
