"""``mockbatch serve --watch``: scenario files reloaded while the server runs.

In process, the watcher is driven one look at a time with a ``stat`` of the test's own (so
nothing sleeps and no file system's clock granularity matters); over a real socket, a
``mockbatch serve --watch`` process is edited under its feet and polled until it answers.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from test_serve import STARTED, Serve

from mockbatch import VirtualClock, create_app
from mockbatch.app import load_scenarios
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport
from mockbatch.watch import Signature, Watcher

C = "/__mockbatch"
MINE = "0123456789abcdef0123456789abcdef"
MORE = "fedcba9876543210fedcba9876543210"
OTHER = "00000000000000000000000000000001"
SHIPPED = "e35e06ee592d17a42dc9e6252a058617"  # a shipped iVvy batch
RESULTS = "/ivvy/api/1.0/batch?action=results"
ATTEMPTS = 1200  # looks at a served process's state: 120 s at 0.1 s, a bound for a wedged one
PING = "      - input: {namespace: test, action: ping, params: {}}\n        response: {ack: 1}\n"


def ivvy(*batches: tuple[str, int], name: str = "mine") -> str:
    """An iVvy scenario with these (ID, number of items) batches."""
    text = f"api: ivvy\nname: {name}\nbatches:\n"
    for batch_id, count in batches:
        text += f"  - id: '{batch_id}'\n    items:\n" + PING * count
    return text


BAD_KEY = "api: ivvy\nname: mine\nbatchez: []\n"
BAD_YAML = "api: ivvy\nbatches:\n  - id: [oops\n"


class Looks:
    """The watcher's ``stat``: a file looks changed when the test says so (``edit``)."""

    def __init__(self) -> None:
        self.versions: dict[Path, int] = {}

    def __call__(self, path: Path) -> Signature | None:
        return (self.versions.get(path, 0), 0, 0) if path.exists() else None

    def edit(self, path: Path, text: str) -> None:
        path.write_text(text)
        self.versions[path] = self.versions.get(path, 0) + 1


class Watched:
    """An app serving ``files`` (and every other API's shipped scenario), its watcher driven by
    hand, and what the watcher said."""

    def __init__(self, *paths: Path, shipped: bool = False) -> None:
        scenarios = load_scenarios([*(_shipped() if shipped else []), *paths])
        self.app: Starlette = create_app(scenarios=scenarios, clock=VirtualClock())
        self.mock: Mock = self.app.state.mock
        self.looks = Looks()
        self.said: list[str] = []
        self.watcher = Watcher(
            self.mock,
            list(paths),
            serves=self.app.state.apis,
            check=self.app.state.check_scenario,
            stat=self.looks,
            say=self.said.append,
        )
        self.app.state.watch = self.watcher
        self.http = httpx.Client(transport=InProcessTransport(self.app), base_url="http://t")
        self.settle()

    def settle(self) -> bool:
        """Two looks: a change is read once it held still for one look."""
        first = self.watcher.look()
        return self.watcher.look() or first

    def items(self, batch_id: str) -> int | None:
        answer = self.http.get(f"{C}/batches/ivvy/{batch_id}")
        return answer.json()["item_count"] if answer.status_code == 200 else None

    def problems(self) -> list[str]:
        problems: list[str] = self.http.get(f"{C}/health").json()["watch"]["problems"]
        return problems


def _shipped() -> list[Path]:
    from mockbatch.resources import default_scenarios_dir

    return [default_scenarios_dir()]


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(ivvy((MINE, 2), (OTHER, 1)))
    return path


@pytest.fixture
def watched(mine: Path) -> Iterator[Watched]:
    served = Watched(mine, shipped=True)
    yield served
    served.http.close()


