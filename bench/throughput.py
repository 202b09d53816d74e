"""Requests per second and latency of the mock against a bare Starlette app serving the same bytes.

    python bench/throughput.py [--seconds 2] [--rounds 3] [--connections 16] [--in-process]

Both servers run as uvicorn subprocesses on 127.0.0.1 with the same settings (uvloop and
httptools when installed), one worker each, request validation and the journal on for the mock.
The load comes from a separate process: keep-alive connections over raw sockets, so the client
is not the bottleneck. Mock and bare are measured in turns (``--rounds`` of each, the order
swapped every round) so that a neighbour's load hits both alike; each figure is the median of
its rounds. It prints the machine, then per API requests/s, the ratio mock/bare beside its aim
(:data:`AIM`), p50 and p99 latency, then the mock server's resident memory after the run beside
its aim (:data:`RSS_AIM_MB`). Start-up is measured by ``bench/startup.py``. ``--in-process``
instead calls each ASGI app in a loop, without uvicorn, and prints the CPU time of a request
(its thread's, so a busy neighbour does not count).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockbatch.registry import providers

HERE = Path(__file__).resolve().parent
AIM = 0.80  # the mock's requests/s over the bare app's, per API (issue 16)
RSS_AIM_MB = 100  # the mock server's resident memory after the run (issue 16)


@dataclass(frozen=True)
class Target:
    """One request to measure: a read of an API's shipped batch (its test profile's)."""

    api: str
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    def raw(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method == "POST":
            lines += ["content-type: application/json", f"content-length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


def targets() -> list[Target]:
    """Every registered provider's test-profile read of its shipped batch (a provider from
    another installed package too)."""
    found = []
    for name, made in providers().items():
        method, path, body = made.profile.poll
        if not made.profile.batch_id:
            raise SystemExit(f"{name} declares no test profile: nothing to measure")
        raw = json.dumps(body).encode() if body is not None else b""
        found.append(
            Target(name, method, f"/{name}{path}", raw, tuple(made.profile.headers.items()))
        )
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(args: list[str], env: dict[str, str] | None = None) -> Iterator[tuple[int, int]]:
    """Start a uvicorn server subprocess; yields (port, pid) once it answers."""
    port = _free_port()
    process = subprocess.Popen(
        [*args, "--port", str(port)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=HERE.parent,
    )
    try:
        _wait_ready(port, time.perf_counter(), process)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(10)


def rss_mb(pid: int) -> float:
    """A process's resident memory (``VmRSS`` in ``/proc/<pid>/status``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _wait_ready(port: int, started: float, process: subprocess.Popen[bytes]) -> float:
    probe = b"GET /__ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    while time.perf_counter() - started < 20:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(probe)
                if s.recv(16).startswith(b"HTTP/1.1"):
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.002)
    raise RuntimeError("server did not start within 20 s")


async def _connection(port: int, request: bytes, until: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while time.perf_counter() < until:
        sent = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - sent)
    writer.close()


def _load(
    port: int,
    request: bytes,
    seconds: float,
    connections: int,
    out: multiprocessing.Queue[list[float]],
) -> None:
    latencies: list[float] = []
    until = time.perf_counter() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(_connection(port, request, until, latencies) for _ in range(connections))
        )

    asyncio.run(main())
    out.put(latencies)


def measure(port: int, target: Target, seconds: float, connections: int) -> dict[str, float]:
    request = target.raw(f"127.0.0.1:{port}")
    queue: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
    warmup = multiprocessing.Process(target=_load, args=(port, request, 0.5, connections, queue))
    warmup.start()
    queue.get()
    warmup.join()
    worker = multiprocessing.Process(
        target=_load, args=(port, request, seconds, connections, queue)
    )
    worker.start()
    latencies = sorted(queue.get())
    worker.join()
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def rounds(
    ports: tuple[int, int], target: Target, args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, float]]:
    """(mock, bare): each measured ``args.rounds`` times in turns; the median of each figure."""
    runs: tuple[list[dict[str, float]], list[dict[str, float]]] = ([], [])
    for turn in range(args.rounds):
        order = (0, 1) if turn % 2 == 0 else (1, 0)
        for which in order:
            runs[which].append(measure(ports[which], target, args.seconds, args.connections))
    mock, bare = ({key: statistics.median(r[key] for r in rs) for key in rs[0]} for rs in runs)
    return mock, bare


