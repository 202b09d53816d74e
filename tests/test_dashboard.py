"""The dashboard's files and feeds: ``/``, ``/__mockbatch/ui``, ``/events``, ``/journal``,
``/timeline`` (the browser test drives the page itself)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.applications import Starlette

from mockbatch import Scenario, ServerThread, VirtualClock
from mockbatch.mock import Mock

C = "/__mockbatch"
PROGRESS = "/ivvy/api/1.0/batch?action=progress"
RUNNING = "a7ec88af7d710bf51b188004bb532d77"


def test_the_root_points_at_the_dashboard(client: httpx.Client) -> None:
    base = str(client.base_url).rstrip("/")
    assert client.get("/").json()["dashboard"] == f"{base}{C}/ui"
    browser = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert (browser.status_code, browser.headers["location"]) == (303, f"{base}{C}/ui")


def test_the_page_and_its_files_are_served(client: httpx.Client) -> None:
    page = client.get(f"{C}/ui")
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert '<script src="ui/app.js">' in page.text
    assert client.get(f"{C}/ui/app.js").headers["content-type"].startswith("text/javascript")
    missing = client.get(f"{C}/ui/secrets.txt")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "no dashboard file 'secrets.txt'"},
    )


def test_journal_rows_name_the_batch_and_the_timeline_draws_the_polls(
    client: httpx.Client,
) -> None:
    client.post(PROGRESS, json={"async": RUNNING})
    client.post(PROGRESS, json={"async": RUNNING})

    rows = client.get(f"{C}/journal").json()["rows"]
    assert [(r["seq"], r["kind"], r["batch"], r["status"]) for r in rows] == [
        (1, "poll", RUNNING, 200),
        (2, "poll", RUNNING, 200),
    ]
    assert client.get(f"{C}/journal", params={"after": 1}).json()["rows"][0]["seq"] == 2
    assert client.get(f"{C}/journal/2").json()["response"] == {"progress": 66}

    timeline = client.get(f"{C}/timeline/ivvy/{RUNNING}").json()
    assert [r["seq"] for r in timeline["requests"]] == [1, 2]
    assert [(i["index"], i["state"]) for i in timeline["items"]] == [
        (0, "succeeded"),
        (1, "succeeded"),
    ]
    assert [m["kind"] for m in timeline["marks"]] == ["created"]
    assert client.get(f"{C}/timeline/ivvy/nope").status_code == 404


def test_events_stream_snapshots_and_end_when_the_client_goes(app: Starlette) -> None:
    with ServerThread(app) as server:
        with httpx.stream("GET", f"{server.url}{C}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            data = next(line for line in lines if line.startswith("data: "))
            state = json.loads(data.removeprefix("data: "))
            assert state["clock"]["kind"] == "virtual"
            assert {b["id"] for b in state["batches"]} >= {RUNNING}
        tasks = server._server.server_state.tasks
        for _ in range(10_000):  # the stream notices the client left at its next look
            if not tasks:
                break
            server._thread.join(0.001)
        assert not tasks


GOOD, BAD = "900d" * 8, "bad0" * 8  # iVvy asyncIds are 32 hex digits
ONE_JOB = [{"input": {"namespace": "test", "action": "ping", "params": {}}, "response": {"ack": 1}}]
RESULTS = "/ivvy/api/1.0/batch?action=results"


def judged(client: httpx.Client, batch_id: str, **params: Any) -> list[tuple[str, str, str]]:
    """The verdicts on a batch's page: (assertion, outcome, first line of the message)."""
    answer = client.get(f"{C}/timeline/ivvy/{batch_id}", params=params).json()
    return [
        (v["assertion"], v["outcome"], v["message"].splitlines()[0]) for v in answer["verdicts"]
    ]


def one_job_batches(mock: Mock, *ids: str) -> None:
    """iVvy batches of one job, finished at their first poll."""
    batches = [{"id": i, "items": [{**ONE_JOB[0], "after": {"polls": 1}}]} for i in ids]
    mock.load(Scenario.from_dict({"api": "ivvy", "name": "judged", "batches": batches}))


def test_a_well_behaved_client_passes_every_assertion_beside_its_timeline(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    one_job_batches(mock, GOOD)
    client.post(f"{C}/faults", json={"api": "ivvy", "status": 429, "times": 1, "retry_after": 2})
    assert client.post(PROGRESS, json={"async": GOOD}).status_code == 429
    clock.advance(2)  # as Retry-After asked
    assert client.post(PROGRESS, json={"async": GOOD}).json() == {"progress": 100}
    clock.advance(1)
    assert client.post(RESULTS, json={"async": GOOD}).status_code == 200

    assert judged(client, GOOD) == [
        (
            "assert_stopped_polling",
            "pass",
            "the client stopped polling once it saw the batch finished",
        ),
        ("assert_poll_rate(1)", "pass", "the client polled at most 1 time(s) a second"),
        ("assert_results_read_once", "pass", "the client read every results page once"),
        (
            "assert_retry_after_honoured",
            "pass",
            "the client waited as long as each Retry-After asked",
        ),
    ]


def test_a_client_that_polls_on_fails_the_assertions_beside_its_timeline(
    client: httpx.Client, mock: Mock
) -> None:
    one_job_batches(mock, BAD)
    for _ in range(3):  # finished at the first; no clock time between them
        client.post(PROGRESS, json={"async": BAD})

    assert judged(client, BAD) == [
        (
            "assert_stopped_polling",
            "fail",
            f"the client kept polling batch {BAD} (ivvy) after it saw it finished:",
        ),
        (
            "assert_poll_rate(1)",
            "fail",
            f"the client polled batch {BAD} (ivvy) 3 times within 0 s of clock time (at most 1 per"
            " second allowed):",
        ),
        (
            "assert_results_read_once",
            "fail",
            f"the client saw batch {BAD} (ivvy) finished but never read its results:",
        ),
        (
            "assert_retry_after_honoured",
            "n/a",
            "no response in this test carried a Retry-After header, so there is nothing to"
            " honour (make one: mockbatch.fail_next(api, status=429, retry_after=seconds))",
        ),
    ]
    assert judged(client, BAD, max_per_second=5)[1][:2] == ("assert_poll_rate(5)", "pass")
    assert judged(client, RUNNING)[0] == (
        "assert_stopped_polling",
        "n/a",
        f"batch {RUNNING} was not seen finished in this test's responses, so there is no stop"
        " to check (poll until it finishes: advance mockbatch.clock, or poll more)",
    )
    refused = client.get(f"{C}/timeline/ivvy/{BAD}", params={"max_per_second": "0"})
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "max_per_second takes a number above 0"},
    )