def test_an_edit_is_served_and_the_rest_keeps_going(watched: Watched, mine: Path) -> None:
    http = watched.http
    job = {"namespace": "test", "action": "ping", "params": {}}
    created = http.post("/ivvy/api/1.0/batch?action=run", json={"jobs": [job]}).json()["asyncId"]
    for batch in (OTHER, SHIPPED, created):
        http.post("/ivvy/api/1.0/batch?action=progress", json={"async": batch})
    journaled = len(watched.mock.journal.entries())
    assert watched.said == [] and watched.items(MINE) == 2

    watched.looks.edit(mine, ivvy((MINE, 3), (OTHER, 1), (MORE, 1)))
    assert not watched.watcher.look()  # changed: read once it holds still for a look
    assert watched.watcher.look()

    assert (watched.items(MINE), watched.items(MORE)) == (3, 1)
    assert watched.said == [f"mockbatch: reloaded {mine}: ivvy scenario 'mine'"]
    polls = {b["id"]: b["polls"] for b in http.get(f"{C}/batches?api=ivvy").json()["batches"]}
    assert (polls[OTHER], polls[SHIPPED], polls[created]) == (1, 1, 1)  # unchanged: kept
    assert len(watched.mock.journal.entries()) == journaled
    assert watched.problems() == []

    http.post(f"{C}/reset")  # a reset goes back to the new version
    assert (watched.items(MINE), watched.items(MORE), watched.items(created)) == (3, 1, None)


def test_a_removed_batch_is_gone(watched: Watched, mine: Path) -> None:
    watched.looks.edit(mine, ivvy((MINE, 2)))
    assert watched.settle()

    gone = watched.http.post(RESULTS, json={"async": OTHER})
    assert (gone.status_code, gone.json()["specificCode"]) == (404, 24115)
    assert watched.items(MINE) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (BAD_YAML, "{path}:4: (top level): not valid YAML: expected ',' or ']', but got"),
        (
            BAD_KEY,
            "{path}:3: batchez: unknown key (did you mean 'batches'?) (valid: api, batches,"
            " default, faults, name, options, rules, seed)",
        ),
    ],
)
def test_an_invalid_edit_is_reported_and_the_last_good_version_serves(
    watched: Watched, mine: Path, text: str, problem: str
) -> None:
    expected = problem.format(path=mine)
    watched.looks.edit(mine, text)
    assert not watched.settle()

    assert (
        watched.said[0] == f"mockbatch: {mine} not reloaded (the last good version keeps serving):"
    )
    assert watched.said[1].startswith(expected)
    assert [p[: len(expected)] for p in watched.problems()] == [expected]
    assert watched.http.get(f"{C}/scenarios").json()["watch"]["problems"] == watched.problems()
    assert watched.http.post(RESULTS, json={"async": MINE}).status_code == 200
    assert watched.items(MINE) == 2
    watched.looks.edit(mine, text)  # the same problems again: said once
    watched.settle()
    assert len(watched.said) == 2

    watched.looks.edit(mine, ivvy((MINE, 4)))
    assert watched.settle()
    assert watched.said[2:] == [f"mockbatch: reloaded {mine}: ivvy scenario 'mine'"]
    assert (watched.problems(), watched.items(MINE)) == ([], 4)


def test_a_file_put_back_as_it_was_clears_its_problem(watched: Watched, mine: Path) -> None:
    good = mine.read_text()
    watched.looks.edit(mine, BAD_YAML)
    watched.settle()
    watched.http.post("/ivvy/api/1.0/batch?action=progress", json={"async": MINE})

    watched.looks.edit(mine, good)
    assert not watched.settle()  # nothing to rebuild

    assert watched.said[-1] == f"mockbatch: reloaded {mine}: ivvy scenario 'mine'"
    assert watched.problems() == []
    assert watched.http.get(f"{C}/batches/ivvy/{MINE}").json()["polls"] == 1


def test_a_touch_reloads_nothing(watched: Watched, mine: Path) -> None:
    watched.looks.edit(mine, mine.read_text())

    assert not watched.settle()
    assert watched.said == []


def test_a_deleted_file_is_a_problem_until_it_comes_back(watched: Watched, mine: Path) -> None:
    good = mine.read_text()
    mine.unlink()
    assert not watched.settle()

    assert watched.problems() == [f"{mine}:1: (top level): no such file or folder"]
    assert watched.items(MINE) == 2

    watched.looks.edit(mine, good)
    watched.settle()
    assert watched.problems() == []


