"""A provider from another package (``tests/thirdparty/mockbatch_echo``: its own spec, default
scenario and error format), registered through the ``mockbatch.providers`` entry point and
nothing else: mockbatch serves it, takes scenarios for it, lists it, reaches it from the pytest
plugin, verifies it, and the cross-cutting tests run for it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from test_serve import Serve
from thirdparty.install import FLAG, installed

from mockbatch import VirtualClock, create_app, registry
from mockbatch.app import load_scenarios
from mockbatch.cli import main
from mockbatch.errors import LoadError
from mockbatch.provider import Handler
from mockbatch.transport import InProcessTransport

HERE = Path(__file__).resolve().parent
KEY = {"authorization": "Bearer echo_test"}


@pytest.fixture
def echo() -> Iterator[Path]:
    with installed() as site:
        yield site


def test_it_is_registered_beside_the_built_ins(echo: Path) -> None:
    from mockbatch_echo import EchoProvider

    assert registry.providers()["echo"] is EchoProvider
    assert {"check", "ivvy", "runtype", "trigger"} < set(registry.names())


def test_without_the_package_it_is_unknown() -> None:
    assert "echo" not in registry.names()
    valid = ", ".join(registry.names())
    with pytest.raises(LoadError, match=re.escape(f"unknown API 'echo' (valid: {valid})")):
        create_app(apis=["echo"])


def test_mockbatch_serve_serves_it_and_its_default_scenario(echo: Path) -> None:
    served = Serve("--clock", "virtual")
    try:
        assert f"  {echo_scenario()}: echo scenario 'echo-default'" in served.banner
        done = httpx.get(f"{served.url}/echo/batches/echo_done", headers=KEY)
        assert done.json() == {"id": "echo_done", "state": "ended", "total": 3, "done": 3}
        missing = httpx.get(f"{served.url}/echo/batches/nope", headers=KEY)
        assert (missing.status_code, missing.json()) == (
            404,
            {"fault": {"status": 404, "reason": "no batch 'nope'"}},
        )
        health = httpx.get(f"{served.url}/__mockbatch/health").json()
        assert health["apis"] == registry.names() and "echo" in health["apis"]
    finally:
        served.kill()


def test_mockbatch_verify_checks_it_against_the_served_mock(
    echo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = Serve("--api", "echo", "--clock", "virtual")
    try:
        args = [
            "--api",
            "echo",
            "--base-url",
            served.url,
            "--header",
            "Authorization: Bearer echo_v",
        ]
        status = main(["verify", *args, "--max-examples", "10"])
    finally:
        served.kill()
    out = capsys.readouterr().out
    assert status == 0, out
    assert "ok: 4 operation(s) kept the contract" in out  # its 3 and the stateful run


def test_scenario_files_for_it_are_validated(echo: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("api: echo\nbatches:\n  - id: b1\n    items: [{input: x, response: X}]\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("api: ecoh\n")

    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(bad)]) == 1
    assert [s.api for s in load_scenarios([good])] == ["echo"]


def test_the_control_api_lists_it(echo: Path) -> None:
    app = create_app(clock=VirtualClock())
    with httpx.Client(transport=InProcessTransport(app), base_url="http://m") as client:
        health = client.get("/__mockbatch/health").json()
        shown = client.get("/__mockbatch/timeline/echo/echo_done").json()["batch"]
    assert "echo" in health["apis"]
    assert (shown["status"], shown["engine_status"]) == ("ended", "completed with failures")
    assert {"name": "echo-default", "api": "echo", "source": str(echo_scenario())} in health[
        "scenarios"
    ]


def test_the_plugin_reaches_it_through_base_url(echo: Path, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_echo(mockbatch):
            url = mockbatch.base_url("echo")
            key = {"authorization": "Bearer echo_plugin"}
            made = httpx.post(f"{url}/batches", json={"items": ["hi"]}, headers=key).json()
            assert made["state"] == "running"
            mockbatch.clock.advance(1)
            done = httpx.get(f"{url}/batches/{made['id']}", headers=key).json()
            assert done["state"] == "ended"
            page = httpx.get(f"{url}/batches/{made['id']}/results", headers=key).json()
            assert page == {"items": [{"index": 0, "ok": True, "output": "HI"}], "next_page": None}
            mockbatch.assert_stopped_polling()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


CROSS_CUTTING = ["test_bad_input.py", "test_bearer_auth.py", "test_faults.py", "test_contract.py"]


def test_the_cross_cutting_tests_run_for_it() -> None:
    """The same test files, with Echo installed before collection, collect and pass Echo's
    cases (no change to them or to mockbatch)."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", "echo"]
    command += ["-rA", *(str(HERE / name) for name in CROSS_CUTTING)]
    env = {**os.environ, FLAG: "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=HERE.parent)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    passed = [line for line in done.stdout.splitlines() if line.startswith("PASSED")]
    for name in CROSS_CUTTING:
        assert any(name in line and "echo" in line for line in passed), (name, done.stdout)


def echo_scenario() -> Path:
    return HERE / "thirdparty" / "mockbatch_echo" / "data" / "scenarios" / "echo.yaml"


def test_a_provider_whose_handlers_and_spec_disagree_refuses_to_start(
    echo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockbatch_echo import EchoProvider

    class Partial(EchoProvider):
        operations: ClassVar[Mapping[str, Handler]] = {
            "createBatch": EchoProvider._create,
            "getBatch": EchoProvider._get,
            "deleteBatch": EchoProvider._get,
        }

    class Empty(EchoProvider):
        operations: ClassVar[Mapping[str, Handler]] = {}

    for made, expected in [
        (
            Partial,
            [
                "operations: operation 'getResults' of its spec has no handler",
                "operations: a handler for 'deleteBatch', which its spec lacks",
            ],
        ),
        (Empty, [f"operations: operation {op!r} of its spec has no handler" for op in OPS]),
    ]:
        monkeypatch.setattr(registry, "providers", lambda made=made: {"echo": made})
        with pytest.raises(LoadError) as refused:
            create_app(apis=["echo"])
        where = f"provider 'echo' ({__name__}.{made.__qualname__}):1: "
        assert [str(p) for p in refused.value.problems] == [where + e for e in expected]


OPS = ["createBatch", "getBatch", "getResults"]
