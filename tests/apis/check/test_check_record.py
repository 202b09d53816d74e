"""``mockbatch record --api check``: a client's run recorded through mockbatch, replayed; and
a batch made of an uploaded file keeps the ID its create gave (a recorded batch's)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from record_helpers import Answer, answer, record_and_replay

from mockbatch import VirtualClock, create_app
from mockbatch.app import load_scenarios
from mockbatch.scenarios import Scenario
from mockbatch.transport import InProcessTransport

KEY = "vfy_live_do_not_write_5d7e3a"
HEADERS = {"Authorization": f"Bearer {KEY}"}
MAX_POLLS = 12  # a bound: the client gives up after this many reads of the batch
FINISHED = ("completed", "failed", "cancelled")
ROWS = [{"content": "The moon is made of cheese, a myth"}, {"content": "Water boils at 100 C"}]


def _upload(http: httpx.Client) -> Answer:
    files = {"file": ("claims.json", json.dumps(ROWS), "application/json")}
    return answer(http.post("/v1/batch/upload", files=files, headers=HEADERS))


def _wait(http: httpx.Client, clock: VirtualClock, batch: str, answers: list[Answer]) -> None:
    for _ in range(MAX_POLLS):
        clock.advance(1)
        answers.append(answer(http.get(f"/v1/batch/{batch}", headers=HEADERS)))
        if answers[-1][1]["status"] in FINISHED:
            return


def _client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """A batch of four items (one times out, one is slow), read early, polled until finished,
    every results page of two, the failures; a batch of an uploaded file; a cancel too late
    and a batch that does not exist."""
    items = [
        {"content": "Paris is the capital of France", "context": {"source": "atlas"}},
        {"content": "This claim will timeout", "idempotencyKey": "k-2"},
        {"content": "A slow claim"},
        {"content": "Maybe it rains"},
    ]
    body = {"name": "claims", "items": items, "options": {"acceptThreshold": 0.9}}
    answers = [answer(http.post("/v1/batch", json=body, headers=HEADERS))]
    batch = answers[0][1]["id"]
    results = f"/v1/batch/{batch}/results"
    answers.append(answer(http.get(results, headers=HEADERS)))
    _wait(http, clock, batch, answers)
    offset = 0
    while True:
        answers.append(answer(http.get(f"{results}?limit=2&offset={offset}", headers=HEADERS)))
        if not answers[-1][1]["pagination"]["hasMore"]:
            break
        offset += 2
    answers.append(answer(http.get(f"{results}?status=failed", headers=HEADERS)))
    answers.append(_upload(http))
    made = http.post("/v1/batch", json={"fileId": answers[-1][1]["fileId"]}, headers=HEADERS)
    answers.append(answer(made))
    _wait(http, clock, made.json()["id"], answers)
    answers.append(answer(http.get(f"/v1/batch/{made.json()['id']}/results", headers=HEADERS)))
    answers.append(answer(http.post(f"/v1/batch/{batch}/cancel", headers=HEADERS)))
    answers.append(answer(http.get("/v1/batch/batch_nosuchbatch", headers=HEADERS)))
    return answers


# "slow" claims start at the second poll and need four polls and three seconds.
TIMINGS = Scenario.from_dict(
    {
        "api": "check",
        "rules": [
            {
                "match": {"content": "*slow*"},
                "response": {"verdict": "true", "confidence": 0.99},
                "start": {"polls": 2},
                "after": {"polls": 4, "seconds": 3},
            },
        ],
    }
)


def _without_file_ids(answers: list[Answer]) -> list[Answer]:
    """The answers with uploads' fileId blanked: the format has no uploaded files, so a
    replay names the file the client uploads again its own way."""
    return [
        (s, {**b, "fileId": "-"}) if isinstance(b, dict) and "fileId" in b else (s, b)
        for s, b in answers
    ]


def test_a_recorded_run_replays_the_same_answers(tmp_path: Path) -> None:
    run = record_and_replay("check", _client, tmp_path, scenarios=[TIMINGS, *load_scenarios()])
    assert [s for s, _ in run.recorded[-2:]] == [400, 404]
    assert run.recorded[-2][1]["error"]["code"] == "CANNOT_CANCEL"
    assert [b["status"] for _, b in run.recorded[2:4]] == ["processing", "processing"]
    assert _without_file_ids(run.replayed) == _without_file_ids(run.recorded)
    assert "(uploadBatchFile) answered 200" in run.text  # the file says it is not replayed
    assert KEY not in run.text
    assert "authorization" in run.text


def test_a_batch_made_of_a_file_is_the_one_create_gave(tmp_path: Path) -> None:
    recorded = Scenario.from_dict(
        {"api": "check", "batches": [{"id": "batch_recorded1", "on_create": True, "items": []}]}
    )
    app = create_app(clock=VirtualClock(), root_api="check", scenarios=[recorded])
    with httpx.Client(transport=InProcessTransport(app), base_url="http://check") as http:
        file_id = _upload(http)[1]["fileId"]
        made = http.post("/v1/batch", json={"fileId": file_id}, headers=HEADERS)
        again = http.post("/v1/batch", json={"fileId": file_id}, headers=HEADERS)
    assert made.json()["id"] == "batch_recorded1"
    assert again.status_code == 409
    assert again.json()["error"]["message"] == (
        "File was already used by batch_recorded1; upload it again"
    )
