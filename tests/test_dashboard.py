"""The dashboard's files and feeds: ``/``, ``/__mockbatch/ui``, ``/events``, ``/journal``,
``/timeline`` (the browser test drives the page itself)."""

from __future__ import annotations

import json

import httpx
from starlette.applications import Starlette

from mockbatch import ServerThread

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
