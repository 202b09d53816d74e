"""How long one 100-item results page takes for a 1,000-item and a 1,000,000-item batch.

    python bench/results_page.py

For each API in ``TARGETS`` and each batch size, a server process starts on 127.0.0.1 (port 0)
with one generated batch that is half finished (every 3rd item failed). The script times a
100-item page from the middle of the batch, unfiltered and filtered to failed items: the
median of 200 requests over one keep-alive connection per server, the two servers running
side by side with their requests alternating, so whatever else the machine does slows both
alike. Then it reads each server's resident memory (VmRSS). It prints a table and the ratio
of the 1,000,000-item page time to the 1,000-item one, and exits 1 when a ratio reaches 1.5
or a server uses 200 MB or more.

Not a test: timings depend on the machine, so pytest never runs this. Another API is one more
``Target`` in ``TARGETS``: a scenario for a batch of ``count`` items, and how to ask for a page.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx

SIZES = (1_000, 1_000_000)
PAGE = 100
RUNS = 200
WARM_UP = 5
MAX_RATIO = 1.5
MAX_RSS_MB = 200
BATCH = "batch_bench"  # a valid batch ID for every API


def generated(api: str, count: int, input_yaml: str, response: str, error: str) -> str:
    """A scenario with one batch of ``count`` generated items, half of them finished at the
    virtual clock's start (2026-01-01T00:00:00Z), every 3rd of those failed."""
    return f"""
api: {api}
batches:
  - id: {BATCH}
    created_at: "2025-12-31T23:51:40Z"
    generate:
      count: {count}
      input: {input_yaml}
      response: {response}
      fail_every: 3
      error: {error}
      stagger: {{seconds: {1000 / count}}}
"""


@dataclass(frozen=True)
class Target:
    """One API: a scenario with a batch of ``count`` items, and a page request for it."""

    api: str
    scenario: Callable[[int], str]
    page: Callable[[int, int, bool], tuple[str, dict[str, str], dict[str, str]]]
    """(offset, limit, failed only) -> (path under the server, query, headers)"""


def runtype_page(
    offset: int, limit: int, failed: bool
) -> tuple[str, dict[str, str], dict[str, str]]:
    query = {"limit": str(limit), "offset": str(offset), **({"status": "failed"} if failed else {})}
    return f"/runtype/v1/schedules/batch/{BATCH}/results", query, {"Authorization": "Bearer rt_b"}


def check_page(offset: int, limit: int, failed: bool) -> tuple[str, dict[str, str], dict[str, str]]:
    query = {"limit": str(limit), "offset": str(offset), **({"status": "failed"} if failed else {})}
    return f"/check/v1/batch/{BATCH}/results", query, {"Authorization": "Bearer vfy_bench"}


TARGETS = [
    Target(
        api="runtype",
        scenario=lambda count: generated(
            "runtype",
            count,
            '{record: {id: "rec_{index}", name: "User {position}", type: user}}',
            "{result: {ok: true}}",
            '"Step failed"',
        ),
        page=runtype_page,
    ),
    Target(
        api="check",
        scenario=lambda count: generated(
            "check",
            count,
            '{content: "Claim {position}"}',
            '{verdict: "true", confidence: 0.97}',
            "{errorMessage: Verification timeout after 120 seconds, retryCount: 3}",
        ),
        page=check_page,
    ),
]


def serve(api: str, scenario: str) -> None:
    """In the server process: serve ``scenario`` until stdin closes."""
    from mockbatch import ServerThread, VirtualClock, create_app, load_scenarios

    app = create_app(scenarios=load_scenarios([scenario]), clock=VirtualClock(), apis=[api])
    with ServerThread(app) as server:
        print(server.url, flush=True)
        sys.stdin.read()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


Timing = tuple[float, int]  # median ms, items matching the filter


