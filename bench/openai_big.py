"""A 50,000-request OpenAI batch: how long the upload, the create and the output file's
download take, and the server's resident memory along the way.

    python bench/openai_big.py [--count 50000] [--endpoint /v1/chat/completions]

A server process starts on 127.0.0.1 (port 0) with the shipped scenarios and a virtual clock
(OpenAI only). The script builds a JSONL input of ``count`` requests (one in 100 a ``fail-``
request), uploads it, creates a batch of it, retrieves the batch until it is completed (the
shipped scenario finishes it at the fourth retrieve, no waiting; each retrieve is timed),
downloads the output and the error file, then the output file again. It prints each step's
time and the server's RSS (VmRSS) after it, and the machine it ran on. It asserts nothing: the
figures depend on the machine (README, "OpenAI").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx

KEY = {"Authorization": "Bearer sk-bench"}
API = "/openai/v1"


def serve() -> None:
    """In the server process: serve OpenAI until stdin closes."""
    from mockbatch import ServerThread, VirtualClock, create_app

    app = create_app(clock=VirtualClock(), apis=["openai"], max_body=64 * 1024 * 1024)
    with ServerThread(app) as server:
        print(server.url, flush=True)
        sys.stdin.read()


@contextmanager
def server() -> Iterator[tuple[httpx.Client, int]]:
    """A server process: (a client on it, its pid)."""
    command = [sys.executable, __file__, "--serve"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError("the server did not start")
        with httpx.Client(base_url=url, headers=KEY, timeout=300) as http:
            yield http, process.pid
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def requests(count: int, endpoint: str) -> bytes:
    """The input file: ``count`` lines, every 100th a ``fail-`` request."""
    lines = []
    for n in range(count):
        custom_id = f"fail-{n}" if n % 100 == 99 else f"request-{n}"
        body: dict[str, Any] = {"model": "gpt-4o-mini"}
        if endpoint == "/v1/chat/completions":
            body["messages"] = [{"role": "user", "content": f"Summarise ticket {n}."}]
        else:
            body["input"] = f"Summarise ticket {n}."
        line = {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}
        lines.append(json.dumps(line, separators=(",", ":")))
    return "\n".join(lines).encode()


def timed(step: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = step()
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return response, elapsed


def run(count: int, endpoint: str) -> None:
    data = requests(count, endpoint)
    with server() as (http, pid):
        rows = [("started", 0.0, 0, rss_mb(pid))]
        upload, took = timed(
            lambda: http.post(
                f"{API}/files", files={"file": ("big.jsonl", data)}, data={"purpose": "batch"}
            )
        )
        rows.append(("upload", took, len(data), rss_mb(pid)))
        body = {"input_file_id": upload.json()["id"], "endpoint": endpoint}
        created, took = timed(
            lambda: http.post(f"{API}/batches", json={**body, "completion_window": "24h"})
        )
        rows.append(("create", took, len(created.content), rss_mb(pid)))
        batch = created.json()
        http.post("/__mockbatch/clock", json={"advance": 5})  # the shipped timing's seconds
        while batch["status"] not in ("completed", "failed", "expired", "cancelled"):
            got, took = timed(partial(http.get, f"{API}/batches/{batch['id']}"))
            batch = got.json()
            rows.append((f"retrieve: {batch['status']}", took, len(got.content), rss_mb(pid)))
        for label, file_id in [
            ("output download", batch["output_file_id"]),
            ("error download", batch["error_file_id"]),
            ("output again", batch["output_file_id"]),
        ]:
            got, took = timed(partial(http.get, f"{API}/files/{file_id}/content"))
            rows.append((label, took, len(got.content), rss_mb(pid)))
    report(count, endpoint, rows, batch["request_counts"])


def report(
    count: int, endpoint: str, rows: list[tuple[str, float, int, float]], counts: Any
) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    print(f"{count:,} requests to {endpoint}; request_counts {counts}")
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}")
    print(f"{'step':<28}{'seconds':>9}{'MB':>9}{'server RSS MB':>15}")
    for label, seconds, size, rss in rows:
        print(f"{label:<28}{seconds:>9.3f}{size / 1e6:>9.1f}{rss:>15.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--endpoint", default="/v1/chat/completions")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    run(args.count, args.endpoint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
