"""The control API under /__mockbatch: health, reset, clock, batches, journal, scenarios."""

from __future__ import annotations

import httpx

from mockbatch import load_scenarios
from mockbatch.registry import names

BATCH = "/ivvy/api/1.0/batch"
DOCS_RUNNING = "a7ec88af7d710bf51b188004bb532d77"
JOB = {"namespace": "test", "action": "ping", "params": {}}


def test_health_names_the_apis_clock_and_scenarios(client: httpx.Client) -> None:
    body = client.get("/__mockbatch/health").json()
    assert body["status"] == "ok"
    assert body["apis"] == names()
    assert body["clock"] == {"kind": "virtual", "now": "2026-01-01T00:00:00+00:00"}
    assert [s["name"] for s in body["scenarios"]] == [s.name for s in load_scenarios()]


def test_clock_advances_and_sets(client: httpx.Client) -> None:
    assert client.post("/__mockbatch/clock", json={"advance": 90}).json() == {
        "now": "2026-01-01T00:01:30+00:00"
    }
    assert client.post("/__mockbatch/clock", json={"set": "2026-02-01T00:00:00Z"}).json() == {
        "now": "2026-02-01T00:00:00+00:00"
    }
    assert client.get("/__mockbatch/clock").json() == {"now": "2026-02-01T00:00:00+00:00"}


def test_clock_refuses_bad_requests(client: httpx.Client) -> None:
    for body, status in [
        ({}, 400),
        ({"advance": 1, "set": "2026-01-01T00:00:00Z"}, 400),
        ({"advance": "soon"}, 400),
        ({"advance": -5}, 400),
        ({"set": "yesterday"}, 400),
        ({"set": "2025-01-01T00:00:00Z"}, 400),
    ]:
        response = client.post("/__mockbatch/clock", json=body)
        assert response.status_code == status, body
        assert "error" in response.json()
    assert client.post("/__mockbatch/clock", content=b"{").status_code == 400


def test_batches_lists_states_of_items(client: httpx.Client) -> None:
    client.post(BATCH, params={"action": "progress"}, json={"async": DOCS_RUNNING})

    listed = client.get("/__mockbatch/batches", params={"api": "ivvy"}).json()["batches"]
    assert {b["id"] for b in listed} == {"e35e06ee592d17a42dc9e6252a058617", DOCS_RUNNING}

    one = client.get(f"/__mockbatch/batches/ivvy/{DOCS_RUNNING}").json()
    assert one["polls"] == 1
    assert [i["state"] for i in one["items"]] == ["succeeded", "running", "running"]
    assert one["counts"] == {
        "pending": 0,
        "running": 2,
        "succeeded": 1,
        "failed": 0,
        "cancelled": 0,
    }
    assert client.get("/__mockbatch/batches/ivvy/nope").status_code == 404


def test_requests_journal_every_request_with_its_violations(client: httpx.Client) -> None:
    client.post(BATCH, params={"action": "run"}, json={"jobs": [JOB]})
    client.post(BATCH, params={"action": "run"}, json={"jobs": []})
    client.get("/elsewhere?x=1")

    journal = client.get("/__mockbatch/requests").json()
    ok, bad, lost = journal["requests"]
    assert (ok["method"], ok["path"], ok["query"], ok["status"]) == (
        "POST",
        BATCH,
        "action=run",
        200,
    )
    assert ok["body"] == '{"jobs":[{"namespace":"test","action":"ping","params":{}}]}'
    assert ok["violations"] == []
    assert bad["status"] == 400
    assert bad["violations"] == [
        {
            "location": "body",
            "path": "jobs",
            "message": "has 0 items; at least 1 allowed",
            "keyword": "minItems",
        }
    ]
    assert (lost["path"], lost["status"], lost["unmatched"]) == ("/elsewhere", 404, True)
    assert journal["dropped"] == 0


def test_reset_restores_scenarios_and_empties_journal(client: httpx.Client) -> None:
    created = client.post(BATCH, params={"action": "run"}, json={"jobs": [JOB]}).json()["asyncId"]
    client.post("/__mockbatch/clock", json={"advance": 10})

    assert client.post("/__mockbatch/reset").json() == {"reset": True}

    assert client.get("/__mockbatch/requests").json()["requests"] == []
    assert client.get(f"/__mockbatch/batches/ivvy/{created}").status_code == 404
    assert client.get("/__mockbatch/clock").json()["now"] == "2026-01-01T00:00:00+00:00"
    again = client.post(BATCH, params={"action": "run"}, json={"jobs": [JOB]}).json()["asyncId"]
    assert again == created


def test_scenarios_load_at_run_time(client: httpx.Client) -> None:
    doc = (
        "api: ivvy\n"
        "name: added\n"
        "batches:\n"
        '  - id: "00000000000000000000000000000001"\n'
        "    items:\n"
        "      - input: {namespace: test, action: ping, params: {}}\n"
        "        response: {ack: x}\n"
    )
    loaded = client.post("/__mockbatch/scenarios", content=doc)
    assert loaded.status_code == 201
    assert loaded.json() == {"loaded": "added", "api": "ivvy", "batches": 1}
    progress = client.post(BATCH, params={"action": "progress"}, json={"async": "0" * 31 + "1"})
    assert progress.json() == {"progress": 100}


def test_unquoted_numeric_id_is_refused_with_a_hint(client: httpx.Client) -> None:
    response = client.post(
        "/__mockbatch/scenarios", content="api: ivvy\nbatches:\n  - id: 0001\n    items: []\n"
    )
    assert response.json()["problems"] == [
        "<POST /__mockbatch/scenarios>:3: batches[0].id: 1 was read as a number; quote it"
        " (valid: a string)"
    ]


def test_bad_scenario_at_run_time_is_refused_with_its_place(client: httpx.Client) -> None:
    response = client.post(
        "/__mockbatch/scenarios", content="api: ivvy\nbatches:\n  - id: nothex\n    items: []\n"
    )
    assert response.status_code == 422
    assert response.json()["problems"] == [
        "<POST /__mockbatch/scenarios>:3: batches[0].id: 'nothex' is not an iVvy asyncId"
        " (valid: 32 lowercase hex digits, e.g. e35e06ee592d17a42dc9e6252a058617)"
    ]
