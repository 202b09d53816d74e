"""The README's Trigger.dev examples, run as written: the scenario, and the SDK snippet."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx

from mockbatch import Scenario, ServerThread, VirtualClock, create_app, load_scenarios
from mockbatch.apis.trigger import TriggerProvider
from mockbatch.transport import InProcessTransport

from .helpers import line, results, retrieve, runs, stream
from .test_trigger_sdk import KEY, SDK_DIR, node  # noqa: F401 - the fixture

README = Path(__file__).resolve().parents[3] / "README.md"


def section_block(kind: str) -> str:
    """The first ```kind block of the README's Trigger.dev section."""
    section = README.read_text("utf-8").split("## Trigger.dev (`/trigger`)")[1].split("\n## ")[0]
    return section.split(f"```{kind}\n")[1].split("```")[0]


def test_readme_scenario_example_does_what_its_comments_say() -> None:
    scenario = Scenario.from_text(section_block("yaml"), source="README.md")
    assert TriggerProvider.check_scenario(scenario) == []
    app = create_app(scenarios=[scenario, *load_scenarios()], clock=VirtualClock())
    http = httpx.Client(transport=InProcessTransport(app), base_url="http://mock")

    imports = http.post(
        "/trigger/api/v3/batches", headers={"Authorization": f"Bearer {KEY}"}, json={"runCount": 4}
    ).json()["id"]
    stream(http, imports, *(line(i, "import-rows", {"rows": 10 * i}) for i in range(4)))
    assert retrieve(http, imports)["status"] == "PROCESSING"  # poll 1 of 2
    assert retrieve(http, imports)["status"] == "PARTIAL_FAILED"
    done = results(http, imports)
    assert [json.loads(r["output"]) for r in done[:3]] == [{"imported": n} for n in (0, 10, 20)]
    assert done[3]["error"]["message"] == "row 4 is empty"

    mixed = http.post(
        "/trigger/api/v3/batches", headers={"Authorization": f"Bearer {KEY}"}, json={"runCount": 2}
    ).json()["id"]
    stream(http, mixed, line(0, "send-email", {"to": "a@b.c"}), line(1, "cleanup-temp"))
    assert retrieve(http, mixed)["status"] == "ABORTED"
    assert [r["status"] for r in runs(http, mixed)["data"]] == ["FAILED", "CANCELED"]


def test_readme_sdk_snippet_runs_against_the_mock(node: str) -> None:  # noqa: F811
    clock = VirtualClock()
    started = clock.now()
    app = create_app(clock=clock, check_responses=True)
    snippet = SDK_DIR / "readme_snippet.mjs"
    with ServerThread(app) as server:
        code = section_block("js").replace("http://127.0.0.1:8080", server.url)
        code = code.replace('"tr_dev_local"', f'"{KEY}"')
        snippet.write_text(code, "utf-8")
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIGGER_", "VERCEL_"))}
            done = subprocess.run(
                [node, snippet.name],
                cwd=SDK_DIR,
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )
        finally:
            snippet.unlink()

    assert done.returncode == 0, done.stderr
    printed = [row.split() for row in done.stdout.splitlines()]
    assert [status for _, status in printed] == ["COMPLETED", "COMPLETED"]
    assert (clock.now() - started).total_seconds() == 5  # the snippet moved the clock
    operations = [e.operation for e in app.state.mock.journal.entries()]
    assert operations == [
        "createBatch",
        "streamBatchItems",
        "retrieveBatchV2",
        "getBatchResults",
        "listRuns",
    ]
