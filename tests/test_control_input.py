"""Hostile input to the control API and to paths under no API: every answer is JSON with a
clear message, each route answers only its methods, bodies are bounded, and nothing stored can
break a later read."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.mock import Mock
from mockbatch.registry import names
from mockbatch.scenarios import Scenario
from mockbatch.transport import InProcessTransport

C = "/__mockbatch"
SURROGATE = "a string holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"
DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_JSON = {
    DEEP: "nested too deeply",
    b'{"advance": 1e400}': "number out of range: 1e400",
    b'{"advance": NaN}': "NaN is not a JSON number",
    b'{"set": "\\ud800"}': SURROGATE,
}


@pytest.mark.parametrize("path", ["/clock", "/faults"])
def test_a_body_that_is_not_json_gets_400_json(client: httpx.Client, path: str) -> None:
    for raw, message in NOT_JSON.items():
        response = client.post(C + path, content=raw)
        assert (response.status_code, response.json()) == (
            400,
            {"error": f"body is not valid JSON: {message}"},
        )
    assert client.get(f"{C}/faults").json() == {"faults": []}


def test_the_clock_stays_in_its_range(client: httpx.Client) -> None:
    def move(body: dict[str, Any]) -> tuple[int, Any]:
        response = client.post(f"{C}/clock", json=body)
        return response.status_code, response.json()

    stops = "the virtual clock stops at 9000-01-01T00:00:00+00:00"
    assert move({"advance": 1180591620717411303424}) == (
        400,
        {"error": f"{stops}: it can advance 220078166400 seconds more"},
    )
    assert move({"set": "9999-12-31T00:00:00Z"}) == (
        400,
        {"error": f"{stops}: 9999-12-31T00:00:00+00:00 is later"},
    )
    assert move({"set": "9000-01-01T00:00:00Z"}) == (200, {"now": "9000-01-01T00:00:00+00:00"})
    assert move({"advance": 1}) == (400, {"error": f"{stops}: it can advance 0 seconds more"})
    upload = client.post(
        "/check/v1/batch/upload",
        files={"file": ("claims.csv", b"content\r\nThe Earth orbits the Sun.\r\n")},
        headers={"authorization": "Bearer vfy_test"},
    )
    assert (upload.status_code, upload.json()["expiresAt"]) == (200, "9000-01-01T01:00:00Z")


def test_a_scenario_json_cannot_hold_is_refused_before_it_is_stored(
    client: httpx.Client,
) -> None:
    before = client.get(f"{C}/scenarios").json()
    where = "<POST /__mockbatch/scenarios>:1: (top level)"
    for doc, message in [
        ('api: ivvy\nname: "\\ud800"\n', SURROGATE),
        ("api: ivvy\ndefault: {response: {n: .nan}}\n", "NaN is not a JSON number"),
        (DEEP.decode(), "nested deeper than 100 levels"),
    ]:
        response = client.post(f"{C}/scenarios", content=doc)
        assert (response.status_code, response.json()) == (
            422,
            {"error": "scenario refused", "problems": [f"{where}: {message}"]},
        )
    assert client.get(f"{C}/scenarios").json() == before
    assert client.get(f"{C}/health").status_code == 200


def test_reads_show_what_cannot_be_written_as_json(client: httpx.Client, mock: Mock) -> None:
    # Loaded from Python (as a test or a scenario file may): no read may fail on it.
    batch = "0" * 31 + "1"
    item = {"input": {"s": "\ud800"}, "response": {"n": float("nan"), "m": float("-inf")}}
    mock.load(
        Scenario.from_dict(
            {"api": "ivvy", "name": "x\udfff", "batches": [{"id": batch, "items": [item]}]}
        )
    )

    shown = client.get(f"{C}/batches/ivvy/{batch}").json()["items"][0]
    assert (shown["input"], shown["outcome"]) == ({"s": "\\ud800"}, {"n": "NaN", "m": "-Infinity"})
    assert client.get(f"{C}/scenarios").json()["scenarios"][-1]["name"] == "x\\udfff"
    assert client.get(f"{C}/health").status_code == 200
    results = client.post(
        "/ivvy/api/1.0/batch", params={"action": "results"}, json={"async": batch}
    )
    assert results.json()["results"][0]["response"] == {"n": "NaN", "m": "-Infinity"}
    assert client.get(f"{C}/requests").status_code == 200
    mock.journal.clear()  # the results broke the spec on purpose


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("PUT", "/clock", "GET, HEAD, POST"),
        ("DELETE", "/health", "GET, HEAD"),
        ("GET", "/reset", "POST"),
        ("PATCH", "/faults", "DELETE, GET, HEAD, POST"),
        ("OPTIONS", "/scenarios", "GET, HEAD, POST"),
        ("POST", "/batches/ivvy/x", "GET, HEAD"),
    ],
)
def test_a_route_answers_only_its_methods(
    client: httpx.Client, method: str, path: str, allow: str
) -> None:
    response = client.request(method, C + path, json={"api": "ivvy", "status": 500})

    assert (response.status_code, response.headers["allow"], response.json()) == (
        405,
        allow,
        {"error": f"{method} is not allowed on {C}{path} (allowed: {allow})"},
    )


def test_head_reads_and_never_changes_anything(client: httpx.Client) -> None:
    fault = b'{"api": "ivvy", "status": 500}'
    for path in ("/faults", "/clock", "/scenarios"):
        assert client.request("HEAD", C + path, content=fault).status_code == 200
    assert client.get(f"{C}/faults").json() == {"faults": []}


def test_unknown_control_paths_get_404_json(client: httpx.Client) -> None:
    names = (
        "health reset clock batches batches/{api}/{id}/cancel batches/{api}/{id}/finish"
        " batches/{api}/{id} requests callbacks faults scenarios"
    )
    routes = [f"{C}/{name}" for name in names.split()]
    for method in ("GET", "POST", "DELETE"):
        response = client.request(method, f"{C}/nope")
        assert (response.status_code, response.json()) == (
            404,
            {"error": f"no control API route at {C}/nope", "routes": routes},
        )
    crlf = client.get(f"{C}/batches/ivvy/a%0D%0Ab")
    assert (crlf.status_code, crlf.json()) == (404, {"error": "no such batch"})


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_a_path_under_no_api_is_404_json_and_journaled_for_any_method(
    client: httpx.Client, mock: Mock, method: str
) -> None:
    apis = [f"/{name}" for name in names()]  # every API served, in the registry's order (by name)
    for path, message in [
        ("/elsewhere", "no API at /elsewhere"),
        ("/ivvy", "no operation at /ivvy; the ivvy API's routes start with /ivvy/"),
    ]:
        response = client.request(method, path, content=b"{}")
        assert response.status_code == 404
        if method != "HEAD":
            assert response.json() == {"error": message, "apis": apis}
        entry = mock.journal.entries()[-1]
        assert (entry.method, entry.path, entry.status, entry.unmatched) == (
            method,
            path,
            404,
            True,
        )
        assert entry.response == {"error": message, "apis": apis}


def test_a_control_body_over_max_body_gets_413_json() -> None:
    app = create_app(clock=VirtualClock(), max_body=1024)
    http = httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")
    before = http.get(f"{C}/scenarios").json()
    doc = "api: ivvy\nname: big\n" + "# padding\n" * 200
    for path in ("/scenarios", "/clock", "/faults"):
        response = http.post(C + path, content=doc)
        assert (response.status_code, response.json()) == (
            413,
            {"error": "request body is over 1024 bytes"},
        )
        assert response.headers["connection"] == "close"
    assert http.get(f"{C}/scenarios").json() == before


def test_other_requests_are_answered_while_a_scenario_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsing, release = threading.Event(), threading.Event()
    parse = Scenario.from_text

    def blocking(text: str, *, source: str = "<scenario>") -> Scenario:
        parsing.set()
        release.wait(30)
        return parse(text, source=source)

    app = create_app(clock=VirtualClock())
    monkeypatch.setattr(Scenario, "from_text", staticmethod(blocking))
    answers: list[int] = []
    with ServerThread(app) as server:

        def upload() -> None:
            doc = "api: ivvy\nname: slow\n"
            answers.append(httpx.post(f"{server.url}{C}/scenarios", content=doc).status_code)

        uploader = threading.Thread(target=upload)
        uploader.start()
        try:
            assert parsing.wait(30)
            # A bound against hanging (parsing on the event loop blocks this for ever).
            health = httpx.get(f"{server.url}{C}/health", timeout=30)
            assert health.status_code == 200
            assert answers == []  # the upload is still being parsed
        finally:
            release.set()
            uploader.join(30)
    assert answers == [201]


def test_a_bug_behind_the_control_api_is_answered_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(clock=VirtualClock())

    def broken() -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.state.mock.journal, "entries", broken)
    with ServerThread(app) as server:
        response = httpx.get(f"{server.url}{C}/requests")

    assert (response.status_code, response.json()) == (
        500,
        {"error": "internal error in mockbatch: RuntimeError('boom')"},
    )
