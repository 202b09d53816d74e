"""``mockbatch verify``: the spec's conformance checks against any server that claims an API.

It must pass the mock and catch a server that breaks the contract, naming the operation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.cli import main


def progress_as_text(app: ASGIApp) -> ASGIApp:
    """The mock with one bug: every ``progress`` call answers 200 ``{"progress": "33%"}``."""

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"action=progress" in scope.get("query_string", b""):
            body = b'{"progress":"33%"}'
            headers = [(b"content-type", b"application/json"), (b"content-length", b"18")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return broken


@pytest.fixture
def mock_url() -> Iterator[str]:
    with ServerThread(create_app(clock=VirtualClock())) as server:
        yield server.url


def verify(url: str, *more: str) -> list[str]:
    return ["verify", "--api", "ivvy", "--base-url", url, "--max-examples", "10", *more]


def test_verify_passes_the_mock(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(verify(f"{mock_url}/ivvy", "--header", "Authorization: Bearer test"))

    out = capsys.readouterr().out
    assert status == 0, out
    assert "mockbatch verify: the ivvy contract (" in out
    assert "checks: all (as schemathesis --checks all), with the stateful phase\n" in out
    assert "skipped: positive_data_acceptance (the body's schema depends on the action" in out
    assert "ok    POST /api/1.0/batch" in out
    assert out.rstrip().splitlines()[-1].startswith("ok: 1 operation(s) kept the contract (")


def test_the_readme_shows_a_real_run(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    command = "$ mockbatch verify --api ivvy --base-url http://127.0.0.1:8080/ivvy\n"
    shown = readme.split(command)[1].split("```")[0]

    assert main(["verify", "--api", "ivvy", "--base-url", f"{mock_url}/ivvy"]) == 0

    out = capsys.readouterr().out.replace(mock_url, "http://127.0.0.1:8080")
    assert re.sub(r"\(/\S+/specs/", "(.../specs/", out) == shown


def test_verify_catches_a_broken_server_and_names_the_operation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ServerThread(progress_as_text(create_app(clock=VirtualClock()))) as server:
        status = main(verify(f"{server.url}/ivvy"))

    out = capsys.readouterr().out
    assert status == 1
    lines = out.splitlines()
    failing = lines.index("FAIL  POST /api/1.0/batch")
    reasons = [line.strip() for line in lines[failing + 1 :] if line.startswith("        ")]
    assert "response_schema_conformance: Response violates schema" in reasons
    assert '{"progress":"33%"} is not valid under any of the schemas' in out  # what it got
    assert "curl -X POST " in out  # and how to send that request again
    assert lines[-1].startswith("1 of 1 operation(s) broke the contract (")


def test_verify_reports_a_server_it_cannot_reach(capsys: pytest.CaptureFixture[str]) -> None:
    server = ServerThread(create_app(clock=VirtualClock()))
    server.stop()  # a port nobody listens on

    status = main(verify(f"{server.url}/ivvy"))

    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL  POST /api/1.0/batch" in out
    assert "Connection refused" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--header", "no colon"], "--header 'no colon': write it as 'Name: value'"),
        (["--api", "nope"], "argument --api: invalid choice: 'nope'"),
    ],
)
def test_verify_usage_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*verify("http://127.0.0.1:1/ivvy"), *args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
