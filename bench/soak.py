"""Soak: many concurrent clients creating and polling batches on every API, for a bounded time.

    python bench/soak.py [--clients 200] [--seconds 20]

Starts the mock on 127.0.0.1 (a thread in this process, port 0, virtual clock), runs the clients,
and checks what a client must be able to rely on: no 5xx, no connection errors, every batch's
status monotonic (never back from finished), item counts consistent in every response, and every
request in the journal. Prints a summary; exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.journal import DEFAULT_LIMIT
from mockbatch.registry import provider


@dataclass
class Findings:
    """What the clients saw; ``problems`` must stay empty. With a ``clock``, each answer moves
    it on a second: the time a client waits between polls (the shipped scenarios finish a batch
    after polls *and* seconds, and nothing else moves a virtual clock)."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    batches: int = 0
    problems: list[str] = field(default_factory=list)
    clock: VirtualClock | None = None

    def answer(self, response: httpx.Response) -> httpx.Response:
        if self.clock is not None:
            self.clock.advance(1)
        self.requests += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.problems.append(
                f"{response.request.method} {response.request.url}: {response.status_code}"
            )
        return response


ClientLoop = Callable[[httpx.AsyncClient, Findings], Awaitable[None]]


async def ivvy(client: httpx.AsyncClient, seen: Findings) -> None:
    """Run a batch, poll progress until 100 and results until complete; progress never drops."""
    jobs = [
        {"namespace": "contact", "action": "addOrUpdateContact", "params": {"n": n}}
        for n in range(10)
    ]
    created = seen.answer(await client.post("/ivvy/api/1.0/batch?action=run", json={"jobs": jobs}))
    async_id = created.json()["asyncId"]
    seen.batches += 1
    last = -1
    for _ in range(50):
        progress = seen.answer(
            await client.post("/ivvy/api/1.0/batch?action=progress", json={"async": async_id})
        ).json()["progress"]
        if progress < last:
            seen.problems.append(f"ivvy {async_id}: progress went back from {last} to {progress}")
        last = progress
        results = seen.answer(
            await client.post("/ivvy/api/1.0/batch?action=results", json={"async": async_id})
        )
        if results.status_code == 200:
            if len(results.json()["results"]) != len(jobs):
                seen.problems.append(f"ivvy {async_id}: {len(results.json()['results'])} results")
            return
        if results.json().get("specificCode") != 24114:
            seen.problems.append(f"ivvy {async_id}: results answered {results.text}")
            return
    seen.problems.append(f"ivvy {async_id}: never finished")


TERMINAL = {"completed", "failed", "cancelled"}


async def runtype(client: httpx.AsyncClient, seen: Findings) -> None:
    """Submit, poll status until terminal (processed never drops), page the results."""
    auth = {"authorization": "Bearer rt_soak"}
    records = [f"rec_{n}" for n in range(12)]
    submitted = seen.answer(
        await client.post(
            "/runtype/v1/batch/flow",
            json={"flowId": "flow_12345abcde", "recordIds": records},
            headers=auth,
        )
    )
    batch_id = submitted.json()["batchExecutionId"]
    seen.batches += 1
    processed, status = -1, "queued"
    for _ in range(50):
        answer = seen.answer(await client.get(f"/runtype/v1/batch/status/{batch_id}", headers=auth))
        body = answer.json()
        if body["processedRecords"] < processed or body["totalRecords"] != len(records):
            seen.problems.append(f"runtype {batch_id}: status went back or miscounted: {body}")
        processed, status = body["processedRecords"], body["status"]
        if status in TERMINAL:
            break
    else:
        seen.problems.append(f"runtype {batch_id}: never finished")
    got: list[str] = []
    offset = 0
    while True:
        page = seen.answer(
            await client.get(
                f"/runtype/v1/schedules/batch/{batch_id}/results",
                params={"limit": "5", "offset": str(offset)},
                headers=auth,
            )
        ).json()
        got += [r["recordId"] for r in page["data"]]
        if page["pagination"]["total"] != len(records):
            seen.problems.append(f"runtype {batch_id}: total {page['pagination']['total']}")
        if not page["pagination"]["hasMore"]:
            break
        offset += 5
    if got != records:
        seen.problems.append(f"runtype {batch_id}: paged {got}")


