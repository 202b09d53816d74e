"""``mockbatch verify --lifecycle``: each API's client flow against a server, its lifecycle
contract judged. It must pass the mock for every API (in a thread, and ``python -m mockbatch
serve`` in a process) and catch a server made to break each rule, naming the breach.

The breaking servers are the mock behind :class:`Rewrite`, an ASGI wrapper that rewrites
answers. Nothing waits in real time: the flow moves the mock's clock between polls, and
``time.sleep`` fails the test if the flow ever calls it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from profiles import apis, profile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.cli import main
from mockbatch.scenarios import Scenario

# (method, path, query, status, body) -> (status, body) of the answer to serve
Rule = Callable[[str, str, str, int, Any], tuple[int, Any]]


class Rewrite:
    """The mock, with each JSON answer passed through ``rule`` first."""

    def __init__(self, app: ASGIApp, rule: Rule) -> None:
        self.app, self.rule = app, rule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        raw = b"".join(chunks)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        query = scope.get("query_string", b"").decode()
        status, body = self.rule(scope["method"], scope["path"], query, start["status"], body)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


@pytest.fixture(autouse=True)
def _never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(seconds: float) -> None:
        raise AssertionError(f"the flow waited {seconds} s in real time")

    monkeypatch.setattr("mockbatch.lifecycle.session.sleep", refuse)


def lifecycle(api: str, url: str, *more: str) -> list[str]:
    """``verify --lifecycle`` of ``api`` at ``url`` (the server's root), with its profile's
    headers."""
    args = ["verify", "--lifecycle", "--api", api, "--base-url", f"{url}/{api}"]
    for name, value in profile(api).headers.items():
        args += ["--header", f"{name}: {value}"]
    return [*args, *more]


def served(app: ASGIApp) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.url


@pytest.fixture
def mock_url() -> Iterator[str]:
    yield from served(create_app(clock=VirtualClock()))


@pytest.mark.parametrize("api", apis())
def test_the_mock_keeps_every_lifecycle(
    api: str, mock_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(lifecycle(api, mock_url))

    out = capsys.readouterr().out
    assert status == 0, out
    assert f"mockbatch verify --lifecycle: the {api} flow against {mock_url}/{api}\n" in out
    assert "pace: a mockbatch server: its clock moves 5 s between polls\n" in out
    assert "BREACH" not in out
    assert out.rstrip().splitlines()[-1].startswith(f"ok: the {api} lifecycle kept its contract (")


def test_a_served_mock_in_another_process_keeps_every_lifecycle(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = [sys.executable, "-m", "mockbatch", "serve", "--port", "0"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        url = ""
        for line in server.stderr:  # the banner names the port taken
            found = re.search(r"\(control API (http://127\.0\.0\.1:\d+)/__mockbatch", line)
            if found:
                url = found.group(1)
                break
        assert url, "the server printed no URL"
        statuses = {api: main(lifecycle(api, url)) for api in apis()}
    finally:
        server.terminate()
        server.wait(timeout=120)
        if server.stderr is not None:
            server.stderr.close()
    out = capsys.readouterr().out
    assert statuses == dict.fromkeys(apis(), 0), out


# -- servers that break one rule each -------------------------------------------------------


def openai_status_goes_back() -> Rule:
    """A batch retrieve after an ``in_progress``-or-later one answers ``validating`` once."""
    seen: dict[str, list[str]] = {}

    def rule(method: str, path: str, query: str, status: int, body: Any) -> tuple[int, Any]:
        found = re.fullmatch(r"/openai/v1/batches/(batch_\w+)", path)
        if method != "GET" or found is None or not isinstance(body, dict):
            return status, body
        served = seen.setdefault(found.group(1), [])
        if served and served[-1] != "validating" and "validating" in served[:1] and len(served) < 3:
            body = {**body, "status": "validating"}
        served.append(body["status"])
        return status, body

    return rule


def breaking(api: str, rule: Rule, scenario: dict[str, Any] | None = None) -> int:
    """``verify --lifecycle`` of ``api`` against the mock behind ``rule``
    (``scenario``: the mock's only one); the exit status."""
    loaded = [Scenario.from_dict(scenario)] if scenario else None
    for url in served(Rewrite(create_app(clock=VirtualClock(), scenarios=loaded), rule)):
        status = main(lifecycle(api, url))
    return status


def test_a_status_going_back_is_a_breach(capsys: pytest.CaptureFixture[str]) -> None:
    status = breaking("openai", openai_status_goes_back())

    out = capsys.readouterr().out
    assert status == 1, out
    assert "BREACH [status order] status went back: in_progress -> validating\n" in out
    batch = r"    GET /openai/v1/batches/batch_\w+ -> 200 "
    assert re.search(batch + r'\{.*"status":"validating"', out)
    assert out.rstrip().splitlines()[-1].startswith("1 breach(es) of the openai lifecycle")


STAGGERED = {  # runtype records finishing a few polls apart (a poll: status or results page)
    "api": "runtype",
    "rules": [
        {"match": {"record.name": "lifecycle-1"}, "response": {}, "after": {"polls": 1}},
        {"match": {"record.name": "lifecycle-2"}, "response": {}, "after": {"polls": 4}},
        {"match": {"record.name": "lifecycle-3"}, "response": {}, "after": {"polls": 8}},
    ],
}


def runtype_count_shrinks() -> Rule:
    """The status answer after the first one with a finished record counts none finished."""
    counted: set[str] = set()

    def rule(method: str, path: str, query: str, status: int, body: Any) -> tuple[int, Any]:
        found = re.fullmatch(r"/runtype/v1/batch/status/([\w-]+)", path)
        if found is None or not isinstance(body, dict) or body["status"] == "completed":
            return status, body
        batch = found.group(1)
        if batch in counted:
            counted.discard(batch)
            zero = dict.fromkeys(("processedRecords", "successCount", "failedRecords"), 0)
            return status, {**body, **zero, "progress": 0}
        if body["processedRecords"]:
            counted.add(batch)
        return status, body

    return rule


def test_a_count_shrinking_is_a_breach(capsys: pytest.CaptureFixture[str]) -> None:
    status = breaking("runtype", runtype_count_shrinks(), STAGGERED)

    out = capsys.readouterr().out
    assert status == 1, out
    assert "BREACH [counts never decrease] processedRecords decreased: 1 -> 0\n" in out
    assert "BREACH [counts never decrease] successCount decreased: 1 -> 0\n" in out
    assert '"processedRecords":0' in out
    assert "[counts add up]" not in out  # the shrunk answer still adds up


def check_page_repeats_an_item(method: str, path: str, query: str, status: int, body: Any) -> Any:
    """The second results page of a Check batch serves its first item again."""
    if path.endswith("/results") and "offset=2" in query and body["items"]:
        first = {**body["items"][0], "idempotencyKey": "lifecycle-1", "id": "item_001"}
        body = {**body, "items": [first]}
    return status, body


def test_a_page_repeating_an_item_is_a_breach(capsys: pytest.CaptureFixture[str]) -> None:
    status = breaking("check", check_page_repeats_an_item)

    out = capsys.readouterr().out
    assert status == 1, out
    assert "BREACH [each item once] item lifecycle-1 served 2 times\n" in out
    assert "BREACH [each item once] item(s) missing from the pages: lifecycle-3\n" in out
    assert re.search(r"    GET /check/v1/batch/\w+/results\?limit=2&offset=0 -> 200 ", out)
    assert re.search(r"    GET /check/v1/batch/\w+/results\?limit=2&offset=2 -> 200 ", out)


def check_counts_too_many(method: str, path: str, query: str, status: int, body: Any) -> Any:
    """A Check batch read counts one success more than it has items."""
    if re.fullmatch(r"/check/v1/batch/batch_\w+", path) and method == "GET":
        more = body["totalItems"] + 1 - body["failureCount"]
        body = {**body, "successCount": more, "processedItems": more + body["failureCount"]}
    return status, body


def test_counts_that_do_not_add_up_are_a_breach(capsys: pytest.CaptureFixture[str]) -> None:
    status = breaking("check", check_counts_too_many)

    out = capsys.readouterr().out
    assert status == 1, out
    assert "BREACH [counts add up] successCount + failureCount = 4 > total 3" in out


SLOW_IVVY = {
    "api": "ivvy",
    "rules": [{"match": {"namespace": "test"}, "response": {"ack": True}, "after": {"polls": 5}}],
}


def ivvy_results_too_early(method: str, path: str, query: str, status: int, body: Any) -> Any:
    """``results`` of a batch not completed answer 200 with no job (instead of 24114)."""
    if "action=results" in query and status == 400 and body["specificCode"] == 24114:
        return 200, {"asyncId": "early", "results": []}
    return status, body


def test_results_present_too_early_are_a_breach(capsys: pytest.CaptureFixture[str]) -> None:
    status = breaking("ivvy", ivvy_results_too_early, SLOW_IVVY)

    out = capsys.readouterr().out
    assert status == 1, out
    breach = "BREACH [results as the status allows] results served while the batch is in progress"
    assert f"{breach} (none may be yet)\n" in out
    assert '    POST /ivvy/api/1.0/batch?action=results -> 200 {"asyncId":"early"' in out
    assert '    POST /ivvy/api/1.0/batch?action=progress -> 200 {"progress":0}' in out


def runtype_cancel_ends_completed() -> Rule:
    """A cancelled batch's status answers ``completed`` instead of ``cancelled``."""
    cancelled: set[str] = set()

    def rule(method: str, path: str, query: str, status: int, body: Any) -> tuple[int, Any]:
        found = re.fullmatch(r"/runtype/v1/batch/(cancel|status)/([\w-]+)", path)
        if found is not None and found.group(1) == "cancel":
            cancelled.add(found.group(2))
        elif found is not None and found.group(2) in cancelled and body["status"] == "cancelled":
            body = {**body, "status": "completed"}
        return status, body

    return rule


def test_a_cancelled_batch_ending_not_cancelled_is_a_breach(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = breaking("runtype", runtype_cancel_ends_completed())

    out = capsys.readouterr().out
    assert status == 1, out
    assert "BREACH [cancel] the cancelled batch ended completed\n" in out
    batch = r"    GET /runtype/v1/batch/status/[\w-]+ -> 200 "
    assert re.search(batch + r'\{.*"status":"completed"', out)


def test_a_flow_past_its_bounds_is_reported_as_such(
    mock_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(lifecycle("openai", mock_url, "--max-polls", "1"))

    out = capsys.readouterr().out
    assert status == 3, out
    assert re.search(
        r"BOUNDS batch batch_\w+ still validating after 1 poll\(s\) and \d+ s"
        r" \(bounds: --max-polls 1, --timeout 600\)\n",
        out,
    )
    assert "not finished within the bounds: the openai lifecycle was not fully checked" in out
    assert "BREACH" not in out


STRICT_IVVY = {
    "api": "ivvy",
    "options": {"auth": {"mode": "strict", "keys": {"lifecycle-key": "lifecycle-secret"}}},
}


def test_ivvy_requests_are_signed_with_the_key_and_secret_given(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(clock=VirtualClock(), scenarios=[Scenario.from_dict(STRICT_IVVY)])
    for url in served(app):
        unsigned = main(lifecycle("ivvy", url))
        monkeypatch.setenv("IVVY_API_KEY", "lifecycle-key")
        monkeypatch.setenv("IVVY_API_SECRET", "lifecycle-secret")
        signed = main(lifecycle("ivvy", url))

    out = capsys.readouterr().out
    assert unsigned == 1
    assert "BREACH [flow] run a batch: unexpected answer 401\n" in out
    assert signed == 0, out


def test_the_readme_shows_a_real_session(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    command = (
        "$ mockbatch verify --lifecycle --api anthropic --base-url http://127.0.0.1:8080/anthropic"
    )
    shown = readme.split(command)[1].split("```")[0].split("\n", 2)[2]  # past the header line

    assert main(lifecycle("anthropic", mock_url)) == 0

    out = capsys.readouterr().out.replace(mock_url, "http://127.0.0.1:8080")
    flows = re.compile(r"^(cancelled )?batch msgbatch_\w+ \(\d items\): .*$", re.M)
    assert flows.sub("<flow>", out) == flows.sub("<flow>", shown)