def test_a_file_turned_to_an_api_not_served_is_refused(mine: Path) -> None:
    scenarios = load_scenarios([mine])
    app = create_app(scenarios=scenarios, clock=VirtualClock(), apis=["ivvy"])
    looks, said = Looks(), list[str]()
    check = app.state.check_scenario
    watcher = Watcher(
        app.state.mock, [mine], serves=["ivvy"], check=check, stat=looks, say=said.append
    )
    looks.edit(mine, "api: check\nname: mine\n")
    watcher.look()
    watcher.look()

    assert watcher.status()["problems"] == [
        f"{mine}:1: api: this server does not serve the 'check' API (valid: ivvy)"
    ]
    assert [s.api for s in app.state.mock.loaded] == ["ivvy"]


def test_a_watched_folder_loads_new_files_and_drops_removed_ones(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "a.yaml").write_text(ivvy((MINE, 1), name="a"))
    served = Watched(folder)
    try:
        added = folder / "b.yaml"
        served.looks.edit(added, ivvy((MORE, 2), name="b"))
        assert served.settle()
        assert served.items(MORE) == 2
        assert served.said == [f"mockbatch: loaded {added}: ivvy scenario 'b'"]
        assert [s.source for s in served.mock.loaded] == [str(folder / "a.yaml"), str(added)]

        added.unlink()
        assert served.watcher.look()
        assert served.items(MORE) is None
        assert served.said[-1] == f"mockbatch: {added} is gone: its scenario is no longer served"
    finally:
        served.http.close()


def test_health_has_no_watch_field_unless_watching(app: Starlette) -> None:
    with httpx.Client(transport=InProcessTransport(app), base_url="http://t") as http:
        assert "watch" not in http.get(f"{C}/health").json()
        assert "watch" not in http.get(f"{C}/scenarios").json()


def test_the_thread_looks_until_stopped(mine: Path) -> None:
    app = create_app(scenarios=load_scenarios([mine]), clock=VirtualClock(), apis=["ivvy"])
    looked = 0

    def stat(path: Path) -> Signature:
        nonlocal looked
        looked += 1
        return (0, 0, 0)

    check = app.state.check_scenario
    watcher = Watcher(app.state.mock, [mine], serves=["ivvy"], check=check, stat=stat, interval=0)
    watcher.start()
    for _ in range(ATTEMPTS * 100):
        if looked >= 3:
            break
        watcher._thread.join(0.001)
    watcher.stop()
    assert looked >= 3
    assert not watcher._thread.is_alive()


# -- over a real socket: `mockbatch serve --watch` ------------------------------------------


class WatchingServe(Serve):
    """``mockbatch serve --watch`` in a subprocess; what it prints after its banner."""

    def line(self) -> str:
        found = self._lines.get(timeout=STARTED)
        assert found is not None, "serve exited"
        return found

    def until(self, path: str, test: Callable[[httpx.Response], bool]) -> httpx.Response:
        """GET ``path`` until ``test(response)`` holds (the watcher looks every 0.5 s): a
        bounded number of attempts, 0.1 s apart, never a timed assertion."""
        for _ in range(ATTEMPTS):
            response = httpx.get(self.url + path, timeout=STARTED)
            if test(response):
                return response
            try:
                status = self.process.wait(timeout=0.1)  # a pause, cut short if serve exits
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"serve exited ({status})")
        pytest.fail(f"{path} never answered as expected: {response.text}")