async def check(client: httpx.AsyncClient, seen: Findings) -> None:
    """Create a batch, poll its results until terminal: counts agree with the items each time."""
    auth = {"authorization": "Bearer vfy_soak"}
    items = [{"content": f"Claim number {n}."} for n in range(8)]
    created = seen.answer(await client.post("/check/v1/batch", json={"items": items}, headers=auth))
    batch_id = created.json()["id"]
    seen.batches += 1
    processed = -1
    for _ in range(50):
        page = seen.answer(
            await client.get(
                f"/check/v1/batch/{batch_id}/results", params={"limit": "100"}, headers=auth
            )
        ).json()
        summary, listed = page["batch"], page["items"]
        done = [i for i in listed if i["status"] in ("completed", "failed", "skipped")]
        succeeded = sum(i["status"] == "completed" for i in listed)
        failed = sum(i["status"] == "failed" for i in listed)
        if (summary["successCount"], summary["failureCount"]) != (succeeded, failed):
            seen.problems.append(f"check {batch_id}: summary {summary} disagrees with its items")
        if summary["processedItems"] < processed or len(listed) != len(items):
            seen.problems.append(f"check {batch_id}: processed went back or items lost: {summary}")
        processed = summary["processedItems"]
        if summary["status"] in ("completed", "failed", "cancelled"):
            if len(done) != len(items):
                seen.problems.append(f"check {batch_id}: {summary['status']} with unfinished items")
            return
    seen.problems.append(f"check {batch_id}: never finished")


TRIGGER_AUTH = {"authorization": "Bearer tr_dev_soak"}
RANK = {"PENDING": 0, "PROCESSING": 1, "COMPLETED": 2, "PARTIAL_FAILED": 2, "ABORTED": 2}


def _trigger_line(index: int) -> str:
    payload = json.dumps({"json": {"n": index}})
    item = {"index": index, "task": "flaky-soak", "payload": payload,
            "options": {"payloadType": "application/super+json"}}  # fmt: skip
    return json.dumps(item) + "\n"


async def trigger(client: httpx.AsyncClient, seen: Findings) -> None:
    """Create a two-phase batch, send its items in two NDJSON requests, retrieve it until it is
    terminal (its status never goes back), then check results and every runs page agree."""
    count = 6
    created = seen.answer(
        await client.post("/trigger/api/v3/batches", json={"runCount": count}, headers=TRIGGER_AUTH)
    )
    batch_id = created.json()["id"]
    seen.batches += 1
    ndjson = {**TRIGGER_AUTH, "content-type": "application/x-ndjson"}
    for part in (range(3), range(3, count)):
        sent = seen.answer(
            await client.post(
                f"/trigger/api/v3/batches/{batch_id}/items",
                content="".join(_trigger_line(i) for i in part),
                headers=ndjson,
            )
        )
    if sent.json().get("sealed") is not True:
        seen.problems.append(f"trigger {batch_id}: not sealed after every item: {sent.text}")
    rank, runs = -1, []
    for _ in range(50):
        body = seen.answer(
            await client.get(f"/trigger/api/v2/batches/{batch_id}", headers=TRIGGER_AUTH)
        ).json()
        runs = body["runs"]
        if RANK[body["status"]] < rank or body["runCount"] != count or len(runs) != count:
            seen.problems.append(f"trigger {batch_id}: went back or miscounted: {body}")
        rank = RANK[body["status"]]
        if rank == 2:
            break
    else:
        seen.problems.append(f"trigger {batch_id}: never finished")
    items = seen.answer(
        await client.get(f"/trigger/api/v1/batches/{batch_id}/results", headers=TRIGGER_AUTH)
    ).json()["items"]
    if [item["id"] for item in items] != runs or sum(not item["ok"] for item in items) != 3:
        seen.problems.append(f"trigger {batch_id}: results disagree with the batch: {items}")
    listed: list[str] = []
    params = {"filter[batch]": batch_id, "page[size]": "4"}
    while True:
        page = seen.answer(
            await client.get("/trigger/api/v1/runs", params=params, headers=TRIGGER_AUTH)
        ).json()
        listed += [run["id"] for run in page["data"]]
        if "next" not in page["pagination"] or len(listed) > count:
            break
        params["page[after]"] = page["pagination"]["next"]
    if listed != runs:
        seen.problems.append(f"trigger {batch_id}: runs pages {listed} != {runs}")


OPENAI_AUTH = {"authorization": "Bearer sk-soak"}
OPENAI_RANK = {"validating": 0, "in_progress": 1, "finalizing": 2, "completed": 3}


