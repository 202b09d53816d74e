"""Batch controls: ``POST /__mockbatch/batches/{api}/{id}/cancel`` and ``.../finish``."""

from __future__ import annotations

import httpx

C = "/__mockbatch/batches"
RESULTS = "/ivvy/api/1.0/batch?action=results"
RUNNING = "a7ec88af7d710bf51b188004bb532d77"  # shipped: one job finishes per poll
GENERATED = "batch_generated1m"  # shipped Check batch: one item a millisecond, every 50th fails


def test_finish_completes_every_item_now_with_its_outcome(client: httpx.Client) -> None:
    assert client.post(RESULTS, json={"async": RUNNING}).json()["specificCode"] == 24114
    client.post("/__mockbatch/clock", json={"advance": 30})

    finished = client.post(f"{C}/ivvy/{RUNNING}/finish")

    assert finished.status_code == 200
    body = finished.json()
    assert (body["completed_at"], body["cancelled_at"]) == ("2026-01-01T00:00:30+00:00", None)
    assert [i["state"] for i in body["items"]] == ["succeeded"] * 3
    results = client.post(RESULTS, json={"async": RUNNING})
    assert (results.status_code, len(results.json()["results"])) == (200, 3)


def test_finish_a_generated_batch_keeps_its_failures(client: httpx.Client) -> None:
    client.post("/__mockbatch/clock", json={"advance": 1})

    body = client.post(f"{C}/check/{GENERATED}/finish").json()

    assert body["completed_at"] == "2026-01-01T00:00:01+00:00"
    assert body["counts"] == {
        "pending": 0,
        "running": 0,
        "succeeded": 980_000,
        "failed": 20_000,
        "cancelled": 0,
    }


def test_cancel_stops_the_unfinished_items_now(client: httpx.Client) -> None:
    client.post(RESULTS, json={"async": RUNNING})  # the first job finishes at this poll

    cancelled = client.post(f"{C}/ivvy/{RUNNING}/cancel")

    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["cancelled_at"] == body["completed_at"] == "2026-01-01T00:00:00+00:00"
    assert [i["state"] for i in body["items"]] == ["succeeded", "cancelled", "cancelled"]
    again = client.post(f"{C}/ivvy/{RUNNING}/cancel")
    assert (again.status_code, again.json()) == (
        409,
        {"error": "the batch has completed: there is nothing left to cancel"},
    )


def test_unknown_batches_and_other_methods_are_refused(client: httpx.Client) -> None:
    for action in ("cancel", "finish"):
        missing = client.post(f"{C}/ivvy/nope/{action}")
        assert (missing.status_code, missing.json()) == (404, {"error": "no such batch"})
        wrong = client.get(f"{C}/ivvy/{RUNNING}/{action}")
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
