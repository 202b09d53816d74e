"""How long one 100-item results page takes for a 1,000-item and a 1,000,000-item batch.

    python bench/results_page.py [--apis openai,anthropic]

For each API in ``TARGETS`` and each batch size, a server process starts on 127.0.0.1 (port 0)
with one generated batch that is half finished (every 3rd item failed). The script times a
100-item page from the middle of the batch, unfiltered and filtered to failed items: the
median of 200 requests over one keep-alive connection per server, the two servers running
side by side with their requests alternating, so whatever else the machine does slows both
alike. APIs whose results are one file (OpenAI's output file, Anthropic's results) have a
finished batch instead, and the time is that of the file's first 100 lines, read as a stream
(a new connection each time: the rest of the file is not read); the first download, which
counts the file's size once, is timed apart. Then it reads each server's resident memory
(VmRSS). It prints a table and the ratio of the 1,000,000-item page time to the 1,000-item
one, with the aims beside them, and exits 1 when a ratio reaches 1.5 or a server uses 100 MB
or more.

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
MAX_RSS_MB = 100
BATCH = "batch_bench"  # a valid batch ID for every API


def generated(
    api: str,
    count: int,
    input_yaml: str,
    response: str,
    error: str,
    *,
    finished: bool = False,
    meta: str = "{}",
    batch: str = BATCH,
) -> str:
    """A scenario with one batch of ``count`` generated items, half of them (all, when
    ``finished``) finished at the virtual clock's start (2026-01-01T00:00:00Z), every 3rd of
    those failed."""
    created = "2025-12-31T23:00:00Z" if finished else "2025-12-31T23:51:40Z"
    return f"""