async def openai(client: httpx.AsyncClient, seen: Findings) -> None:
    """Upload an input file, create a batch, retrieve it until completed (its status never goes
    back, its counts add up), then read its output and error files: one line per request."""
    count = 6
    lines = [
        {
            "custom_id": f"{'fail-' if n % 3 == 0 else ''}soak-{n}",
            "method": "POST",
            "url": "/v1/embeddings",
            "body": {"model": "text-embedding-3-small", "input": f"text {n}"},
        }
        for n in range(count)
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    uploaded = seen.answer(
        await client.post(
            "/openai/v1/files",
            files={"file": ("soak.jsonl", data)},
            data={"purpose": "batch"},
            headers=OPENAI_AUTH,
        )
    )
    body = {"input_file_id": uploaded.json()["id"], "endpoint": "/v1/embeddings",
            "completion_window": "24h"}  # fmt: skip
    created = seen.answer(await client.post("/openai/v1/batches", json=body, headers=OPENAI_AUTH))
    batch_id = created.json()["id"]
    seen.batches += 1
    rank, batch = -1, created.json()
    for _ in range(50):
        batch = seen.answer(
            await client.get(f"/openai/v1/batches/{batch_id}", headers=OPENAI_AUTH)
        ).json()
        counts = batch["request_counts"]
        if OPENAI_RANK[batch["status"]] < rank or counts["total"] not in (0, count):
            seen.problems.append(f"openai {batch_id}: went back or miscounted: {batch}")
        rank = OPENAI_RANK[batch["status"]]
        if rank == 3:
            break
    else:
        seen.problems.append(f"openai {batch_id}: never completed")
    got = 0
    for key in ("output_file_id", "error_file_id"):
        answer = seen.answer(
            await client.get(f"/openai/v1/files/{batch[key]}/content", headers=OPENAI_AUTH)
        )
        got += len(answer.content.splitlines())
    if got != count or batch["request_counts"] != {"total": count, "completed": 4, "failed": 2}:
        seen.problems.append(f"openai {batch_id}: {got} lines, counts {batch['request_counts']}")


ANTHROPIC_HEADERS = {"x-api-key": "sk-ant-soak", "anthropic-version": "2023-06-01"}
ANTHROPIC_RANK = {"in_progress": 0, "canceling": 1, "ended": 2}
ANTHROPIC_API = "/anthropic/v1/messages/batches"


def _anthropic_counts(batch_id: str, body: dict[str, object], count: int, seen: Findings) -> None:
    counts = body["request_counts"]
    if not isinstance(counts, dict) or sum(counts.values()) != count:
        seen.problems.append(f"anthropic {batch_id}: counts do not sum to {count}: {body}")
    elif body["processing_status"] != "ended" and counts["processing"] != count:
        seen.problems.append(f"anthropic {batch_id}: a request left processing early: {body}")


async def anthropic(client: httpx.AsyncClient, seen: Findings) -> None:
    """Create a batch, retrieve it twice (in progress, counts summing to its requests), cancel
    it, retrieve until ended (never back), read its results, then delete it."""
    count, headers = 5, ANTHROPIC_HEADERS
    params = {
        "model": "claude-soak",
        "max_tokens": 8,
        "messages": [{"role": "user", "content": "x"}],
    }
    requests = [{"custom_id": f"soak-{n}", "params": params} for n in range(count)]
    created = seen.answer(
        await client.post(ANTHROPIC_API, json={"requests": requests}, headers=headers)
    )
    batch_id = created.json()["id"]
    seen.batches += 1
    rank = 0
    for step in range(50):
        if step == 2:
            seen.answer(await client.post(f"{ANTHROPIC_API}/{batch_id}/cancel", headers=headers))
        body = seen.answer(await client.get(f"{ANTHROPIC_API}/{batch_id}", headers=headers)).json()
        _anthropic_counts(batch_id, body, count, seen)
        if ANTHROPIC_RANK[body["processing_status"]] < rank:
            seen.problems.append(f"anthropic {batch_id}: status went back: {body}")
        rank = ANTHROPIC_RANK[body["processing_status"]]
        if rank == 2:
            break
    else:
        seen.problems.append(f"anthropic {batch_id}: never ended")
    lines = seen.answer(await client.get(f"{ANTHROPIC_API}/{batch_id}/results", headers=headers))
    got = [json.loads(line)["custom_id"] for line in lines.text.splitlines()]
    if got != [r["custom_id"] for r in requests]:
        seen.problems.append(f"anthropic {batch_id}: results {got}")
    gone = seen.answer(await client.delete(f"{ANTHROPIC_API}/{batch_id}", headers=headers))
    if gone.json() != {"id": batch_id, "type": "message_batch_deleted"}:
        seen.problems.append(f"anthropic {batch_id}: delete answered {gone.text}")


LOOPS: dict[str, ClientLoop] = {
    "ivvy": ivvy,
    "trigger": trigger,
    "runtype": runtype,
    "check": check,
    "openai": openai,
    "anthropic": anthropic,
}
POLLS = 5  # reads of the shipped batch by a profile loop


def loop_for(api: str) -> ClientLoop:
    """``api``'s own client loop, else one from its test profile: a provider registered by
    another package is soaked too, and one with neither fails (it is never skipped)."""
    if api in LOOPS:
        return LOOPS[api]
    profile = provider(api).profile
    if not profile.batch_id:
        raise ValueError(f"{api} has no soak client and no test profile to make one from")

    async def reads(client: httpx.AsyncClient, seen: Findings) -> None:
        """Read the profile's shipped (finished) batch: 200 every time, the same answer."""
        method, path, body = profile.poll
        seen.batches += 1
        answers = []
        for _ in range(POLLS):
            sent = client.request(method, f"/{api}{path}", json=body, headers=dict(profile.headers))
            answer = seen.answer(await sent)
            if answer.status_code != 200:
                seen.problems.append(f"{api} {path}: {answer.status_code} {answer.text[:200]}")
                return
            answers.append(answer.json())
        if any(a != answers[0] for a in answers):
            seen.problems.append(f"{api} {path}: a finished batch's answer changed: {answers}")

    return reads


async def _client(
    base_url: str, jobs: list[ClientLoop], until: float | None, seen: Findings, n: int
) -> None:
    """Take jobs off the shared list until it is empty; with ``until``, go round the list
    (starting at job ``n``) until time is up instead."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        i = n
        while jobs and (until is None or time.perf_counter() < until):
            loop = jobs.pop() if until is None else jobs[i % len(jobs)]
            i += 1
            try:
                await loop(client, seen)
            except httpx.TransportError as exc:
                seen.problems.append(f"connection error: {type(exc).__name__}: {exc}")


def soak(
    *,
    clients: int,
    batches: int | None = None,
    seconds: float | None = None,
    apis: list[str] | None = None,
    timeout: float = 600.0,
) -> Findings:
    """Run the soak against a fresh mock; returns what was seen (problems empty when all held).

    With ``batches``, exactly that many batches per API are run, however long they take (up to
    ``timeout``): the amount of work is fixed, so a test can rely on it on a busy machine. With
    ``seconds``, clients go round until time is up (the benchmark's mode).
    """
    if (batches is None) == (seconds is None):
        raise ValueError("give either batches (a fixed amount of work) or seconds")
    clock = VirtualClock()
    app = create_app(clock=clock, journal_limit=max(DEFAULT_LIMIT, 10_000_000))
    names = [n for n in (apis or app.state.apis) if n in app.state.apis]
    loops = [loop_for(n) for n in names]
    jobs = [loop for _ in range(batches or 1) for loop in loops]
    seen = Findings(clock=clock)
    with ServerThread(app) as server:
        until = None if seconds is None else time.perf_counter() + seconds

        async def main() -> None:
            runs = (_client(server.url, jobs, until, seen, n) for n in range(clients))
            await asyncio.wait_for(asyncio.gather(*runs), timeout)

        asyncio.run(main())
    journaled = len([e for e in app.state.mock.journal.entries() if e.kind == "request"])
    if journaled != seen.requests:
        seen.problems.append(f"journal has {journaled} requests, clients sent {seen.requests}")
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--api", action="append", help="only these APIs (default: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    seen = soak(clients=args.clients, seconds=args.seconds, apis=args.api)
    elapsed = time.perf_counter() - started
    print(
        f"{args.clients} clients, {elapsed:.1f} s: {seen.requests} requests "
        f"({seen.requests / elapsed:.0f}/s), {seen.batches} batches, statuses {dict(seen.statuses)}"
    )
    for problem in seen.problems[:20]:
        print(f"PROBLEM: {problem}")
    print("ok" if not seen.problems else f"{len(seen.problems)} problems")
    return 1 if seen.problems else 0


if __name__ == "__main__":
    sys.exit(main())