def machine() -> str:
    """CPU count and model, and the Python that ran the servers."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = sys.version.split()[0]
    return f"machine: {os.cpu_count()} CPU(s), {model}; Python {python} ({sys.platform})"


def _scope(target: Target) -> dict[str, Any]:
    path, _, query = target.path.partition("?")
    headers = [(b"host", b"127.0.0.1")]
    headers += [(k.lower().encode(), v.encode()) for k, v in target.headers]
    if target.body or target.method == "POST":
        size = str(len(target.body)).encode()
        headers += [(b"content-type", b"application/json"), (b"content-length", size)]
    return {
        "type": "http",
        "http_version": "1.1",
        "method": target.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
    }


async def _cpu_per_request(app: Any, target: Target, n: int) -> tuple[float, list[Any]]:
    """The least thread CPU time of a request over 5 runs of ``n``; the last answer's messages."""
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": target.body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = _scope(target)
    best = math.inf
    for _ in range(6):  # the first run warms up
        sent.clear()
        started = time.thread_time()
        for _ in range(n):
            await app(dict(scope), receive, send)
        best = min(best, (time.thread_time() - started) / n) if sent else best
    return best, sent[-2:]


def in_process(n: int) -> None:
    """Per API: the CPU time of a request to the mock's app and to the bare app."""
    import importlib

    from mockbatch.app import create_app
    from mockbatch.clock import VirtualClock

    sys.path.insert(0, str(HERE))
    mock_app = create_app(clock=VirtualClock())
    print(machine())
    print(f"{'api':10} {'mock us':>8} {'bare us':>8}  (the app alone: no uvicorn, no socket)")
    for target in targets():
        mock, (start, body) = asyncio.run(_cpu_per_request(mock_app, target, n))
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            f.write(body["body"])
        os.environ.update(BARE_BODY=f.name, BARE_STATUS=str(start["status"]))
        bare_app = importlib.reload(importlib.import_module("bare_app"))
        bare, _ = asyncio.run(_cpu_per_request(bare_app.app, target, n))
        os.unlink(f.name)
        print(f"{target.api:10} {mock * 1e6:8.1f} {bare * 1e6:8.1f}")


def capture(port: int, target: Target) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            target.raw(f"127.0.0.1:{port}").replace(
                b"HTTP/1.1\r\n", b"HTTP/1.1\r\nconnection: close\r\n", 1
            )
        )
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    return int(head.split()[1]), body


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--in-process", type=int, nargs="?", const=2000, metavar="N")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.in_process)
        return 0
    python = sys.executable
    mock_cmd = [python, "-m", "mockbatch", "serve", "--clock", "virtual"]
    rows = []
    with server(mock_cmd) as (mock_port, mock_pid):
        for target in targets():
            status, body = capture(mock_port, target)
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
                f.write(body)
            env = {"BARE_BODY": f.name, "BARE_STATUS": str(status), "PYTHONPATH": str(HERE)}
            bare_cmd = [
                python,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--log-level",
                "warning",
                "--no-access-log",
            ]
            with server(bare_cmd, env) as (bare_port, _):
                assert capture(bare_port, target)[1] == body, (
                    "the bare app must send the same bytes"
                )
                mock, bare = rounds((mock_port, bare_port), target, args)
            os.unlink(f.name)
            rows.append((target.api, len(body), mock, bare))
        rss = rss_mb(mock_pid)
    print(machine())
    print(f"median of {args.rounds} round(s) of {args.seconds:g} s each, in turns")
    header = ("api", "bytes", "mock rps", "bare rps", "ratio", "aim", "mock p50/p99 ms")
    print("{:10} {:>6} {:>9} {:>9} {:>6} {:12} {:>16} {:>16}".format(*header, "bare p50/p99 ms"))
    for api, size, mock, bare in rows:
        ratio = mock["rps"] / bare["rps"]
        aim = f"≥{AIM:.2f} {'met' if ratio >= AIM else 'MISSED'}"
        mock_ms = f"{mock['p50_ms']:.2f}/{mock['p99_ms']:.2f}"
        bare_ms = f"{bare['p50_ms']:.2f}/{bare['p99_ms']:.2f}"
        print(
            f"{api:10} {size:6d} {mock['rps']:9.0f} {bare['rps']:9.0f} {ratio:6.2f} {aim:12}"
            f" {mock_ms:>16} {bare_ms:>16}"
        )
    verdict = "met" if rss < RSS_AIM_MB else "MISSED"
    print(f"mock server RSS after the run: {rss:.1f} MB (aim <{RSS_AIM_MB} MB: {verdict})")
    print("start-up: python bench/startup.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
