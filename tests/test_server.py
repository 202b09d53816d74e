"""ServerThread: starts at once on a free port, answers keep-alive requests without delay,
stops in milliseconds, and lets a request in flight finish."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from starlette.types import Receive, Scope, Send

from mockbatch import ServerThread, VirtualClock, create_app


def test_stops_fast_with_a_keep_alive_connection_open() -> None:
    server = ServerThread(create_app(clock=VirtualClock())).start()
    idle = httpx.Client(base_url=server.url)
    assert idle.get("/__mockbatch/health").status_code == 200  # the connection stays open

    started = time.perf_counter()
    server.stop()
    took = time.perf_counter() - started

    assert took < 0.1, f"stop took {took:.3f} s"  # uvicorn's own shutdown takes 0.2 s or more
    idle.close()


def test_keep_alive_requests_do_not_wait_for_delayed_acks() -> None:
    with ServerThread(create_app(clock=VirtualClock())) as server, httpx.Client() as http:
        http.get(f"{server.url}/__mockbatch/health")
        started = time.perf_counter()
        for _ in range(10):
            http.get(f"{server.url}/__mockbatch/health")
        took = time.perf_counter() - started
    assert took < 0.2, f"10 requests took {took:.3f} s"  # ~0.45 s without TCP_NODELAY


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
    arrived.wait(5)
    server.stop()
    client.join(5)
    assert answers == ["done"]


def test_a_port_is_known_before_start_and_freed_by_stop() -> None:
    server = ServerThread(create_app(clock=VirtualClock()))
    assert server.url.startswith("http://127.0.0.1:") and server.port > 0
    with server:
        assert httpx.get(f"{server.url}/__mockbatch/health").json()["status"] == "ok"
    again = ServerThread(create_app(clock=VirtualClock()), port=server.port)  # rebinds at once
    again.stop()