@contextmanager
def server(target: Target, count: int, folder: Path) -> Iterator[tuple[httpx.Client, int]]:
    """A server process with ``target``'s batch of ``count`` items: (a client on it, its pid)."""
    path = folder / f"{target.api}-{count}.yaml"
    path.write_text(target.scenario(count))
    command = [sys.executable, __file__, "--serve", target.api, str(path)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"the {target.api} server did not start")
        with httpx.Client(base_url=url) as http:
            yield http, process.pid
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)


Memory = tuple[float, float]  # server RSS in MB: started, after the requests


def measure(target: Target, folder: Path) -> dict[int, tuple[dict[bool, Timing], Memory]]:
    """Per batch size: page timings unfiltered and filtered, and the server's RSS.

    Both servers run at once and their requests alternate, so whatever else the machine is
    doing slows both alike.
    """
    with ExitStack() as stack:
        servers = {count: stack.enter_context(server(target, count, folder)) for count in SIZES}
        started = {count: rss_mb(pid) for count, (_, pid) in servers.items()}
        times: dict[int, dict[bool, Timing]] = {count: {} for count in SIZES}
        for failed in (False, True):
            requests = {
                count: page_request(http, target, failed) for count, (http, _) in servers.items()
            }
            samples: dict[int, list[float]] = {count: [] for count in SIZES}
            for run in range(RUNS + WARM_UP):
                for count, (http, _) in servers.items():
                    elapsed = time_one(http, *requests[count][:3])
                    if run >= WARM_UP:
                        samples[count].append(elapsed)
            for count in SIZES:
                times[count][failed] = statistics.median(samples[count]), requests[count][3]
        return {
            count: (times[count], (started[count], rss_mb(pid)))
            for count, (_, pid) in servers.items()
        }


def page_request(
    http: httpx.Client, target: Target, failed: bool
) -> tuple[str, dict[str, str], dict[str, str], int]:
    """The request for a full page from the middle of the (filtered) batch, and the total."""
    path, query, headers = target.page(0, 1, failed)
    total: int = http.get(path, params=query, headers=headers).json()["pagination"]["total"]
    offset = max(0, min(total // 2, total - PAGE))
    return (*target.page(offset, PAGE, failed), total)


def time_one(
    http: httpx.Client, path: str, query: dict[str, str], headers: dict[str, str]
) -> float:
    """Milliseconds for one page request (checked to be a full page)."""
    start = time.perf_counter()
    response = http.get(path, params=query, headers=headers)
    elapsed = time.perf_counter() - start
    body = response.json() if response.status_code == 200 else {}
    if len(body.get("data", body.get("items", []))) != PAGE:  # Runtype: data; Check: items
        raise RuntimeError(f"{path} {query}: {response.status_code} {response.text[:200]}")
    return elapsed * 1000


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def main() -> int:
    print(f"machine: {machine()}")
    print(f"one {PAGE}-item page from the middle of the batch, median of {RUNS} requests\n")
    print(
        f"{'api':<10}{'batch':>11}  {'filter':<8}{'matching':>11}{'page ms':>9}"
        f"{'RSS MB at start':>17}{'after':>7}"
    )
    broken = []
    with TemporaryDirectory() as folder:
        for target in TARGETS:
            results = measure(target, Path(folder))
            for count, (times, (start, rss)) in results.items():
                for failed, (ms, total) in times.items():
                    label = "failed" if failed else "-"
                    print(
                        f"{target.api:<10}{count:>11,}  {label:<8}{total:>11,}{ms:>9.2f}"
                        f"{start:>17.1f}{rss:>7.1f}"
                    )
                if rss >= MAX_RSS_MB:
                    broken.append(f"{target.api} {count:,}: server RSS {rss:.1f} MB")
            for failed in (False, True):
                ratio = results[SIZES[-1]][0][failed][0] / results[SIZES[0]][0][failed][0]
                label = "failed" if failed else "unfiltered"
                print(f"{target.api}: {label} page time ratio 1,000,000 / 1,000 = {ratio:.2f}")
                if ratio >= MAX_RATIO:
                    broken.append(f"{target.api} {label}: ratio {ratio:.2f}")
    for problem in broken:
        print(f"over budget: {problem}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
