"""The official Runtype Python SDK (``runtype-sdk``) against mockbatch, changing only its base URL.

``RuntypeClient`` talks to a real server on 127.0.0.1; the same calls also run in process
through the SDK's generated ``RuntypeApi`` with an httpx client on the app (no socket).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import assert_contract_kept
from runtype import RuntypeApi, RuntypeClient
from runtype._generated import ForbiddenError, NotFoundError, UnauthorizedError
from runtype._generated.core import ApiError
from runtype_helpers import GENERATED, USERS_SCHEDULE
from starlette.applications import Starlette

from mockbatch import Scenario, ServerThread, VirtualClock
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport


@pytest.fixture(params=["socket", "in-process"])
def connect(request: pytest.FixtureRequest, app: Starlette, mock: Mock) -> Iterator[Any]:
    """``connect(key)`` -> the SDK's ``client.api`` for that API key, on this test's app."""
    with ServerThread(app) as server:
        clients: list[Any] = []

        def connect(key: str | None = "rt_test") -> Any:
            if request.param == "socket":
                client = RuntypeClient(api_key=key, base_url=f"{server.url}/runtype")
                clients.append(client)
                return client.api
            http = httpx.Client(transport=InProcessTransport(app))
            clients.append(http)
            return RuntypeApi(
                base_url="http://mockbatch.test/runtype",
                authorization="",
                api_key=f"Bearer {key}" if key else "",
                httpx_client=http,
                max_retries=0,
            )

        yield connect
        for client in clients:
            client.close()
    assert_contract_kept(mock)


def every_record(api: Any, batch_id: str, **filters: str) -> tuple[list[str], int]:
    """Page with ``limit``/``offset`` while ``hasMore``: every record ID, and the first total."""
    seen: list[str] = []
    offset, total = 0, None
    while True:
        page = api.schedules.get_results_for_a_batch_execution(
            batch_id, limit="40", offset=str(offset), **filters
        )
        total = page.pagination.total if total is None else total
        seen += [item.record_id for item in page.data]
        if not page.pagination.has_more:
            return seen, total
        offset += page.pagination.limit


def test_docs_example_parses_into_the_sdk_models(connect: Any) -> None:
    page = connect().schedules.get_results_for_a_batch_execution("batchId")

    (item,) = page.data
    assert (item.record_id, item.status, item.flow_name) == (
        "rec_98765zyxwv",
        "completed",
        "User Onboarding Flow",
    )
    assert item.record is not None and item.record.name == "John Doe"
    assert (page.pagination.total, page.pagination.limit, page.pagination.has_more) == (
        1,
        10,
        False,
    )


def test_paging_with_a_status_filter_gets_every_record_once(
    connect: Any, mock: Mock, clock: VirtualClock
) -> None:
    mock.load(Scenario.from_text(GENERATED))
    clock.advance(180)  # 0..180 finished (every 7th failed), 181..249 running
    api = connect()

    everything = every_record(api, "gen-250")
    by_status = {
        s: every_record(api, "gen-250", status=s) for s in ("completed", "failed", "running")
    }

    assert everything == ([f"rec_{i}" for i in range(250)], 250)
    assert by_status["failed"] == ([f"rec_{i}" for i in range(6, 181, 7)], 25)
    assert by_status["running"] == ([f"rec_{i}" for i in range(181, 250)], 69)
    assert by_status["completed"][1] == 181 - 25
    filtered = [r for ids, _ in by_status.values() for r in ids]
    assert sorted(filtered) == sorted(everything[0])
    assert len(set(filtered)) == len(filtered) == 250


def test_typed_errors(connect: Any) -> None:
    with pytest.raises(UnauthorizedError) as unauthorized:
        connect(None).schedules.get_results_for_a_batch_execution("batchId")
    with pytest.raises(ForbiddenError) as forbidden:
        connect("rt_forbidden").schedules.get_results_for_a_batch_execution("batchId")
    with pytest.raises(NotFoundError) as not_found:
        connect().schedules.get_results_for_a_batch_execution("no-such-batch")

    assert unauthorized.value.status_code == 401
    assert unauthorized.value.body["error"] == "Unauthorized"
    assert forbidden.value.status_code == 403
    assert forbidden.value.body["error"] == "Forbidden"
    assert not_found.value.status_code == 404
    assert not_found.value.body["error"] == "Batch not found"


def test_a_limit_over_the_maximum_is_an_api_error_400(connect: Any) -> None:
    with pytest.raises(ApiError) as error:
        connect().schedules.get_results_for_a_batch_execution("batchId", limit="500")

    assert error.value.status_code == 400
    assert error.value.body["details"][0]["path"] == "limit"


def test_cancelling_an_unknown_batch_is_a_plain_api_error_404(connect: Any) -> None:
    # Runtype documents no 404 for cancel, so the SDK has no typed error for it.
    with pytest.raises(ApiError) as error:
        connect().batch.cancel_a_batch_execution("no-such-batch")

    assert not isinstance(error.value, NotFoundError)
    assert (error.value.status_code, error.value.body["error"]) == (404, "Batch not found")


def test_submit_follow_and_cancel(connect: Any, clock: VirtualClock) -> None:
    api = connect()

    submitted = api.batch.submit_a_batch_flow_execution(
        flow_id="flow_12345abcde",
        record_ids=["rec_98765zyxwv", "rec_24680abcde"],
        options={"record_concurrency": 2},
    )
    running = api.batch.get_batch_execution_status(submitted.batch_execution_id)
    clock.advance(1)
    cancelled = api.batch.cancel_a_batch_execution(submitted.batch_execution_id)
    clock.advance(1)  # the records would have finished at this next poll
    after = api.batch.get_batch_execution_status(submitted.batch_execution_id)

    assert submitted.status == "queued"
    assert (running.status, running.total_records, running.processed_records) == ("running", 2, 0)
    assert cancelled.success is True
    assert (after.status, after.completed_at) == ("cancelled", "2026-01-01T00:00:01Z")


def test_run_now_and_read_the_run(connect: Any, clock: VirtualClock) -> None:
    api = connect()

    run = api.schedules.run_a_schedule_immediately(USERS_SCHEDULE)
    polls = [api.batch.get_batch_execution_status(run.batch_execution_id) for _ in range(2)]
    clock.advance(5)
    page = api.schedules.get_results_for_a_scheduled_run(run.run_id)  # poll 3, 5 s on: finished

    assert run.status == "queued"
    assert [p.status for p in polls] == ["running", "running"]
    assert [(i.record_id, i.status) for i in page.data] == [
        ("rec_98765zyxwv", "completed"),
        ("rec_24680abcde", "completed"),
        ("rec_13579fghij", "failed"),
    ]
    with pytest.raises(NotFoundError):
        api.schedules.run_a_schedule_immediately("no-such-schedule")
