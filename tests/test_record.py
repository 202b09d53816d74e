"""``mockbatch record``: what any API's recording does (iVvy's client drives it here).

mockbatch itself is the upstream, on 127.0.0.1; the per-API recordings are under tests/apis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from record_helpers import BOUND, Answer, answer, record_and_replay

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.cli import main
from mockbatch.provider import Provider
from mockbatch.record import RecordError, Recording

RUN = "/api/1.0/batch?action=run"
PROGRESS = "/api/1.0/batch?action=progress"
JOBS = {"jobs": [{"namespace": "test", "action": "ping", "params": {}}]}


def _free_port_url() -> str:
    """A loopback URL nothing listens on (a port bound then closed)."""
    with ServerThread(create_app(apis=["ivvy"])) as server:
        url = server.url
    return url


def test_an_unreachable_upstream_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = _free_port_url()
    assert main(["record", "--api", "ivvy", "--upstream", url, "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"mockbatch: cannot reach the upstream {url}: ")
    assert err.count("\n") == 1


def test_an_api_without_a_recorder_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockbatch import registry

    made = registry.provider("ivvy")
    monkeypatch.setattr(made, "recorder", classmethod(Provider.recorder.__func__))  # type: ignore[attr-defined]
    with pytest.raises(RecordError, match="record does not support the ivvy API yet"):
        Recording("ivvy", "http://127.0.0.1:9", probe=False)


def _polling_client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """Run one job and poll its progress three times."""
    answers = [answer(http.post(RUN, json=JOBS))]
    batch = answers[0][1]["asyncId"]
    for _ in range(3):
        answers.append(answer(http.post(PROGRESS, json={"async": batch})))
    return answers


def test_an_upstream_error_is_passed_through_and_replayed_as_a_fault(tmp_path: Path) -> None:
    def inject(url: str) -> None:  # the provider answers the second progress with a 503
        fault = {"api": "ivvy", "operation": "batch", "query": {"action": "progress"}}
        fault |= {"on": 2, "status": 503}
        assert httpx.post(f"{url}/__mockbatch/faults", json=fault).status_code == 201

    run = record_and_replay("ivvy", _polling_client, tmp_path, upstream_setup=inject)
    assert [s for s, _ in run.recorded] == [200, 200, 503, 200]
    assert run.recorded[2][1] == {
        "errorCode": 503,
        "message": "Service Unavailable",
        "specificCode": 23000,
    }
    assert run.replayed == run.recorded
    assert "  # request #3: the provider answered 503, which the batches above do not replay\n" in (
        run.text
    )


def test_an_upstream_that_fails_mid_run_gets_the_client_a_502_and_loses_nothing() -> None:
    clock = VirtualClock()
    upstream = ServerThread(create_app(clock=clock, apis=["ivvy"])).start()
    with Recording("ivvy", f"{upstream.url}/ivvy", clock=clock) as recording:
        with httpx.Client(base_url=recording.url, timeout=BOUND) as http:
            batch = http.post(RUN, json=JOBS).json()["asyncId"]
            upstream.stop()
            failed = http.post(PROGRESS, json={"async": batch})
        text = recording.text()
    assert failed.status_code == 502
    assert failed.json() == {"errorCode": 502, "message": "Bad Gateway", "specificCode": 23000}
    entries = recording.proxy.journal.entries()
    assert [(e.query, e.status) for e in entries] == [("action=run", 200), ("action=progress", 502)]
    assert entries[1].body == f'{{"async":"{batch}"}}'.encode()
    assert entries[1].error is not None and entries[1].error.startswith(
        f"the upstream {upstream.url}/ivvy failed: "
    )
    assert "# request #2: the upstream failed, the client got this 502\n" in text
    assert "    'on':\n    - 1\n    status: 502\n" in text


def test_the_stop_endpoint_and_sigterm_end_a_recording_that_is_then_written(
    tmp_path: Path,
) -> None:
    with ServerThread(create_app(clock=VirtualClock(), apis=["ivvy"])) as upstream:
        for how in ("endpoint", "sigterm"):
            out = tmp_path / f"{how}.yaml"
            process, url = _record_process(f"{upstream.url}/ivvy", out)
            try:
                with httpx.Client(base_url=url, timeout=BOUND) as http:
                    created = http.post(
                        RUN, json=JOBS, headers={"Authorization": "Bearer sk-live-abcdef123456"}
                    )
                    assert created.status_code == 200
                    if how == "endpoint":
                        stopped = http.post("/__mockbatch/record/stop")
                        assert stopped.json() == {"stopped": True, "requests": 1}
                    else:
                        os.kill(process.pid, signal.SIGTERM)
                _, err = process.communicate(timeout=BOUND)
            finally:
                if process.poll() is None:
                    process.kill()
            assert process.returncode == 0, err
            assert f"mockbatch: wrote {out} (1 request(s), 1 batch(es))" in err
            assert main(["validate", str(out)]) == 0
            text = out.read_text("utf-8")
            assert created.json()["asyncId"] in text
            assert "sk-live-abcdef123456" not in text
            assert "authorization" in text


def _record_process(upstream: str, out: Path) -> tuple[subprocess.Popen[str], str]:
    """``python -m mockbatch record`` on port 0; its URL, read from its banner."""
    command = ["record", "--api", "ivvy", "--upstream", upstream, "--port", "0", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "mockbatch", *command],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith("mockbatch: recording the ivvy API: "), line
    return process, line.split(": ", 2)[2].split(" -> ")[0]


def test_the_cli_refuses_an_api_without_a_recorder_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mockbatch import registry

    made = registry.provider("ivvy")
    monkeypatch.setattr(made, "recorder", classmethod(Provider.recorder.__func__))  # type: ignore[attr-defined]
    assert main(["record", "--api", "ivvy", "--upstream", "http://127.0.0.1:9"]) == 1
    supported = "(it supports: anthropic, check, openai, runtype, trigger)"
    assert (
        capsys.readouterr().err
        == f"mockbatch: record does not support the ivvy API yet {supported}\n"
    )
