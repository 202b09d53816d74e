"""The shipped scenarios' timing of the batches clients create: on every API a client sees its
batch in progress at its first two polls, whichever call it polls with, and the batch finishes
only once 5 seconds have passed too. Over a real socket on the wall clock, as ``mockbatch serve``
runs by default; time moves by the clock's offset (``POST /__mockbatch/clock``), never by a sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from apis.anthropic_batches import helpers as anthropic
from apis.check import helpers as check
from apis.ivvy.helpers import call, job
from apis.openai_api import helpers as openai
from apis.runtype import runtype_helpers as runtype
from apis.trigger import helpers as trigger
from conftest import BOUND, assert_contract_kept

from mockbatch import Scenario, ServerThread, SystemClock, VirtualClock, create_app
from mockbatch.apis.trigger.runs import run_id
from mockbatch.mock import Mock
from mockbatch.resources import default_scenarios_dir

SECONDS = 5  # what the shipped scenarios give a created batch, besides its polls
THREE_DAYS = 259200


@dataclass(frozen=True)
class Served:
    """A client of a server, and the server's mock (to look up what only a poll would show)."""

    http: httpx.Client
    mock: Mock


Poll = Callable[[Served, str], str]
"""One poll of a batch: what the client saw, in the provider's words."""


@dataclass(frozen=True)
class Lifecycle:
    """How a client creates a batch of an API, polls it (each call it may poll with: the words
    of its first two answers), and the words that say it finished."""

    create: Callable[[httpx.Client], str]
    polls: dict[str, tuple[Poll, tuple[str, str]]]
    done: frozenset[str]


# -- iVvy -----------------------------------------------------------------------------------


def _ivvy_create(http: httpx.Client) -> str:
    jobs = [job(), job("contact", "addOrUpdateContact", id=1, firstName="Ann")]
    async_id: str = call(http, "run", {"jobs": jobs}).json()["asyncId"]
    return async_id


def _ivvy_progress(to: Served, batch_id: str) -> str:
    return f"progress {call(to.http, 'progress', {'async': batch_id}).json()['progress']}"


def _ivvy_results(to: Served, batch_id: str) -> str:
    answer = call(to.http, "results", {"async": batch_id})
    return "results" if answer.status_code == 200 else str(answer.json()["specificCode"])


def _ivvy_either(to: Served, batch_id: str) -> str:
    """A client that asks for its progress and its results in turn."""
    with to.mock.engine.lock:
        batch = to.mock.engine.get("ivvy", batch_id)
        assert batch is not None
        polls = batch.polls
    return (_ivvy_results if polls % 2 else _ivvy_progress)(to, batch_id)


# -- Trigger.dev ----------------------------------------------------------------------------


def _trigger_create(http: httpx.Client) -> str:
    return trigger.trigger(http, "any-task", [{"n": 1}, {"n": 2}])


def _runs_word(statuses: list[str]) -> str:
    return ",".join(sorted(set(statuses)))


def _trigger_results(to: Served, batch_id: str) -> str:
    return f"{len(trigger.results(to.http, batch_id))} results"


def _trigger_runs(to: Served, batch_id: str) -> str:
    return _runs_word([run["status"] for run in trigger.runs(to.http, batch_id)["data"]])


def _trigger_run_result(to: Served, batch_id: str) -> str:
    with to.mock.engine.lock:
        batch = to.mock.engine.get("trigger", batch_id)
        assert batch is not None
        first = run_id(batch, 0)
    answer = to.http.get(f"{trigger.API}/v1/runs/{first}/result", headers=trigger.KEY)
    return "result" if answer.status_code == 200 else str(answer.status_code)


def _trigger_retrieve(version: int) -> Poll:
    def poll(to: Served, batch_id: str) -> str:
        status: str = trigger.retrieve(to.http, batch_id, version)["status"]
        return status

    return poll


# -- Runtype, Check, Anthropic, OpenAI ------------------------------------------------------


def _runtype_create(http: httpx.Client) -> str:
    body = {"flowId": "flow_12345abcde", "recordIds": ["rec_98765zyxwv", "rec_13579fghij"]}
    batch_id: str = runtype.submit(http, body).json()["batchExecutionId"]
    return batch_id


