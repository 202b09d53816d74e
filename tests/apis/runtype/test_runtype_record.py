"""``mockbatch record --api runtype``: a client's run recorded through mockbatch, replayed."""

from __future__ import annotations

from pathlib import Path

import httpx
from record_helpers import Answer, answer, record_and_replay

from mockbatch import VirtualClock
from mockbatch.app import load_scenarios
from mockbatch.scenarios import Scenario

KEY = "rt_live_do_not_write_4b1c9e"
HEADERS = {"Authorization": f"Bearer {KEY}"}
MAX_POLLS = 12  # a bound: the client gives up after this many status polls
FINISHED = ("completed", "failed", "cancelled")


def _client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """Submit five records, read a page early, poll the status until it is finished, read
    every page of two, the failures, a bad page and a batch that does not exist."""
    body = {
        "flowId": "flow_12345abcde",
        "recordIds": ["rec_98765zyxwv", "rec_13579fghij"],
        "records": [{"name": "Ann Lee", "type": "user"}, {"name": "Slow Sync", "type": "user"}],
    }
    body["records"].append({"name": "Bo Ray", "type": "user", "metadata": {"tier": 2}})
    answers = [answer(http.post("/v1/batch/flow", json=body, headers=HEADERS))]
    batch = answers[0][1]["batchExecutionId"]
    status = f"/v1/batch/status/{batch}"
    results = f"/v1/schedules/batch/{batch}/results"
    answers.append(answer(http.get(status, headers=HEADERS)))
    answers.append(answer(http.get(results, headers=HEADERS)))
    for _ in range(MAX_POLLS):
        clock.advance(1)
        answers.append(answer(http.get(status, headers=HEADERS)))
        if answers[-1][1]["status"] in FINISHED:
            break
    offset = 0
    while True:
        page = answer(http.get(f"{results}?limit=2&offset={offset}", headers=HEADERS))
        answers.append(page)
        if not page[1]["pagination"]["hasMore"]:
            break
        offset += 2
    answers.append(answer(http.get(f"{results}?status=failed", headers=HEADERS)))
    answers.append(answer(http.get(f"{results}?limit=0", headers=HEADERS)))
    answers.append(answer(http.post(f"/v1/batch/cancel/{batch}", headers=HEADERS)))
    answers.append(answer(http.get("/v1/batch/status/no-such-batch", headers=HEADERS)))
    return answers


# Every record waits until the second poll; Ann starts a poll later; Slow Sync needs five
# polls and three seconds; names starting with Fail fail.
TIMINGS = Scenario.from_dict(
    {
        "api": "runtype",
        "rules": [
            {
                "match": {"record.name": "Ann*"},
                "response": {"result": {"n": 1}},
                "start": {"polls": 3},
                "after": {"polls": 4},
            },
            {
                "match": {"record.name": "Slow*"},
                "response": {"result": {"synced": 9}},
                "start": {"polls": 2},
                "after": {"polls": 5, "seconds": 3},
            },
            {
                "match": {"record.name": "Fail*"},
                "error": "Step 'Validate record' failed",
                "start": {"polls": 2},
                "after": {"polls": 3},
            },
        ],
        "default": {"response": {}, "start": {"polls": 2}, "after": {"polls": 3}},
    }
)


def test_a_recorded_run_replays_the_same_answers(tmp_path: Path) -> None:
    run = record_and_replay("runtype", _client, tmp_path, scenarios=[TIMINGS, *load_scenarios()])
    statuses = [body.get("status") for _, body in run.recorded[1:8] if isinstance(body, dict)]
    assert statuses[0] == "queued"
    assert "running" in statuses and "completed" in statuses
    assert [s for s, _ in run.recorded[-4:]] == [200, 400, 200, 404]
    assert run.recorded[-2][1]["success"] is False
    assert run.replayed == run.recorded
    assert KEY not in run.text
    assert "authorization" in run.text  # the file says which header was dropped
