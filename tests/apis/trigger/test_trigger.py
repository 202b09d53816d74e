"""Trigger.dev batches over HTTP: the documented example, a client's whole loop, every batch
status, idempotency, NDJSON items over several requests, results and run pages."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from mockbatch import VirtualClock, create_app
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

from .helpers import (
    API,
    BATCH_ID,
    KEY,
    RUN_ID,
    create,
    line,
    results,
    retrieve,
    runs,
    stream,
    trigger,
)

TERMINAL = ("COMPLETED", "PARTIAL_FAILED", "ABORTED")
BOOM = {
    "type": "BUILT_IN_ERROR",
    "name": "Error",
    "message": "boom",
    "stackTrace": "Error: boom\n    at run (src/trigger/my-task.ts:5:11)",
}


def poll_until_done(client: httpx.Client, clock: VirtualClock, batch_id: str) -> list[str]:
    """Retrieve every 5 seconds (of the virtual clock) until the batch is finished."""
    seen: list[str] = []
    while not seen or seen[-1] not in TERMINAL:
        if seen:
            clock.advance(5)
        seen.append(retrieve(client, batch_id)["status"])
        assert len(seen) < 10, f"{batch_id} never finished: {seen}"
    return seen


# -- the documentation's example --------------------------------------------------------------


def test_docs_results_example_has_successful_and_failed_runs(client: httpx.Client) -> None:
    response = client.get(f"{API}/v1/batches/batch_1234/results", headers=KEY)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "batch_1234"
    assert [item["ok"] for item in body["items"]] == [True, False, True, False]
    ok, boom, done, oops = body["items"]
    assert re.fullmatch(RUN_ID, ok["id"])
    assert ok == {
        "ok": True,
        "id": ok["id"],
        "output": '{"a":1}',
        "outputType": "application/json",
        "usage": {"durationMs": 0},
        "taskIdentifier": "my-task",
    }
    assert json.loads(done["output"]) == {"b": 1, "done": True}
    assert boom["error"] == BOOM
    assert oops["error"] == {"type": "STRING_ERROR", "raw": "oops"}
    assert [item["taskIdentifier"] for item in body["items"]] == [
        "my-task",
        "my-task",
        "other-task",
        "other-task",
    ]


def test_docs_batch_retrieved_in_both_shapes(client: httpx.Client) -> None:
    v2 = retrieve(client, "batch_1234", version=2)
    v1 = retrieve(client, "batch_1234", version=1)

    run_ids = [item["id"] for item in results(client, "batch_1234")]
    assert v2 == {
        "id": "batch_1234",
        "status": "PARTIAL_FAILED",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "runCount": 4,
        "runs": run_ids,
        "processingCompletedAt": "2026-01-01T00:00:00.000Z",
        "processing": {"completedAt": "2026-01-01T00:00:00.000Z", "errors": []},
    }
    assert v1 == {
        "id": "batch_1234",
        "status": "PARTIAL_FAILED",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
        "runCount": 4,
        "runs": run_ids,
        "successfulRunCount": 2,
        "failedRunCount": 2,
    }


# -- a client's loop --------------------------------------------------------------------------


def test_two_phase_batch_with_items_over_several_requests(
    client: httpx.Client, clock: VirtualClock
) -> None:
    created = create(client, 3, taskIdentifiers=["slow-task"])
    assert created.status_code == 202
    batch_id = created.json()["id"]
    assert re.fullmatch(BATCH_ID, batch_id)
    assert created.json() == {"id": batch_id, "runCount": 3, "isCached": False}
    claims = json.loads(created.headers["x-trigger-jwt-claims"])
    assert claims["pub"] is True and claims["sub"].startswith("c")

    waiting = retrieve(client, batch_id)
    assert (waiting["status"], waiting["runs"], waiting["processing"]) == (
        "PENDING",
        [],
        {"errors": []},
    )

    first = stream(client, batch_id, line(0, "slow-task", {"n": 0}), line(1, "slow-task", {"n": 1}))
    assert first.status_code == 200
    assert first.json() == {
        "id": batch_id,
        "itemsAccepted": 2,
        "itemsDeduplicated": 0,
        "sealed": False,
        "enqueuedCount": 2,
        "expectedCount": 3,
    }
    assert len(retrieve(client, batch_id)["runs"]) == 2

    # a resend of item 1 is deduplicated by its index; item 2 seals the batch
    second = stream(
        client, batch_id, line(1, "slow-task", {"n": 1}), line(2, "slow-task", {"n": 2})
    )
    assert second.json() == {
        "id": batch_id,
        "itemsAccepted": 1,
        "itemsDeduplicated": 1,
        "sealed": True,
    }

    # slow-* runs finish 5 polls and 20 seconds after they arrive (items 0-1 at poll 1, item 2
    # at poll 2): polls 3 to 6 (0 to 15 seconds) see them unfinished, poll 7 at 20 seconds done
    assert poll_until_done(client, clock, batch_id) == [*["PROCESSING"] * 4, "COMPLETED"]
    done = retrieve(client, batch_id)
    assert "completedAt" in done["processing"]
    assert [json.loads(item["output"]) for item in results(client, batch_id)] == [
        {"ok": True, "payload": {"n": n}} for n in range(3)
    ]


def test_results_grow_as_runs_finish(client: httpx.Client) -> None:
    # batch_processing: one run finishes per poll; the third fails
    seen = [[item["ok"] for item in results(client, "batch_processing")] for _ in range(3)]

    assert seen == [[True], [True, True], [True, True, False]]
    crashed = results(client, "batch_processing")[2]
    assert crashed["error"] == {
        "type": "INTERNAL_ERROR",
        "code": "TASK_RUN_CRASHED",
        "message": "Worker crashed",
    }
    assert retrieve(client, "batch_processing", version=1)["failedRunCount"] == 1


def test_runs_finish_by_the_clock(client: httpx.Client, mock: Mock) -> None:
    assert isinstance(mock.clock, VirtualClock)
    batch_id = trigger(client, "timed-task", [{"t": 1}])  # starts after 5 s, done after 30 s

    def the_run() -> dict[str, object]:
        run: dict[str, object] = runs(client, batch_id)["data"][0]
        return run

    queued = the_run()
    assert (queued["status"], queued["isQueued"], "startedAt" in queued) == ("QUEUED", True, False)
    mock.clock.advance(5)
    executing = the_run()
    assert (executing["status"], executing["startedAt"]) == (
        "EXECUTING",
        "2026-01-01T00:00:05.000Z",
    )
    assert retrieve(client, batch_id)["status"] == "PROCESSING"
    mock.clock.advance(25)
    done = the_run()
    assert (done["status"], done["isSuccess"], done["durationMs"]) == ("COMPLETED", True, 25000)
    assert done["finishedAt"] == "2026-01-01T00:00:30.000Z"
    assert results(client, batch_id)[0]["usage"] == {"durationMs": 25000}


# -- batch statuses ---------------------------------------------------------------------------


def test_each_batch_status(client: httpx.Client) -> None:
    pending = retrieve(client, "batch_pending")
    assert (pending["status"], pending["runCount"], len(pending["runs"])) == ("PENDING", 3, 1)
    assert pending["idempotencyKey"] == "pending-batch"
    assert retrieve(client, "batch_processing")["status"] == "PROCESSING"
    generated = retrieve(client, "batch_generated")
    assert (generated["status"], generated["runCount"]) == ("COMPLETED", 2500)
    assert len(generated["runs"]) == 1000  # Trigger's 1,000-run batch limit caps the list
    assert retrieve(client, "batch_1234")["status"] == "PARTIAL_FAILED"
    assert [retrieve(client, "batch_aborted")["status"] for _ in range(2)] == [
        "PROCESSING",
        "ABORTED",
    ]


def test_aborted_batch_cancels_the_running_run(client: httpx.Client) -> None:
    assert retrieve(client, "batch_aborted", version=1)["status"] == "PROCESSING"
    aborted = retrieve(client, "batch_aborted", version=1)

    assert (aborted["status"], aborted["successfulRunCount"], aborted["failedRunCount"]) == (
        "ABORTED",
        1,
        1,
    )
    finished, cancelled = results(client, "batch_aborted")
    assert finished["ok"] is True
    assert cancelled == {
        "ok": False,
        "id": cancelled["id"],
        "error": {"type": "INTERNAL_ERROR", "code": "TASK_RUN_CANCELLED"},
        "taskIdentifier": "slow-task",
    }
    listed = runs(client, "batch_aborted")["data"]
    assert [(r["status"], r["isCancelled"], r["isFailed"]) for r in listed] == [
        ("COMPLETED", False, False),
        ("CANCELED", True, True),
    ]
    # the cancelled run would have finished at poll 5: it stays cancelled
    assert {retrieve(client, "batch_aborted")["status"] for _ in range(3)} == {"ABORTED"}


def test_abort_rule_aborts_a_created_batch(client: httpx.Client) -> None:
    batch_id = create(client, 2).json()["id"]
    stream(client, batch_id, line(0, "my-task", {"a": 1}), line(1, "abort-task", {"a": 2}))

    # aborted at the second poll after the abort-* item arrived, before any run finished
    assert retrieve(client, batch_id)["status"] == "PROCESSING"
    assert retrieve(client, batch_id)["status"] == "ABORTED"
    assert [r["status"] for r in runs(client, batch_id)["data"]] == ["CANCELED", "CANCELED"]
    refused = stream(client, batch_id, line(1, "abort-task"))
    assert refused.status_code == 422
    assert refused.json() == {
        "error": f"Batch {batch_id} is already sealed and cannot accept more items"
    }


def test_streaming_the_missing_items_seals_a_pending_batch(
    client: httpx.Client, clock: VirtualClock
) -> None:
    sealed = stream(client, "batch_pending", line(1, "my-task", {"n": 1}), line(2, "my-task"))

    assert sealed.json() == {
        "id": "batch_pending",
        "itemsAccepted": 2,
        "itemsDeduplicated": 0,
        "sealed": True,
    }
    # the shipped default: runs finish at the third poll, 5 seconds after they arrived
    assert poll_until_done(client, clock, "batch_pending") == ["PROCESSING"] * 2 + ["COMPLETED"]
    outputs = [json.loads(item["output"]) for item in results(client, "batch_pending")]
    assert outputs == [{"n": 0}, {"ok": True, "payload": {"n": 1}}, {"ok": True, "payload": None}]


# -- idempotency ------------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_cached_batch(client: httpx.Client) -> None:
    first = create(client, 2, idempotencyKey="nightly-2026-01-01")
    again = create(client, 2, idempotencyKey="nightly-2026-01-01")
    other = create(client, 2, idempotencyKey="nightly-2026-01-02")

    batch_id = first.json()["id"]
    assert (first.status_code, first.json()["idempotencyKey"]) == (202, "nightly-2026-01-01")
    assert again.status_code == 200
    assert again.json() == {"id": batch_id, "runCount": 2, "isCached": True}
    assert other.json()["id"] != batch_id
    assert retrieve(client, batch_id)["idempotencyKey"] == "nightly-2026-01-01"
    scenario = create(client, 3, idempotencyKey="pending-batch")
    assert scenario.json() == {"id": "batch_pending", "runCount": 3, "isCached": True}


def test_legacy_routes_are_idempotent_by_header(client: httpx.Client) -> None:
    body = {"items": [{"task": "my-task", "payload": {"a": 1}}]}
    headers = {**KEY, "idempotency-key": "legacy-1"}
    first = client.post(f"{API}/v1/tasks/batch", headers=headers, json=body)
    again = client.post(f"{API}/v1/tasks/batch", headers=headers, json=body)

    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["isCached"] is False and again.json()["isCached"] is True
    assert again.json()["id"] == first.json()["id"]
    assert [r["id"] for r in again.json()["runs"]] == [r["id"] for r in first.json()["runs"]]

    one_task = {"items": [{"payload": {"b": 1}}]}
    headers = {**KEY, "idempotency-key": "legacy-2"}
    task_first = client.post(f"{API}/v1/tasks/my-task/batch", headers=headers, json=one_task)
    task_again = client.post(f"{API}/v1/tasks/my-task/batch", headers=headers, json=one_task)
    assert task_again.json() == task_first.json()

    retried = {**KEY, "x-trigger-request-idempotency-key": "4f1c0d3e-request"}
    v2_first = client.post(f"{API}/v2/tasks/batch", headers=retried, json=body)
    v2_again = client.post(f"{API}/v2/tasks/batch", headers=retried, json=body)
    assert (v2_first.status_code, v2_again.status_code) == (202, 200)
    assert v2_again.json() == v2_first.json()


# -- one-shot routes --------------------------------------------------------------------------


def test_one_shot_batch_v2(client: httpx.Client, clock: VirtualClock) -> None:
    items = [
        {"task": "my-task", "payload": {"a": 1}},
        {"task": "report-fail", "payload": {"a": 2}},
    ]
    response = client.post(f"{API}/v2/tasks/batch", headers=KEY, json={"items": items})

    assert response.status_code == 202
    batch_id = response.json()["id"]
    assert response.json() == {"id": batch_id, "runCount": 2}
    assert poll_until_done(client, clock, batch_id) == ["PROCESSING"] * 2 + ["PARTIAL_FAILED"]
    ok, failed = results(client, batch_id)
    assert json.loads(ok["output"]) == {"ok": True, "payload": {"a": 1}}
    assert failed["error"]["type"] == "BUILT_IN_ERROR"
    assert failed["error"]["message"] == "report-fail failed"


def test_legacy_batch_routes_return_their_runs(client: httpx.Client) -> None:
    items = [
        {"task": "my-task", "payload": 1, "options": {"idempotencyKey": "item-1", "tags": "t1"}},
        {"task": "other-task", "payload": 2},
    ]
    legacy = client.post(f"{API}/v1/tasks/batch", headers=KEY, json={"items": items})
    assert legacy.status_code == 202
    body = legacy.json()
    assert re.fullmatch(BATCH_ID, body["id"]) and body["isCached"] is False
    assert [
        (r["taskIdentifier"], r["isCached"], r.get("idempotencyKey")) for r in body["runs"]
    ] == [
        ("my-task", False, "item-1"),
        ("other-task", False, None),
    ]
    listed = runs(client, body["id"])["data"]
    assert [r["id"] for r in listed] == [r["id"] for r in body["runs"]]
    assert (listed[0]["idempotencyKey"], listed[0]["tags"]) == ("item-1", ["t1"])

    one_task = client.post(
        f"{API}/v1/tasks/my-task/batch", headers=KEY, json={"items": [{"payload": 1}, {}]}
    )
    assert one_task.status_code == 200
    batch_id, run_ids = one_task.json()["batchId"], one_task.json()["runs"]
    assert len(run_ids) == 2 and all(re.fullmatch(RUN_ID, r) for r in run_ids)
    assert [r["taskIdentifier"] for r in runs(client, batch_id)["data"]] == ["my-task"] * 2


# -- runs lists and run results ---------------------------------------------------------------


def test_runs_list_pages_through_a_large_batch(client: httpx.Client) -> None:
    first = runs(client, "batch_generated", size=100)
    assert len(first["data"]) == 100
    assert first["pagination"] == {"next": first["data"][-1]["id"]}

    second = runs(client, "batch_generated", size=100, after=first["pagination"]["next"])
    assert second["pagination"] == {
        "next": second["data"][-1]["id"],
        "previous": second["data"][0]["id"],
    }
    back = runs(client, "batch_generated", size=100, before=second["pagination"]["previous"])
    assert [r["id"] for r in back["data"]] == [r["id"] for r in first["data"]]

    seen, page = [], first
    while True:
        seen.extend(r["id"] for r in page["data"])
        if "next" not in page["pagination"]:
            break
        page = runs(client, "batch_generated", size=100, after=page["pagination"]["next"])
    assert len(seen) == len(set(seen)) == 2500


def test_runs_list_items_carry_what_the_sdk_requires(client: httpx.Client) -> None:
    run = runs(client, "batch_1234", size=1)["data"][0]

    required = {
        "id", "status", "taskIdentifier", "isQueued", "isExecuting", "isWaiting",
        "isCompleted", "isSuccess", "isFailed", "isCancelled", "isTest", "createdAt",
        "updatedAt", "tags", "costInCents", "baseCostInCents", "durationMs", "env",
    }  # fmt: skip
    assert required <= set(run)
    assert (run["status"], run["isCompleted"], run["isSuccess"]) == ("COMPLETED", True, True)
    assert run["env"]["name"] == "dev"
    prod = client.get(
        f"{API}/v1/runs",
        headers={"Authorization": "Bearer tr_prod_live"},
        params={"filter[batch]": "batch_1234"},
    )
    assert prod.json()["data"][0]["env"]["name"] == "prod"


def test_runs_list_filters_by_status_and_task(client: httpx.Client) -> None:
    failed = runs(client, "batch_1234", status="FAILED")["data"]
    failing_results = [item["id"] for item in results(client, "batch_1234") if not item["ok"]]
    assert [r["id"] for r in failed] == failing_results
    both = runs(client, "batch_1234", status="COMPLETED,FAILED", task="other-task")["data"]
    assert [(r["taskIdentifier"], r["status"]) for r in both] == [
        ("other-task", "COMPLETED"),
        ("other-task", "FAILED"),
    ]
    assert runs(client, "batch_generated", status="QUEUED,EXECUTING")["data"] == []
    assert runs(client, "batch_1234", after="run_cunknown000000000000000000") == {
        "data": [],
        "pagination": {},
    }


def test_runs_list_without_a_batch_lists_every_batch(client: httpx.Client) -> None:
    everything = runs(client, size=100)
    batch_runs = retrieve(client, "batch_1234")["runs"]

    assert [r["id"] for r in everything["data"][:4]] == batch_runs
    assert len(everything["data"]) == 100 and "next" in everything["pagination"]


def test_run_result_once_the_run_finished(client: httpx.Client) -> None:
    run_ids = retrieve(client, "batch_processing")["runs"]  # poll 1: the first run finished
    first = client.get(f"{API}/v1/runs/{run_ids[0]}/result", headers=KEY)
    assert first.status_code == 200
    assert first.json() == results(client, "batch_processing")[0]

    last = client.get(f"{API}/v1/runs/{run_ids[2]}/result", headers=KEY)  # poll 3 of 3
    assert last.status_code == 200
    assert last.json()["error"]["code"] == "TASK_RUN_CRASHED"


# -- serving --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_served_at_the_root_with_api_trigger(version: int) -> None:
    app = create_app(clock=VirtualClock(), root_api="trigger", check_responses=True)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
        response = http.get(f"/api/v{version}/batches/batch_1234", headers=KEY)

    assert response.status_code == 200
    assert response.json()["status"] == "PARTIAL_FAILED"
