"""A generated batch costs the page it answers, on every API and the control API: counted as
items built (calls of ``Generate.make``), for a batch of a million and of the schema's maximum.

A read may also search the batch (a binary search over the items' states, some ``log2(n)``
items, a few times per request): ``budget(n, page)`` allows four of those besides the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import assert_contract_kept

from mockbatch import VirtualClock, create_app
from mockbatch.apis.ivvy.results import RESULTS_MAX_JOBS
from mockbatch.engine import ItemSpec
from mockbatch.scenarios import Generate, Scenario, schema
from mockbatch.transport import InProcessTransport

SCHEMA_MAX: int = schema()["$defs"]["generate"]["properties"]["count"]["maximum"]
COUNTS = [1_000_000, SCHEMA_MAX]
IVVY_ID = "0123456789abcdef0123456789abcdef"
RUNTYPE_ID = "b7f3c9d2-4a1e-4f8a-9c3e-2d5a7f6b8e9d"
KEYS = {
    "trigger": {"Authorization": "Bearer tr_dev_key"},
    "runtype": {"Authorization": "Bearer rt_key"},
    "check": {"Authorization": "Bearer vfy_key"},
}
INPUTS = {
    "ivvy": (IVVY_ID, '{namespace: test, action: ping, params: {n: "{index}"}}'),
    "trigger": ("batch_big", '{task: bulk-task, payload: {n: "{index}"}}'),
    "runtype": (RUNTYPE_ID, '{record: {id: "rec_{index}", name: "User {position}", type: user}}'),
    "check": ("batch_big1", '{content: "Claim {index}"}'),
}


def budget(count: int, page: int) -> int:
    return page + 4 * count.bit_length()


def scenario(api: str, count: int) -> Scenario:
    """One batch of ``count`` items, one finishing per millisecond, every 7th failing."""
    batch_id, item = INPUTS[api]
    return Scenario.from_text(
        f"""
api: {api}
batches:
  - id: {batch_id}
    generate:
      count: {count}
      input: {item}
      response: {{ok: "{{index}}"}}
      fail_every: 7
      error: {{errorMessage: "boom {{index}}", errorCode: 400, message: boom, specificCode: 1}}
      stagger: {{seconds: 0.001}}
"""
    )


class Reader:
    """Requests on an app, each with how many items it built."""

    def __init__(self, api: str, count: int, built: list[int]) -> None:
        self.clock = VirtualClock()
        self.app = create_app(
            clock=self.clock, apis=[api], scenarios=[scenario(api, count)], check_responses=True
        )
        self.http = httpx.Client(
            transport=InProcessTransport(self.app), base_url="http://mockbatch.test"
        )
        self.headers = KEYS.get(api, {})
        self.built = built

    def read(self, method: str, url: str, **options: Any) -> tuple[int, Any, int]:
        """(status, JSON body, items built)."""
        self.built[0] = 0
        response = self.http.request(method, url, headers=self.headers, **options)
        return response.status_code, response.json(), self.built[0]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the items made by every generator, from now on."""
    made = [0]
    original = Generate.make

    def counting(self: Generate, index: int) -> ItemSpec:
        made[0] += 1
        return original(self, index)

    monkeypatch.setattr(Generate, "make", counting)
    return made


@pytest.fixture
def readers(built: list[int]) -> Iterator[list[Reader]]:
    made: list[Reader] = []
    yield made
    for reader in made:
        assert_contract_kept(reader.app.state.mock)


def reader(readers: list[Reader], api: str, count: int, built: list[int]) -> Reader:
    found = Reader(api, count, built)
    readers.append(found)
    return found


@pytest.mark.parametrize("count", COUNTS)
def test_ivvy_progress_and_results_build_no_item(
    readers: list[Reader], built: list[int], count: int
) -> None:
    ivvy = reader(readers, "ivvy", count, built)
    url = "/ivvy/api/1.0/batch"

    status, body, made = ivvy.read("POST", f"{url}?action=progress", json={"async": IVVY_ID})
    assert (status, body) == (200, {"progress": 0})
    assert made <= budget(count, 0)
    status, body, made = ivvy.read("POST", f"{url}?action=results", json={"async": IVVY_ID})
    assert (status, body["specificCode"]) == (400, 24114)
    assert made <= budget(count, 0)

    ivvy.clock.advance(count / 1000)  # every item has finished
    status, body, made = ivvy.read("POST", f"{url}?action=progress", json={"async": IVVY_ID})
    assert (status, body) == (200, {"progress": 100})
    assert made <= budget(count, 0)
    status, body, made = ivvy.read("POST", f"{url}?action=results", json={"async": IVVY_ID})
    assert status == 500
    assert body == {
        "errorCode": 500,
        "message": "Internal Server Error",
        "specificCode": 23000,
        "additionalMessages": [
            f"mockbatch answers results of at most 10,000 jobs; this batch has {count:,}"
        ],
    }
    assert made <= budget(count, 0)


