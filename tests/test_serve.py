"""`mockbatch serve` as a user runs it: a real process on 127.0.0.1, stopped with Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(process: subprocess.Popen[str], url: str) -> None:
    for _ in range(400):
        if process.poll() is not None:
            pytest.fail(f"serve exited early: {process.communicate()}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            try:
                process.wait(0.025)
            except subprocess.TimeoutExpired:
                pass
    pytest.fail("serve did not start within 10 s")


@pytest.fixture
def serve(request: pytest.FixtureRequest) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    args = [
        sys.executable,
        "-m",
        "mockbatch",
        "serve",
        "--port",
        str(port),
        *getattr(request, "param", []),
    ]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url + "/__mockbatch/health")
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_serve_answers_the_docs_examples_and_stops_on_ctrl_c(
    serve: tuple[str, subprocess.Popen[str]],
) -> None:
    url, process = serve
    response = httpx.post(
        f"{url}/ivvy/api/1.0/batch?action=results",
        json={"async": "e35e06ee592d17a42dc9e6252a058617"},
    )
    assert response.status_code == 200
    assert response.json()["asyncId"] == "e35e06ee592d17a42dc9e6252a058617"

    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("serve", [["--api", "ivvy", "--clock", "virtual"]], indirect=True)
def test_serve_one_api_at_the_root(serve: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = serve
    progress = httpx.post(
        f"{url}/api/1.0/batch?action=progress", json={"async": "a7ec88af7d710bf51b188004bb532d77"}
    )
    assert progress.json() == {"progress": 33}
    assert httpx.get(f"{url}/__mockbatch/health").json()["clock"]["kind"] == "virtual"
