import httpx

DONE = ("COMPLETED", "PARTIAL_FAILED", "ABORTED")


def run_batch(http: httpx.Client, task: str, payloads: list[dict], sleep) -> list[dict]:
    """The client under test: trigger a batch, retrieve it until it is done, read its results."""
    items = [{"task": task, "payload": p} for p in payloads]
    batch = http.post("/api/v2/tasks/batch", json={"items": items}).json()["id"]
    while http.get(f"/api/v2/batches/{batch}").json()["status"] not in DONE:
        sleep(5)
    return http.get(f"/api/v1/batches/{batch}/results").json()["items"]


def test_trigger_client(mockbatch):
    auth = {"Authorization": "Bearer tr_dev_test"}
    with httpx.Client(base_url=mockbatch.base_url("trigger"), headers=auth) as http:
        results = run_batch(
            http, "flaky-sync", [{"n": n} for n in range(4)], mockbatch.clock.advance
        )
    assert [r["ok"] for r in results] == [True, False, True, False]  # every 2nd fails
    mockbatch.assert_stopped_polling()
    mockbatch.assert_results_read_once()
