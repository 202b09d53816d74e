"""Record a client's run through ``mockbatch record`` with mockbatch itself as the upstream,
then replay the file and run the client again: the harness of the record tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.app import load_scenarios
from mockbatch.cli import main
from mockbatch.record import Recording
from mockbatch.scenarios import Scenario

BOUND = 120.0  # seconds a client waits: a bound for a wedged server, not a speed check

Answer = tuple[int, Any]
Client = Callable[[httpx.Client, VirtualClock], list[Answer]]


@dataclass(frozen=True, slots=True)
class Replayed:
    """A recording and its replay: both runs' answers and the file."""

    recorded: list[Answer]
    replayed: list[Answer]
    path: Path
    text: str


def answer(response: httpx.Response) -> Answer:
    """(status, JSON body or text) of a response."""
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def record_and_replay(
    api: str,
    client: Client,
    folder: Path,
    *,
    scenarios: list[Scenario] | None = None,
    upstream_setup: Callable[[str], None] | None = None,
) -> Replayed:
    """Run ``client`` through a recorder in front of mockbatch (one virtual clock for both,
    so the file's seconds are the clock's), check the file, serve it alone at the root (as
    ``serve --api``) and run ``client`` again on a fresh virtual clock."""
    clock = VirtualClock()
    upstream_app = create_app(clock=clock, apis=[api], scenarios=scenarios)
    with ServerThread(upstream_app) as upstream:
        if upstream_setup is not None:
            upstream_setup(upstream.url)
        with Recording(api, f"{upstream.url}/{api}", clock=clock) as recording:
            with httpx.Client(base_url=recording.url, timeout=BOUND) as http:
                recorded = client(http, clock)
        path = recording.write(folder / f"recorded-{api}.yaml")
    assert main(["validate", str(path)]) == 0
    replay_clock = VirtualClock()
    replay_app = create_app(clock=replay_clock, root_api=api, scenarios=load_scenarios([path]))
    with (
        ServerThread(replay_app) as replay,
        httpx.Client(base_url=replay.url, timeout=BOUND) as http,
    ):
        replayed = client(http, replay_clock)
    return Replayed(recorded, replayed, path, path.read_text("utf-8"))
