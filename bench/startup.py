"""How long ``mockbatch serve`` takes from process start to its first answer, against a bare
Starlette app on the same uvicorn.

    python bench/startup.py [--runs 9]

Each server starts as a subprocess on 127.0.0.1 port 0 (the port it took is read from its
banner); the time runs from the process's start to the first HTTP answer to a request. For the
mock that request is an API's read of its shipped batch (the registry's test profile), so
whatever the API loads lazily is paid before the answer; for the bare app (``bare_app.py``,
``python -m uvicorn``) any request. Rows: the mock with every API, the mock with each API alone
(``--api``), the bare app. Runs alternate between the servers, so whatever else the machine does
slows each alike; the figure is the median. A first, uncounted run of each lets Python write its
bytecode caches (an installed package has them), even under ``PYTHONDONTWRITEBYTECODE``.

Beside the time, where Linux tells it (``/proc/<pid>/task/*/schedstat``), the CPU time the
server's threads had used by then: on a machine busy with other jobs, it varies much less than
the time does.

Not a test: timings depend on the machine, so pytest never runs this.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mockbatch.registry import providers

HERE = Path(__file__).resolve().parent
AIM = 1.5  # the mock's start-up at most this many times the bare app's
BANNER = re.compile(rb"(?:serving|running on) (http://127\.0\.0\.1:(\d+))", re.IGNORECASE)


@dataclass(frozen=True)
class Server:
    """A server command and the request whose answer ends its start-up."""

    label: str
    command: list[str]
    request: bytes
    env: dict[str, str]


def request(method: str, path: str, body: object, headers: dict[str, str]) -> bytes:
    raw = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "host: 127.0.0.1", "connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if raw or method == "POST":
        lines += ["content-type: application/json", f"content-length: {len(raw)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


def servers(body_file: str) -> list[Server]:
    """The mock with every API, with each API alone, and the bare app."""
    python = sys.executable
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    mock = [python, "-m", "mockbatch", "serve", "--clock", "virtual", "--port", "0"]
    made = providers()
    first = next(iter(made.values()))
    method, path, body = first.profile.poll
    found = [
        Server(
            "mock, every API",
            mock,
            request(method, f"/{first.name}{path}", body, dict(first.profile.headers)),
            env,
        )
    ]
    for name, one in made.items():
        method, path, body = one.profile.poll
        answer = request(method, path, body, dict(one.profile.headers))
        found.append(Server(f"mock --api {name}", [*mock, "--api", name], answer, env))
    bare = [python, "-m", "uvicorn", "bare_app:app", "--port", "0", "--no-access-log"]
    bare_env = {**env, "BARE_BODY": body_file, "PYTHONPATH": str(HERE)}
    found.append(Server("bare Starlette", bare, request("GET", "/", None, {}), bare_env))
    return found


def cpu_seconds(pid: int) -> float:
    """The CPU time the process's live threads have used (NaN where /proc does not say)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        used = 0
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                used += int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return used / 1e9


def start_up(server: Server) -> tuple[float, float]:
    """Seconds from the process's start to the first answer to ``server.request``, and the
    CPU seconds the process had used by then."""
    started = time.perf_counter()
    process = subprocess.Popen(
        server.command, env=server.env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        assert process.stderr is not None
        port = None
        while port is None:
            line = process.stderr.readline()
            if not line:
                raise RuntimeError(f"{server.label}: exited with {process.wait()}")
            found = BANNER.search(line)
            port = int(found.group(2)) if found else None
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            s.sendall(server.request)
            head = s.recv(64)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{server.label}: {head!r}")
        return elapsed, cpu
    finally:
        process.terminate()
        process.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        body.write(b"{}")
        body.flush()
        rows = servers(body.name)
        times: dict[str, list[float]] = {row.label: [] for row in rows}
        cpus: dict[str, list[float]] = {row.label: [] for row in rows}
        for run in range(args.runs + 1):
            for row in rows:
                elapsed, cpu = start_up(row)
                if run:  # the first run writes the bytecode caches
                    times[row.label].append(elapsed)
                    cpus[row.label].append(cpu)
    bare = statistics.median(times["bare Starlette"])
    bare_cpu = statistics.median(cpus["bare Starlette"])
    print(f"start-up to the first answer, median of {args.runs} runs (and the CPU time used)")
    for label, samples in times.items():
        took, cpu = statistics.median(samples), statistics.median(cpus[label])
        aim = f"   (aim ≤{AIM}x)" if label == "mock, every API" else ""
        print(
            f"  {label:<22}{took:7.3f} s = {took / bare:.2f}x bare"
            f"   CPU {cpu:.3f} s = {cpu / bare_cpu:.2f}x{aim}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
