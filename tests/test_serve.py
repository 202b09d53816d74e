"""`mockbatch serve` as a user runs it: a real process on 127.0.0.1 (port 0), whose banner says
what it loaded and where it listens, stopped with Ctrl-C or SIGTERM."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockbatch import Scenario, __version__
from mockbatch.cli import main
from mockbatch.registry import names
from mockbatch.resources import default_scenarios_dir

STARTED = 60.0  # seconds a busy machine may take to print the banner


class Serve:
    """``mockbatch serve --port 0 ARGS`` in a subprocess, up once its banner is printed."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "mockbatch", "serve", "--port", "0", *args]
        self.process = subprocess.Popen(  # not from the checkout's root: `-m` would import the
            command,  # package from there rather than the installed one this test imported
            cwd=Path(__file__).parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.banner: list[str] = []
        while not self.banner or not self.banner[-1].startswith("mockbatch: serving "):
            line = self._lines.get(timeout=STARTED)
            if line is None:
                pytest.fail(f"serve exited early ({self.process.wait()}): {self.banner}")
            self.banner.append(line)
        found = re.search(r"control API (http://\S+?)/__mockbatch", self.banner[-1])
        assert found, self.banner
        self.url = found.group(1)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def stop(self, sig: int) -> tuple[int, list[str]]:
        """Send ``sig``; the exit status and what it printed after the banner."""
        self.process.send_signal(sig)
        status = self.process.wait(timeout=STARTED)
        self._reader.join(STARTED)
        rest: list[str] = []
        while (line := self._lines.get_nowait()) is not None:
            rest.append(line)
        return status, rest

    def kill(self) -> None:
        """Kill it if it still runs, and close its pipe."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(STARTED)
        assert self.process.stderr is not None
        self.process.stderr.close()


@pytest.fixture
def serve(request: pytest.FixtureRequest) -> Iterator[Serve]:
    served = Serve(*getattr(request, "param", []))
    try:
        yield served
    finally:
        served.kill()


def test_serve_answers_the_docs_examples_and_stops_on_ctrl_c(serve: Serve) -> None:
    response = httpx.post(
        f"{serve.url}/ivvy/api/1.0/batch?action=results",
        json={"async": "e35e06ee592d17a42dc9e6252a058617"},
    )
    assert response.status_code == 200
    assert response.json()["asyncId"] == "e35e06ee592d17a42dc9e6252a058617"

    assert serve.stop(signal.SIGINT) == (0, [])


def test_sigterm_stops_it_like_ctrl_c(serve: Serve) -> None:
    assert httpx.get(f"{serve.url}/__mockbatch/health").status_code == 200

    assert serve.stop(signal.SIGTERM) == (0, [])


# A SIGTERM that arrives while the main thread holds a lock of its own wait: the handler must
# not need that lock. The serve process signals itself at the worst moment: inside the first
# wait the main thread makes once the server runs (a Condition's, with its lock held; or a
# read).
SIGNAL_IN_THE_WAIT = """
import os, signal, sys, threading
from mockbatch import cli
from mockbatch.server import ServerThread

started = ServerThread.start
serving = []
def start(self):
    serving.append(started(self))
    return serving[0]
ServerThread.start = start
def signal_now():
    if serving and threading.current_thread() is threading.main_thread():
        serving.clear()
        os.kill(os.getpid(), signal.SIGTERM)
        sum(range(1000))  # the handler runs here, the lock (if any) still held
release = threading.Condition._release_save
def release_save(self):
    signal_now()
    return release(self)
threading.Condition._release_save = release_save
read = os.read
def read_after_signal(fd, n):
    signal_now()
    return read(fd, n)
os.read = read_after_signal
sys.exit(cli.main(["serve", "--port", "0", "--clock", "virtual", "--api", "ivvy"]))
"""


def test_a_stop_signal_during_the_wait_itself_stops_the_server() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_IN_THE_WAIT], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert "mockbatch: serving" in done.stderr


def test_the_banner_lists_the_files_loaded_and_the_real_port(serve: Serve) -> None:
    shipped = default_scenarios_dir()
    url = serve.url
    port = int(url.rsplit(":", 1)[1])

    assert port != 0 and url == f"http://127.0.0.1:{port}"
    files = sorted(shipped.glob("*.yaml"))
    loaded = [Scenario.from_path(path) for path in files]
    assert serve.banner == [
        f"mockbatch: loaded {len(files)} scenario file(s):",
        *(f"  {path}: {s.api} scenario '{s.name}'" for path, s in zip(files, loaded, strict=True)),
        f"mockbatch: dashboard {url}/__mockbatch/ui",
        "mockbatch: serving "
        + ", ".join(f"{url}/{name}" for name in names())
        + f" (control API {url}/__mockbatch, wall clock)",
    ]


def test_the_banner_says_which_given_files_replace_the_shipped_ones(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("api: ivvy\nname: mine\n")
    other = tmp_path / "other.yaml"
    other.write_text("api: check\nname: other\n")
    served = Serve(str(mine), str(other), "--api", "ivvy", "--clock", "virtual")
    try:
        assert served.banner == [
            "mockbatch: loaded 1 scenario file(s):",
            f"  {mine}: ivvy scenario 'mine'",
            f"mockbatch: not served (--api ivvy): {other}",
            f"mockbatch: dashboard {served.url}/__mockbatch/ui",
            f"mockbatch: serving {served.url} (control API {served.url}/__mockbatch,"
            " virtual clock)",
        ]
    finally:
        served.kill()


@pytest.mark.parametrize("serve", [["--api", "ivvy", "--clock", "virtual"]], indirect=True)
def test_serving_one_api_reads_its_default_scenario_alone(serve: Serve) -> None:
    shipped = default_scenarios_dir() / "ivvy.yaml"

    assert serve.banner[:2] == [
        "mockbatch: loaded 1 scenario file(s):",
        f"  {shipped}: ivvy scenario '{Scenario.from_path(shipped).name}'",
    ]
    assert not [line for line in serve.banner if "not served" in line]  # other APIs' defaults


@pytest.mark.parametrize("serve", [["--api", "ivvy", "--clock", "virtual"]], indirect=True)
def test_serve_one_api_at_the_root(serve: Serve) -> None:
    progress = httpx.post(
        f"{serve.url}/api/1.0/batch?action=progress",
        json={"async": "a7ec88af7d710bf51b188004bb532d77"},
    )
    assert progress.json() == {"progress": 33}
    assert httpx.get(f"{serve.url}/__mockbatch/health").json()["clock"]["kind"] == "virtual"


@pytest.mark.parametrize("serve", [["--control-token", "s3cret"]], indirect=True)
def test_a_control_token_guards_the_control_api(serve: Serve) -> None:
    refused = httpx.get(f"{serve.url}/__mockbatch/health")
    allowed = httpx.get(
        f"{serve.url}/__mockbatch/health", headers={"authorization": "Bearer s3cret"}
    )

    assert serve.banner[-1].endswith(
        f"(control API {serve.url}/__mockbatch, token required, wall clock)"
    )
    assert (refused.status_code, refused.headers["www-authenticate"]) == (401, "Bearer")
    assert allowed.status_code == 200


def test_a_taken_port_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["serve", "--port", str(port)])

    out, err = capsys.readouterr()
    assert (status, out) == (1, "")
    assert (
        err == f"mockbatch: cannot listen on 127.0.0.1:{port}: [Errno 98] Address already in use\n"
    )


def test_a_host_off_loopback_gets_a_warning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: object, **kwargs: object) -> None:
        raise OSError(99, "Cannot assign requested address")  # nothing binds off loopback here

    monkeypatch.setattr("mockbatch.server.ServerThread.__init__", unavailable)
    status = main(["serve", "--host", "0.0.0.0", "--port", "0"])

    assert status == 1
    assert capsys.readouterr().err.splitlines() == [
        "mockbatch: warning: --host 0.0.0.0 is not loopback: anyone who can reach this port can"
        " use the mocked APIs; they can also reset it, load scenarios and read the journal"
        " (set --control-token)",
        "mockbatch: cannot listen on 0.0.0.0:0: [Errno 99] Cannot assign requested address",
    ]


@pytest.mark.parametrize(
    "port, message",
    [
        ("99999", "99999 is not a port (0-65535; 0 picks a free one)"),
        ("-1", "-1 is not a port (0-65535; 0 picks a free one)"),
        ("http", "'http' is not a port number"),
    ],
)
def test_a_port_out_of_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], port: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])

    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"mockbatch serve: error: argument --port: {message}"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert (exited.value.code, capsys.readouterr().out) == (0, f"mockbatch {__version__}\n")


def test_time_travel_is_reported_in_the_terminal(serve: Serve) -> None:
    moved = httpx.post(f"{serve.url}/__mockbatch/clock", json={"advance": 259200})
    assert moved.status_code == 200

    assert serve.stop(signal.SIGTERM) == (
        0,
        ["mockbatch: the clock is now 259200 s ahead of real time"],
    )


def test_with_defaults_serves_the_shipped_scenarios_under_the_given_ones(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "api: ivvy\nname: mine\nbatches:\n  - id: 0123456789abcdef0123456789abcdef\n    items:\n"
        "      - input: {namespace: test, action: ping, params: {}}\n        response: {ack: 1}\n"
    )
    served = Serve("--with-defaults", str(mine))
    try:
        files = sorted(default_scenarios_dir().glob("*.yaml"))
        shown = [f"  {path}: {Scenario.from_path(path).api} scenario" for path in files]
        assert served.banner[0] == f"mockbatch: loaded {len(files) + 1} scenario file(s):"
        assert [line.rsplit(" '", 1)[0] for line in served.banner[1 : len(files) + 1]] == shown
        assert served.banner[len(files) + 1 : len(files) + 3] == [
            f"  {mine}: ivvy scenario 'mine'",  # after the shipped ones: its rules win
            f"mockbatch: dashboard {served.url}/__mockbatch/ui",
        ]
        results = f"{served.url}/ivvy/api/1.0/batch?action=results"
        for batch in ("e35e06ee592d17a42dc9e6252a058617", "0123456789abcdef0123456789abcdef"):
            assert httpx.post(results, json={"async": batch}).status_code == 200, batch
    finally:
        served.kill()