def _runtype_status(to: Served, batch_id: str) -> str:
    return str(runtype.status(to.http, batch_id)["status"])


def _runtype_results(to: Served, batch_id: str) -> str:
    return _runs_word([r["status"] for r in runtype.results(to.http, batch_id).json()["data"]])


def _check_create(http: httpx.Client) -> str:
    batch_id: str = check.create(http, "The sky is blue.", "A myth about sharks.")["id"]
    return batch_id


def _check_batch(to: Served, batch_id: str) -> str:
    status: str = check.poll(to.http, batch_id).json()["status"]
    return status


def _check_results(to: Served, batch_id: str) -> str:
    return _runs_word([item["status"] for item in check.results(to.http, batch_id)["items"]])


def _anthropic_create(http: httpx.Client) -> str:
    batch_id: str = anthropic.create(http, "first", "fail-second")["id"]
    return batch_id


def _anthropic_retrieve(to: Served, batch_id: str) -> str:
    status: str = anthropic.retrieve(to.http, batch_id)["processing_status"]
    return status


def _openai_create(http: httpx.Client) -> str:
    batch_id: str = openai.batch(http, openai.jsonl("first", "fail-second"))["id"]
    return batch_id


def _openai_retrieve(to: Served, batch_id: str) -> str:
    status: str = openai.retrieve(to.http, batch_id)["status"]
    return status


LIFECYCLES: dict[str, Lifecycle] = {
    "ivvy": Lifecycle(
        _ivvy_create,
        {
            "progress": (_ivvy_progress, ("progress 0", "progress 0")),
            "results": (_ivvy_results, ("24114", "24114")),
            "progress, then results": (_ivvy_either, ("progress 0", "24114")),
        },
        frozenset({"progress 100", "results"}),
    ),
    "trigger": Lifecycle(
        _trigger_create,
        {
            "retrieve v1": (_trigger_retrieve(1), ("PROCESSING", "PROCESSING")),
            "retrieve v2": (_trigger_retrieve(2), ("PROCESSING", "PROCESSING")),
            "results": (_trigger_results, ("0 results", "0 results")),
            "runs.list": (_trigger_runs, ("QUEUED", "EXECUTING")),
            "runs.retrieve result": (_trigger_run_result, ("404", "404")),
        },
        frozenset({"COMPLETED", "2 results", "result"}),
    ),
    "runtype": Lifecycle(
        _runtype_create,
        {
            "status": (_runtype_status, ("running", "running")),
            "results": (_runtype_results, ("running", "running")),
        },
        frozenset({"completed", "completed,failed"}),
    ),
    "check": Lifecycle(
        _check_create,
        {
            "batch": (_check_batch, ("pending", "processing")),
            "results": (_check_results, ("pending", "queued")),
        },
        frozenset({"completed"}),
    ),
    "anthropic": Lifecycle(
        _anthropic_create,
        {"retrieve": (_anthropic_retrieve, ("in_progress", "in_progress"))},
        frozenset({"ended"}),
    ),
    "openai": Lifecycle(
        _openai_create,
        {"retrieve": (_openai_retrieve, ("validating", "in_progress"))},
        frozenset({"completed"}),
    ),
}
POLLS = [(api, name) for api, lifecycle in LIFECYCLES.items() for name in lifecycle.polls]


@pytest.fixture(scope="module")
def wall_server() -> Iterator[Served]:
    """``mockbatch serve``'s defaults: every API, the shipped scenarios, the wall clock."""
    app = create_app(clock=SystemClock(), check_responses=True)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=BOUND) as http:
        yield Served(http, app.state.mock)


@pytest.fixture
def wall(wall_server: Served) -> Iterator[Served]:
    """The wall-clock server, reset (no batches, no clock offset) for each test."""
    assert wall_server.http.post("/__mockbatch/reset").status_code == 200
    yield wall_server
    assert_contract_kept(wall_server.mock)


def _advance(http: httpx.Client, seconds: float) -> None:
    moved = http.post("/__mockbatch/clock", json={"advance": seconds})
    assert moved.status_code == 200, moved.text