def test_serve_watch_reloads_reports_and_recovers(mine: Path) -> None:
    served = WatchingServe("--watch", "--with-defaults", str(mine))
    try:
        assert served.banner[-3] == (
            f"mockbatch: watching {mine}: a change is reloaded; an invalid file is reported here"
            " and on the dashboard, and its last good version keeps serving"
        )
        batch = f"{C}/batches/ivvy/{MINE}"
        assert httpx.get(served.url + batch).json()["item_count"] == 2

        mine.write_text(ivvy((MINE, 5), (MORE, 1)))
        served.until(batch, lambda r: r.json()["item_count"] == 5)
        assert served.line() == f"mockbatch: reloaded {mine}: ivvy scenario 'mine'"
        assert httpx.get(f"{served.url}{C}/batches/ivvy/{MORE}").status_code == 200

        mine.write_text(BAD_KEY)
        health = served.until(f"{C}/health", lambda r: bool(r.json()["watch"]["problems"]))
        problem = f"{mine}:3: batchez: unknown key (did you mean 'batches'?)"
        assert health.json()["watch"]["problems"][0].startswith(problem)
        assert health.json()["watch"]["paths"] == [str(mine)]
        said = [served.line(), served.line()]
        assert said[0] == f"mockbatch: {mine} not reloaded (the last good version keeps serving):"
        assert said[1].startswith(problem)
        assert httpx.post(served.url + RESULTS, json={"async": MINE}).status_code == 200
        assert httpx.post(served.url + RESULTS, json={"async": SHIPPED}).status_code == 200
        assert _dashboard_state(served.url)["watch"]["problems"][0].startswith(problem)

        mine.write_text(ivvy((MINE, 1)))
        served.until(f"{C}/health", lambda r: not r.json()["watch"]["problems"])
        assert served.line() == f"mockbatch: reloaded {mine}: ivvy scenario 'mine'"
        assert httpx.get(served.url + batch).json()["item_count"] == 1

        assert served.stop(signal.SIGTERM) == (0, [])  # the watcher's thread ends with it
    finally:
        served.kill()


def _dashboard_state(url: str) -> dict[str, object]:
    with httpx.stream("GET", f"{url}{C}/events", timeout=STARTED) as stream:
        data = next(line for line in stream.iter_lines() if line.startswith("data: "))
    state: dict[str, object] = json.loads(data.removeprefix("data: "))
    return state


def test_serve_watch_needs_files(capsys: pytest.CaptureFixture[str]) -> None:
    from mockbatch.cli import main

    assert main(["serve", "--watch", "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        "mockbatch: --watch reloads the scenario files you give: name them\n"
    )


def test_the_file_s_faults_follow_it_and_run_time_ones_stay(tmp_path: Path) -> None:
    path = tmp_path / "faulty.yaml"
    fault = "faults:\n  - {query: {action: progress}, every: 2, status: 503}\n"
    path.write_text(ivvy((MINE, 1)) + fault)
    served = Watched(path)
    http = served.http
    added = {"api": "ivvy", "query": {"action": "results"}, "on": 9, "status": 500}
    assert http.post(f"{C}/faults", json=added).status_code == 201
    progress = "/ivvy/api/1.0/batch?action=progress"

    def statuses() -> list[int]:
        return [http.post(progress, json={"async": MINE}).status_code for _ in range(2)]

    assert statuses() == [200, 503]

    served.looks.edit(path, ivvy((MINE, 1)))
    assert served.settle()

    assert statuses() == [200, 200]
    listed = http.get(f"{C}/faults").json()["faults"]
    assert listed == [{"api": "ivvy", "query": {"action": "results"}, "on": [9], "status": 500}]
    served.http.close()


def test_the_dashboard_shows_a_banner_while_a_file_is_not_reloaded(mine: Path) -> None:
    from test_dashboard_browser import ARGS, CHROMIUM, WAIT

    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    served = WatchingServe("--watch", str(mine))
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(WAIT)
                page.goto(f"{served.url}{C}/ui")
                banner = page.locator("#watch-problems")
                sync_api.expect(page.locator("#clock")).to_contain_text("clock", timeout=WAIT)
                sync_api.expect(banner).to_be_hidden(timeout=WAIT)

                mine.write_text(BAD_KEY)
                sync_api.expect(banner).to_be_visible(timeout=WAIT)
                shown = f"{mine}:3: batchez: unknown key (did you mean 'batches'?)"
                sync_api.expect(banner).to_contain_text(shown, timeout=WAIT)

                mine.write_text(ivvy((MINE, 1)))
                sync_api.expect(banner).to_be_hidden(timeout=WAIT)
            finally:
                browser.close()
    finally:
        served.kill()
