"""``mockbatch record --api trigger``: a client's run recorded through mockbatch, replayed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from record_helpers import Answer, answer, record_and_replay

from mockbatch import VirtualClock
from mockbatch.app import load_scenarios
from mockbatch.scenarios import Scenario

KEY = "tr_prod_do_not_write_8c2f1a"
HEADERS = {"Authorization": f"Bearer {KEY}"}
MAX_POLLS = 12  # a bound: the client gives up after this many retrieves
FINISHED = ("COMPLETED", "PARTIAL_FAILED", "ABORTED")


def _wait(http: httpx.Client, clock: VirtualClock, batch: str, answers: list[Answer]) -> None:
    """Retrieve the batch until it is finished (at most MAX_POLLS times)."""
    for _ in range(MAX_POLLS):
        clock.advance(1)
        answers.append(answer(http.get(f"/api/v2/batches/{batch}", headers=HEADERS)))
        if answers[-1][1]["status"] in FINISHED:
            return


def _runs(http: httpx.Client, batch: str, answers: list[Answer]) -> None:
    """Every page of two of the batch's runs."""
    query = f"/api/v1/runs?filter[batch]={batch}&page[size]=2"
    after = ""
    while True:
        page = answer(http.get(query + after, headers=HEADERS))
        answers.append(page)
        following = page[1]["pagination"].get("next")
        if not following:
            return
        after = f"&page[after]={following}"


def _client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """A two-phase batch whose items arrive after a poll, a one-shot batch; retrieves until
    finished, results, every runs page, one run's result, and a batch that does not exist."""
    created = http.post("/api/v3/batches", json={"runCount": 2}, headers=HEADERS)
    answers = [answer(created)]
    two_phase = created.json()["id"]
    answers.append(answer(http.get(f"/api/v2/batches/{two_phase}", headers=HEADERS)))
    clock.advance(1)
    lines = [{"index": i, "task": task, "payload": {"n": i}} for i, task in enumerate(("a", "b"))]
    ndjson = "\n".join(json.dumps(line) for line in lines)
    stream = {**HEADERS, "content-type": "application/x-ndjson"}
    answers.append(
        answer(http.post(f"/api/v3/batches/{two_phase}/items", content=ndjson, headers=stream))
    )
    _wait(http, clock, two_phase, answers)
    items = [
        {"task": "email-send", "payload": {"to": "a@example.com"}},
        {"task": "report-fail", "payload": {}},
        {"task": "slow-sync", "payload": {"all": True}},
        {"task": "email-send", "payload": {"to": "b@example.com"}},
    ]
    one_shot = http.post("/api/v2/tasks/batch", json={"items": items}, headers=HEADERS)
    answers.append(answer(one_shot))
    batch = one_shot.json()["id"]
    answers.append(answer(http.get(f"/api/v1/batches/{batch}/results", headers=HEADERS)))
    _wait(http, clock, batch, answers)
    answers.append(answer(http.get(f"/api/v1/batches/{batch}", headers=HEADERS)))
    answers.append(answer(http.get(f"/api/v1/batches/{batch}/results", headers=HEADERS)))
    _runs(http, batch, answers)
    run = answers[-1][1]["data"][-1]["id"]
    answers.append(answer(http.get(f"/api/v1/runs/{run}/result", headers=HEADERS)))
    answers.append(answer(http.get("/api/v2/batches/batch_nosuchbatch", headers=HEADERS)))
    return answers


# email-send starts at the second poll; slow-sync needs three polls and two seconds.
TIMINGS = Scenario.from_dict(
    {
        "api": "trigger",
        "rules": [
            {
                "match": {"task": "email-*"},
                "response": {"sent": True},
                "start": {"polls": 2},
                "after": {"polls": 2, "seconds": 1},
            },
            {
                "match": {"task": "slow-*"},
                "response": {"synced": 9},
                "after": {"polls": 3, "seconds": 2},
            },
            {"match": {"task": "b"}, "response": "done", "after": {"polls": 2}},
        ],
    }
)


def test_a_recorded_run_replays_the_same_answers(tmp_path: Path) -> None:
    run = record_and_replay("trigger", _client, tmp_path, scenarios=[TIMINGS, *load_scenarios()])
    statuses = [s for s, _ in run.recorded]
    assert statuses[:3] == [202, 200, 200] and statuses[-1] == 404
    retrieved = [b.get("status") for _, b in run.recorded if isinstance(b, dict)]
    assert "PROCESSING" in retrieved and "PARTIAL_FAILED" in retrieved
    assert run.replayed == run.recorded
    assert KEY not in run.text
    assert "authorization" in run.text  # the file says which header was dropped
