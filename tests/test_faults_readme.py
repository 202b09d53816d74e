"""The README's faults example is ``tests/examples/faults.yaml``, and it does what its comments
say: each fault fires where it claims, latency composes with the answering fault, and among the
status and drop faults the first listed that fires answers (the others keep their ``times``).

Counts and the mock's clock only: no test here measures time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockbatch import Scenario, VirtualClock
from mockbatch.mock import Mock

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "examples" / "faults.yaml"
BATCH = "/ivvy/api/1.0/batch"
DONE = "e35e06ee592d17a42dc9e6252a058617"  # the docs' finished batch
RUNNING = "a7ec88af7d710bf51b188004bb532d77"  # the docs' running batch (one job per poll)
PING = [{"namespace": "test", "action": "ping", "params": {}}]  # done at the 3rd poll, 5 s on
DROPPED = "dropped"


def readme_block() -> str:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n## Faults\n")[1].split("\n## ")[0]
    found = re.search(r"```yaml\n(# tests/examples/faults\.yaml\n.*?)```", section, re.S)
    assert found, "the README's Faults section has no block starting # tests/examples/faults.yaml"
    return found.group(1)


def test_the_readme_example_is_the_tested_file() -> None:
    assert readme_block() == EXAMPLE.read_text("utf-8")


@pytest.fixture
def faulty(mock: Mock) -> Mock:
    mock.load(Scenario.from_path(EXAMPLE))
    return mock


def send(client: httpx.Client, action: str, body: dict[str, Any]) -> httpx.Response | str:
    try:
        return client.post(BATCH, params={"action": action}, json=body)
    except httpx.RemoteProtocolError:
        return DROPPED


def status(answer: httpx.Response | str) -> int | str:
    return answer if isinstance(answer, str) else answer.status_code


def test_request_faults_fire_where_the_comments_say(
    client: httpx.Client, faulty: Mock, clock: VirtualClock
) -> None:
    # request 1 (run): the drop (times: 1); 2 (run): the seeded 429 (its 2nd draw, 0.025)
    runs = [send(client, "run", {"jobs": PING}) for _ in range(3)]
    assert [status(r) for r in runs] == [DROPPED, 429, 200]
    assert isinstance(runs[2], httpx.Response)
    async_id = runs[2].json()["asyncId"]
    clock.advance(5)  # the shipped rule's 5 s: the batch completes at its 3rd answered poll

    polls = [send(client, "progress", {"async": async_id}) for _ in range(13)]

    # requests 4..16: progress #2 and #5 get 503 (requests 5 and 8: the 8th's 429 draw, 0.087,
    # loses to the 503 listed first and keeps its times), every 7th request 500 (7 and 14),
    # the seeded 429 at requests 10 and 13 (draws 0.030 and 0.027: its 2nd and 3rd time)
    assert [status(p) for p in polls] == [
        200, 503, 200, 500, 503, 200, 429, 200, 200, 429, 500, 200, 200,
    ]  # fmt: skip
    unavailable = polls[1]
    assert isinstance(unavailable, httpx.Response)
    assert unavailable.json() == {
        "errorCode": 503,
        "message": "Service Unavailable",
        "specificCode": 23000,
    }
    assert unavailable.headers["retry-after"] == "2"
    assert unavailable.headers["x-ratelimit-remaining"] == str(200 - 5)
    assert faulty.journal.entries()[0].outcome == "connection dropped (fault)"

    # expire_after: 3600 on every batch, counted from when it completed (at 5 s: the 3rd poll
    # that reached it, request 9)
    assert [p.json()["progress"] for p in polls if not isinstance(p, str) and p.is_success][:3] == [
        0,
        0,
        100,
    ]
    clock.advance(3599)
    assert status(send(client, "progress", {"async": async_id})) == 200
    clock.advance(1)
    gone = send(client, "progress", {"async": async_id})
    assert isinstance(gone, httpx.Response)
    assert (gone.status_code, gone.json()["specificCode"]) == (404, 24105)


def test_batch_faults_fire_where_the_comments_say(
    client: httpx.Client, faulty: Mock, clock: VirtualClock
) -> None:
    # the finished batch: polls 1-3 answer, the 4th finds nothing; the request faults still
    # fire in between (progress #2 and #5: 503, not polls)
    done = [send(client, "progress", {"async": DONE}) for _ in range(6)]
    assert [status(d) for d in done] == [200, 503, 200, 200, 503, 404]

    # the running batch is stalled: nothing finishes, whatever the polls and the clock
    # (requests 7..11: the every-7th 500, then the seeded 429 at draws 0.087 and 0.030)
    clock.advance(600)
    stalled = [send(client, "progress", {"async": RUNNING}) for _ in range(5)]
    seen = [(s.status_code, s.json().get("progress")) for s in stalled if not isinstance(s, str)]
    assert seen == [(500, None), (429, None), (200, 0), (429, None), (200, 0)]


def test_latency_composes_with_the_fault_that_answers(faulty: Mock) -> None:
    results = {"action": ["results"]}
    actions = [faulty.faults.for_request("ivvy", "batch", results) for _ in range(7)]

    # every results request waits 0.5 s; the 7th request also gets the every-7th 500
    assert [(a.latency, a.status, a.drop) if a else None for a in actions] == [
        (0.5, None, False),
        (0.5, 429, False),  # the seeded 429's 2nd draw
        *[(0.5, None, False)] * 4,
        (0.5, 500, False),
    ]


def add_faults(client: httpx.Client, *faults: dict[str, Any]) -> None:
    added = client.post(
        "/__mockbatch/faults", json={"faults": [{"api": "ivvy", **f} for f in faults]}
    )
    assert added.status_code == 201, added.text


def test_a_latency_fault_then_a_drop_both_apply(client: httpx.Client, mock: Mock) -> None:
    add_faults(client, {"latency": 0.001}, {"drop": True, "times": 1})

    answers = [send(client, "progress", {"async": DONE}) for _ in range(2)]

    assert [status(a) for a in answers] == [DROPPED, 200]
    assert [e.outcome for e in mock.journal.entries()] == [
        "delayed 0.001 s (fault), then connection dropped (fault)",
        "delayed 0.001 s (fault)",
    ]


def test_the_first_status_fault_listed_answers_the_others_keep_their_times(
    client: httpx.Client,
) -> None:
    add_faults(client, {"on": 1, "status": 503}, {"status": 500, "times": 1})

    answers = [send(client, "progress", {"async": DONE}) for _ in range(3)]

    assert [status(a) for a in answers] == [503, 500, 200]
