"""What the mockbatch fixtures cost a test session, against tests that use no fixture.

    python bench/plugin_overhead.py [--tests 200] [--runs 5]

Runs pytest in fresh processes on generated test files (``def test_n(): pass`` and
``def test_n(mockbatch): pass``) and reads each phase's duration from pytest's own reports:

- session start-up: the first ``mockbatch`` test's setup (the session server: app, scenarios,
  specs, a uvicorn thread on 127.0.0.1), shown without and with the one-off import of the
  server's modules (starlette, uvicorn, httpx, the providers' packages; jsonschema only once a
  check needs it), which any test that imports mockbatch pays anyway;
- per-test reset: a ``mockbatch`` test's setup + teardown, less a plain test's;
- session teardown: the last test's teardown (it stops the session server), less a usual one.

Medians over ``--runs`` processes, after one uncounted run that lets Python write its bytecode
caches (an installed package has them), even under ``PYTHONDONTWRITEBYTECODE``. Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RECORDER = """
import json, os

_REPORTS = []

def pytest_runtest_logreport(report):
    _REPORTS.append((report.nodeid, report.when, report.duration))

def pytest_sessionfinish(session):
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump(_REPORTS, out)
"""

VARIANTS = {
    "plain": "def test_{n}():\n    pass\n",
    "fixture": "def test_{n}(mockbatch):\n    pass\n",
    # the server's modules imported at collection, so the first setup shows the server alone
    "fixture_imported": "def test_{n}(mockbatch):\n    pass\n",
}


IMPORTS = """
import mockbatch.handle  # noqa: F401
from mockbatch.registry import providers

list(providers().values())  # every provider's package

"""


def run(folder: Path, variant: str, tests: int) -> list[tuple[str, str, float]]:
    body = "".join(VARIANTS[variant].format(n=n) for n in range(tests))
    if variant == "fixture_imported":
        body = IMPORTS + body
    test_file = folder / f"test_{variant}.py"
    test_file.write_text(body)
    out = folder / f"{variant}.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(BENCH_OUT=str(out), PYTHONPATH=str(folder))
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_recorder"]
    subprocess.run([*args, str(test_file)], cwd=folder, env=env, check=True, capture_output=True)
    test_file.unlink()
    return [(nodeid, when, duration) for nodeid, when, duration in json.loads(out.read_text())]


def phases(reports: list[tuple[str, str, float]]) -> dict[str, list[float]]:
    setup = [d for _, when, d in reports if when == "setup"]
    teardown = [d for _, when, d in reports if when == "teardown"]
    return {"setup": setup, "teardown": teardown}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {
        "start": [],
        "start_no_import": [],
        "reset": [],
        "teardown": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "_recorder.py").write_text(RECORDER)
        for variant in VARIANTS:  # the bytecode caches
            run(folder, variant, 2)
        for _ in range(args.runs):
            plain = phases(run(folder, "plain", args.tests))
            fixture = phases(run(folder, "fixture", args.tests))
            imported = phases(run(folder, "fixture_imported", args.tests))
            usual_setup = statistics.median(plain["setup"])
            usual_teardown = statistics.median(plain["teardown"])
            per_test = [
                s + t
                for s, t in zip(fixture["setup"][1:-1], fixture["teardown"][1:-1], strict=True)
            ]
            fixture_teardown = statistics.median(fixture["teardown"][1:-1])
            figures["start"].append(fixture["setup"][0] - usual_setup)
            figures["start_no_import"].append(imported["setup"][0] - usual_setup)
            figures["reset"].append(statistics.median(per_test) - usual_setup - usual_teardown)
            figures["teardown"].append(fixture["teardown"][-1] - fixture_teardown)

    def ms(key: str) -> float:
        return statistics.median(figures[key]) * 1000

    print(f"mockbatch fixture overhead ({args.tests} tests, median of {args.runs} runs)")
    print(f"  session start-up   {ms('start_no_import'):7.1f} ms   (aim: < 50 ms)")
    print(
        f"    + first import   {ms('start') - ms('start_no_import'):7.1f} ms   (once per process)"
    )
    print(f"  per-test reset     {ms('reset') * 1000:7.0f} µs   (aim: < 1 ms)")
    print(f"  session teardown   {ms('teardown'):7.1f} ms   (aim: < 20 ms)")


if __name__ == "__main__":
    main()