api: {api}
batches:
  - id: {batch}
    created_at: "{created}"
    meta: {meta}
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
    file: bool = False
    """The results are one file (JSON Lines): its first lines are timed, unfiltered only."""


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
        api="anthropic",
        scenario=lambda count: generated(
            "anthropic",
            count,
            '{custom_id: "r-{index}", params: {model: claude-sonnet-4-5, max_tokens: 64}}',
            '"Summary of request {position}."',
            "{type: overloaded_error, message: Overloaded}",
            finished=True,
            batch="msgbatch_bench",
        ),
        page=lambda offset, limit, failed: (
            "/anthropic/v1/messages/batches/msgbatch_bench/results",
            {},
            profile_headers("anthropic"),
        ),
        file=True,
    ),
    Target(
        api="openai",
        scenario=lambda count: generated(
            "openai",
            count,
            '{custom_id: "r-{index}", method: POST, url: /v1/chat/completions,'
            " body: {model: gpt-4o-mini, messages: [{role: user, content: Hello}]}}",
            "{}",
            "{code: server_error, message: failed}",
            finished=True,
            meta="{endpoint: /v1/chat/completions, model: gpt-4o-mini}",
        ),
        page=lambda offset, limit, failed: (
            f"/openai/v1/files/{openai_output(BATCH)}/content",
            {},
            profile_headers("openai"),
        ),
        file=True,
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


def profile_headers(api: str) -> dict[str, str]:
    """A valid key's headers: the provider's test profile's (through the registry)."""
    from mockbatch.registry import provider

    return dict(provider(api).profile.headers)


def openai_output(batch_id: str) -> str:
    """The ID of an OpenAI batch's output file (derived from the batch's)."""
    from mockbatch.apis.openai.wire import alnum, derived

    return "file-" + alnum(derived(batch_id, "output"))


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
        for failed in (False,) if target.file else (False, True):
            requests = {
                count: page_request(http, target, failed, count)
                for count, (http, _) in servers.items()
            }
            samples: dict[int, list[float]] = {count: [] for count in SIZES}
            timer = first_lines if target.file else time_one
            for run in range(RUNS + WARM_UP):
                for count, (http, _) in servers.items():
                    elapsed = timer(http, *requests[count][:3])
                    if run >= WARM_UP:
                        samples[count].append(elapsed)
            for count in SIZES:
                times[count][failed] = statistics.median(samples[count]), requests[count][3]
        return {
            count: (times[count], (started[count], rss_mb(pid)))
            for count, (_, pid) in servers.items()
        }


FIRST: dict[tuple[str, int], float] = {}  # seconds of a file's first whole download


def page_request(
    http: httpx.Client, target: Target, failed: bool, count: int
) -> tuple[str, dict[str, str], dict[str, str], int]:
    """The request for a full page from the middle of the (filtered) batch, and the total;
    for a file, the request for it (downloaded once whole here, timed in ``FIRST``)."""
    if target.file:
        path, query, headers = target.page(0, PAGE, failed)
        start = time.perf_counter()
        with http.stream("GET", path, headers=headers, timeout=600) as response:
            lines = sum(chunk.count(b"\n") for chunk in response.iter_bytes())
        FIRST[target.api, count] = time.perf_counter() - start
        if response.status_code != 200 or lines < PAGE:
            raise RuntimeError(f"{path}: {response.status_code}, {lines} lines")
        return path, query, headers, lines
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


def first_lines(
    http: httpx.Client, path: str, query: dict[str, str], headers: dict[str, str]
) -> float:
    """Milliseconds until the first ``PAGE`` lines of a file arrived (the rest is not read)."""
    start = time.perf_counter()
    with http.stream("GET", path, headers={**headers, "connection": "close"}) as response:
        seen = 0
        for chunk in response.iter_bytes():
            seen += chunk.count(b"\n")
            if seen >= PAGE:
                break
    elapsed = time.perf_counter() - start
    if response.status_code != 200 or seen < PAGE:
        raise RuntimeError(f"{path}: {response.status_code}, {seen} lines")
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
    print(f"one {PAGE}-item page from the middle of the batch, median of {RUNS} requests")
    print(f"(file APIs: the first {PAGE} lines of the results file)\n")
    print(
        f"{'api':<10}{'batch':>11}  {'filter':<8}{'matching':>11}{'page ms':>9}"
        f"{'RSS MB at start':>17}{'after':>7}"
    )
    broken = []
    with TemporaryDirectory() as folder:
        for target in chosen(sys.argv[1:]):
            results = measure(target, Path(folder))
            for count, (times, (start, rss)) in results.items():
                for failed, (ms, total) in times.items():
                    label = "failed" if failed else "-"
                    print(
                        f"{target.api:<10}{count:>11,}  {label:<8}{total:>11,}{ms:>9.2f}"
                        f"{start:>17.1f}{rss:>7.1f}"
                    )
                if (target.api, count) in FIRST:
                    once = FIRST[target.api, count]
                    print(f"{'':<10}{'':>11}  first whole download (once): {once:.2f} s")
                if rss >= MAX_RSS_MB:
                    broken.append(f"{target.api} {count:,}: server RSS {rss:.1f} MB")
                print(f"{target.api}: RSS {rss:.1f} MB (aim < {MAX_RSS_MB} MB)")
            for failed in (False,) if target.file else (False, True):
                ratio = results[SIZES[-1]][0][failed][0] / results[SIZES[0]][0][failed][0]
                label = "failed" if failed else "unfiltered"
                print(
                    f"{target.api}: {label} page time ratio 1,000,000 / 1,000 = {ratio:.2f}"
                    f" (aim < {MAX_RATIO})"
                )
                if ratio >= MAX_RATIO:
                    broken.append(f"{target.api} {label}: ratio {ratio:.2f}")
    for problem in broken:
        print(f"over budget: {problem}", file=sys.stderr)
    return 1 if broken else 0


def chosen(argv: list[str]) -> list[Target]:
    """``TARGETS``, or those ``--apis a,b`` names."""
    if argv[:1] != ["--apis"] or len(argv) < 2:
        return TARGETS
    names = argv[1].split(",")
    unknown = set(names) - {t.api for t in TARGETS}
    if unknown:
        raise SystemExit(f"no target for {sorted(unknown)}: {[t.api for t in TARGETS]}")
    return [t for t in TARGETS if t.api in names]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