def test_every_shipped_scenario_has_its_lifecycle_here() -> None:
    shipped = {Scenario.from_path(path).api for path in default_scenarios_dir().glob("*.yaml")}
    assert set(LIFECYCLES) == shipped


@pytest.mark.parametrize(("api", "poll"), POLLS)
def test_a_created_batch_is_in_progress_at_its_first_two_polls(
    wall: Served, api: str, poll: str
) -> None:
    lifecycle = LIFECYCLES[api]
    read, first_two = lifecycle.polls[poll]
    batch_id = lifecycle.create(wall.http)

    assert (read(wall, batch_id), read(wall, batch_id)) == first_two

    _advance(wall.http, SECONDS)  # the seconds have passed: polls alone finish it now
    later = [read(wall, batch_id) for _ in range(3)]
    assert later[-1] in lifecycle.done, later


@pytest.mark.parametrize(("api", "poll"), POLLS)
def test_polls_alone_do_not_finish_a_created_batch_before_5_seconds(api: str, poll: str) -> None:
    lifecycle = LIFECYCLES[api]
    read, _ = lifecycle.polls[poll]
    clock = VirtualClock()
    app = create_app(clock=clock, check_responses=True)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=BOUND) as http:
        served = Served(http, app.state.mock)
        batch_id = lifecycle.create(http)
        seen = [read(served, batch_id) for _ in range(8)]
        clock.advance(SECONDS - 0.001)
        seen.append(read(served, batch_id))
        assert not set(seen) & lifecycle.done, seen

        clock.advance(0.001)
        assert read(served, batch_id) in lifecycle.done
    assert_contract_kept(served.mock)


TRIGGER_TASKS = [
    "my-task",
    "report-fail",
    "flaky-job",
    "crash-job",
    "custom-job",
    "untriggerable-job",
    "slow-job",
    "abort-job",
    "timed-job",
]


@pytest.mark.parametrize("task", TRIGGER_TASKS)
def test_a_trigger_batch_is_processing_at_its_first_retrieve_whatever_its_task(
    wall: Served, task: str
) -> None:
    batch_id = trigger.trigger(wall.http, task, [{"n": 1}])

    assert trigger.retrieve(wall.http, batch_id)["status"] == "PROCESSING"


def test_check_items_pass_through_pending_and_queued_before_processing(wall: Served) -> None:
    batch_id = _check_create(wall.http)

    seen = [_check_results(wall, batch_id) for _ in range(3)]
    _advance(wall.http, SECONDS)
    seen.append(_check_results(wall, batch_id))

    assert seen == ["pending", "queued", "processing", "completed"]


@pytest.mark.parametrize("polls", [0, 1, 2])
def test_a_check_batch_cancelled_early_skips_its_items(wall: Served, polls: int) -> None:
    batch_id = _check_create(wall.http)
    for _ in range(polls):
        check.poll(wall.http, batch_id)

    cancelled = wall.http.post(f"{check.BATCHES}/{batch_id}/cancel", headers=check.KEY)
    _advance(wall.http, SECONDS)

    assert cancelled.json()["status"] == "cancelled"
    page = check.results(wall.http, batch_id)
    assert [item["status"] for item in page["items"]] == ["skipped", "skipped"]
    final = check.poll(wall.http, batch_id).json()
    assert (final["status"], final["successCount"], final["failureCount"]) == ("cancelled", 0, 0)


def test_advancing_the_wall_clock_3_days_expires_a_created_ivvy_batchs_results(
    wall: Served,
) -> None:
    """The done-when line of the wall clock: a batch a client ran and read, then 3 days on."""
    batch_id = _ivvy_create(wall.http)
    assert _ivvy_progress(wall, batch_id) == "progress 0"
    assert _ivvy_results(wall, batch_id) == "24114"
    _advance(wall.http, SECONDS)
    assert _ivvy_results(wall, batch_id) == "results"

    moved = wall.http.post("/__mockbatch/clock", json={"advance": THREE_DAYS})

    assert (moved.status_code, moved.json()["offset"]) == (200, SECONDS + THREE_DAYS)
    expired = call(wall.http, "results", {"async": batch_id})
    assert (expired.status_code, expired.json()["specificCode"]) == (404, 24115)