def test_ivvy_callback_of_a_batch_too_big_for_results_is_that_error(
    readers: list[Reader], built: list[int]
) -> None:
    ivvy = reader(readers, "ivvy", 1_000_000, built)
    mock = ivvy.app.state.mock
    adapter = next(s for s in mock.outbox.sources if s.name == "ivvy")
    batch = mock.engine.get("ivvy", IVVY_ID)
    built[0] = 0

    message = adapter.callback_message(batch, "completed")

    assert message.body == (
        b'{"errorCode":500,"message":"Internal Server Error","specificCode":23000,'
        b'"additionalMessages":["mockbatch answers results of at most 10,000 jobs; '
        b'this batch has 1,000,000"]}'
    )
    assert built[0] == 0


@pytest.mark.parametrize("count", [RESULTS_MAX_JOBS, RESULTS_MAX_JOBS + 1])
def test_ivvy_results_answer_up_to_the_limit(
    readers: list[Reader], built: list[int], count: int
) -> None:
    ivvy = reader(readers, "ivvy", count, built)
    ivvy.clock.advance(count / 1000)
    url = "/ivvy/api/1.0/batch?action=results"

    status, body, _ = ivvy.read("POST", url, json={"async": IVVY_ID})

    if count == RESULTS_MAX_JOBS:
        assert status == 200
        assert len(body["results"]) == RESULTS_MAX_JOBS
        assert body["results"][-1]["request"] == {"n": RESULTS_MAX_JOBS - 1}
    else:
        assert (status, body["specificCode"]) == (500, 23000)


@pytest.mark.parametrize("count", COUNTS)
def test_trigger_reads_build_only_the_runs_they_show(
    readers: list[Reader], built: list[int], count: int
) -> None:
    trigger = reader(readers, "trigger", count, built)
    trigger.clock.advance(500)  # items 0..500,000 finished
    base = "/trigger/api"

    for version in ("v1", "v2"):
        status, body, made = trigger.read("GET", f"{base}/{version}/batches/batch_big")
        assert (status, body["status"], len(body["runs"])) == (200, "PROCESSING", 1000)
        assert made <= budget(count, 0)  # run IDs are derived from the position alone
    status, body, made = trigger.read("GET", f"{base}/v1/batches/batch_big/results")
    assert (status, len(body["items"])) == (200, 1000)
    assert made <= budget(count, 1000)
    runs = f"{base}/v1/runs?filter[batch]=batch_big&page[size]=10"
    status, body, made = trigger.read("GET", runs)
    assert (status, len(body["data"])) == (200, 10)
    assert made <= budget(count, 10)
    status, body, made = trigger.read("GET", f"{runs}&filter[status]=FAILED")
    assert [run["id"][-3:] for run in body["data"][:2]] == ["006", "00d"]  # 6, 13
    assert made <= budget(count, 10)
    status, body, made = trigger.read("GET", f"{base}/v1/runs/{body['data'][1]['id']}/result")
    assert (status, body["ok"]) == (200, False)
    assert made <= budget(count, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_runtype_reads_build_only_the_page(
    readers: list[Reader], built: list[int], count: int
) -> None:
    runtype = reader(readers, "runtype", count, built)
    runtype.clock.advance(500)

    url = f"/runtype/v1/schedules/batch/{RUNTYPE_ID}/results"
    status, body, made = runtype.read("GET", f"{url}?limit=10&offset=71000&status=failed")
    assert status == 200
    assert len(body["data"]) == 10
    assert made <= budget(count, 10)
    status, body, made = runtype.read("GET", f"/runtype/v1/batch/status/{RUNTYPE_ID}")
    assert status == 200
    assert made <= budget(count, 0)


@pytest.mark.parametrize("count", COUNTS)
def test_check_and_control_reads_build_only_the_page(
    readers: list[Reader], built: list[int], count: int
) -> None:
    check = reader(readers, "check", count, built)
    check.clock.advance(500)

    status, body, made = check.read("GET", "/check/v1/batch/batch_big1")
    assert (status, body["processedItems"]) == (200, 500_001)
    assert made <= budget(count, 0)
    status, body, made = check.read("GET", "/check/v1/batch/batch_big1/results?limit=10")
    assert (status, len(body["items"])) == (200, 10)
    assert made <= budget(count, 10)
    status, body, made = check.read("GET", "/check/v1/batch")
    assert status == 200
    assert made <= budget(count, 0)
    status, body, made = check.read("GET", "/__mockbatch/batches")
    assert body["batches"][0]["counts"]["running"] == count - 500_001
    assert made <= budget(count, 0)
    status, body, made = check.read("GET", "/__mockbatch/batches/check/batch_big1")
    assert (status, len(body["items"])) == (200, 1000)  # the control API shows the first 1,000
    assert made <= budget(count, 1000)
