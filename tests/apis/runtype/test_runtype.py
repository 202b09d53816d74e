"""Runtype over HTTP: the documented example, paging and filtering results, a batch's life
(submit, status, cancel, run-now), auth, and every error."""

from __future__ import annotations

import shlex
from pathlib import Path

import httpx
from runtype_helpers import (
    AGENT_SCHEDULE,
    API,
    GENERATED,
    KEY,
    USERS_SCHEDULE,
    cancel,
    every_page,
    results,
    run_now,
    run_results,
    status,
    submit,
)

from mockbatch import Scenario, ServerThread, VirtualClock, create_app, load_scenarios
from mockbatch.mock import Mock
from mockbatch.resources import specs_dir
from mockbatch.specs import Spec

CORPUS = Path(__file__).resolve().parents[2] / "scenarios"
BIG = "b7f3c9d2-4a1e-4f8a-9c3e-2d5a7f6b8e9c"

# docs.runtype.com, "Get results for a batch execution": the curl line and its answer.
DOCS_CURL = """curl https://api.runtype.com/v1/schedules/batch/batchId/results \\
 -H "Authorization: <apiKey>" \\
 -H "Content-Type: application/json\""""
DOCS_ANSWER = {
    "data": [
        {
            "agentExecutionId": "ae7f9c2d-4b3e-4f1a-9d2b-8c3e5f7a1b2c",
            "createdAt": "2024-06-10T15:22:30Z",
            "error": None,
            "executedAt": "2024-06-10T15:23:00Z",
            "failedAt": None,
            "flowId": "flow_12345abcde",
            "flowName": "User Onboarding Flow",
            "record": {"id": "rec_98765zyxwv", "name": "John Doe", "type": "user"},
            "recordId": "rec_98765zyxwv",
            "recordResultId": "res_54321qwert",
            "status": "completed",
        }
    ],
    "pagination": {"hasMore": False, "limit": 10, "offset": 0, "total": 1},
}

# -- the documentation's example ---------------------------------------------------------------


def test_docs_example_answers_verbatim(client: httpx.Client) -> None:
    response = client.get(f"{API}/schedules/batch/batchId/results", headers=KEY)

    assert response.status_code == 200
    assert response.json() == DOCS_ANSWER


def test_docs_curl_line_works_with_only_the_host_changed() -> None:
    app = create_app(clock=VirtualClock(), root_api="runtype", check_responses=True)
    with ServerThread(app) as server:
        argv = shlex.split(DOCS_CURL.replace("https://api.runtype.com", server.url))
        headers = dict(argv[i + 1].split(": ", 1) for i, a in enumerate(argv) if a == "-H")
        response = httpx.get(argv[1], headers=headers)

    assert response.status_code == 200
    assert response.json() == DOCS_ANSWER


# -- paging and filtering ----------------------------------------------------------------------


def test_limit_defaults_to_10_and_pages_cover_the_batch_once(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    mock.load(Scenario.from_text(GENERATED))
    clock.advance(180)  # records 0..180 finished, 181..249 running

    first = results(client, "gen-250").json()
    seen, total = every_page(client, "gen-250", limit="100")

    assert first["pagination"] == {"hasMore": True, "limit": 10, "offset": 0, "total": 250}
    assert [r["recordId"] for r in first["data"]] == [f"rec_{i}" for i in range(10)]
    assert total == 250
    assert seen == [f"rec_{i}" for i in range(250)]


def test_status_filters_before_paging_and_total_counts_the_filter(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    mock.load(Scenario.from_text(GENERATED))
    clock.advance(180)
    failed = [f"rec_{i}" for i in range(6, 181, 7)]  # every 7th (1-based) of the finished

    by_status = {s: every_page(client, "gen-250", status=s, limit="7") for s in STATUSES}

    assert by_status["failed"] == (failed, len(failed))
    assert by_status["running"] == ([f"rec_{i}" for i in range(181, 250)], 69)
    assert by_status["completed"][1] == 181 - len(failed)
    assert by_status["pending"] == ([], 0)
    together = sorted(r for ids, _ in by_status.values() for r in ids)
    assert together == sorted(f"rec_{i}" for i in range(250))


STATUSES = ("pending", "running", "completed", "failed", "cancelled")


def test_an_unknown_status_matches_no_record(client: httpx.Client) -> None:
    page = results(client, "batchId", status="success").json()

    assert page == {
        "data": [],
        "pagination": {"hasMore": False, "limit": 10, "offset": 0, "total": 0},
    }


def test_records_show_what_their_state_allows(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    mock.load(Scenario.from_text(GENERATED))
    clock.advance(6.5)

    done, failed, running = results(client, "gen-250", offset="5", limit="3").json()["data"]

    assert (done["status"], done["result"], done["error"]) == ("completed", {"n": 5}, None)
    assert done["executedAt"] == "2026-01-01T00:00:05Z"
    assert done["recordResultId"].startswith("res_")
    assert done["record"] == {"id": "rec_5", "name": "R6", "type": "user"}
    assert (failed["status"], failed["error"]) == ("failed", "boom 7")
    assert failed["failedAt"] == failed["executedAt"] == "2026-01-01T00:00:06Z"
    assert "result" not in failed
    assert running["status"] == "running"
    assert running["executedAt"] is running["recordResultId"] is None
    assert running["agentExecutionId"] is not None


def test_a_page_of_a_million_records_makes_only_that_page(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    batch = mock.engine.get("runtype", BIG)
    assert batch is not None
    counting = Counting(batch.items.generator)  # type: ignore[union-attr]
    batch.items.generator = counting  # type: ignore[union-attr]
    clock.advance(600)  # one record finishes per millisecond: 0..600000 are done

    page = results(client, BIG, status="failed", offset="20000", limit="100").json()

    assert page["pagination"]["total"] == 600_001 // 25
    assert [r["recordId"] for r in page["data"][:2]] == ["rec_500024", "rec_500049"]
    assert {r["status"] for r in page["data"]} == {"failed"}
    assert counting.made < 1000, "a page must not walk the batch"


class Counting:
    """A generator that counts the items it is asked to make."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.made = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def make(self, index: int) -> object:
        self.made += 1
        return self.inner.make(index)  # type: ignore[attr-defined]


# -- limits and the spec agree -----------------------------------------------------------------


BAD_PAGES = [
    ({"limit": "0"}, ["limit"]),
    ({"limit": "101"}, ["limit"]),
    ({"limit": "-1"}, ["limit"]),
    ({"limit": "ten"}, ["limit"]),
    ({"limit": "010"}, ["limit"]),
    ({"limit": ""}, ["limit"]),
    ({"offset": "-5"}, ["offset"]),
    ({"offset": "1.5"}, ["offset"]),
    ({"offset": "1" * 19}, ["offset"]),
    ({"limit": "1000", "offset": "x"}, ["limit", "offset"]),
]


def test_bad_limit_or_offset_is_a_400_naming_each_parameter(client: httpx.Client) -> None:
    for params, paths in BAD_PAGES:
        response = results(client, "batchId", **params)

        assert response.status_code == 400, params
        body = response.json()
        assert body["error"] == "Invalid query parameters"
        assert [d["path"] for d in body["details"]] == paths, params
        assert {d["code"] for d in body["details"]} == {"INVALID_VALUE"}


def test_limit_100_and_a_far_offset_are_fine(client: httpx.Client) -> None:
    page = results(client, "batchId", limit="100", offset="999999999999999999").json()

    assert page["pagination"] == {
        "hasMore": False,
        "limit": 100,
        "offset": 999999999999999999,
        "total": 1,
    }


def test_the_spec_and_the_server_agree_on_limit_and_offset(client: httpx.Client) -> None:
    operation = Spec.from_path(specs_dir() / "runtype.yaml").operations[
        "getResultsForABatchExecution"
    ]
    values = ["0", "1", "10", "99", "100", "101", "010", "-1", "", "1e2", "9" * 18, "9" * 19]
    for name in ("limit", "offset"):
        for value in values:
            violations = operation.validate_request(
                query={name: [value]},
                headers={},
                path_params={"batchId": "batchId"},
                content_type=None,
                body=None,
                has_body=False,
            )

            refused = results(client, "batchId", **{name: value}).status_code == 400

            assert refused == bool(violations), (name, value)


# -- auth --------------------------------------------------------------------------------------


AUTH = [
    (None, 401),
    ("", 401),
    ("Bearer", 401),
    ("Basic cnQ6eA==", 401),
    ("Bearer rt_forbidden", 403),
    ("rt_forbidden", 403),
    ("Bearer rt_anything", 200),
    ("bearer rt_anything", 200),
    ("rt_bare_key", 200),
]
ERRORS = {401: "Unauthorized", 403: "Forbidden"}


def test_auth(client: httpx.Client) -> None:
    for authorization, expected in AUTH:
        headers = {} if authorization is None else {"Authorization": authorization}

        response = client.get(f"{API}/schedules/batch/batchId/results", headers=headers)

        assert response.status_code == expected, authorization
        if expected in ERRORS:
            assert response.json()["error"] == ERRORS[expected]


def test_auth_comes_before_everything_else(client: httpx.Client) -> None:
    for method, path in [
        ("GET", "/schedules/batch/nope/results?limit=0"),
        ("GET", "/schedules/runs/nope/results"),
        ("POST", "/batch/flow"),
        ("GET", "/batch/status/nope"),
        ("POST", "/batch/cancel/nope"),
        ("POST", "/schedules/nope/run-now"),
    ]:
        assert client.request(method, API + path).status_code == 401, path
        forbidden = {"Authorization": "Bearer rt_forbidden"}
        assert client.request(method, API + path, headers=forbidden).status_code == 403, path


# -- not found ---------------------------------------------------------------------------------


NOT_FOUND = [
    ("GET", "/schedules/batch/nope/results", "Batch not found", "batchId"),
    ("GET", "/schedules/runs/nope/results", "Run not found", "runId"),
    ("GET", "/batch/status/nope", "Batch not found", "id"),
    ("POST", "/batch/cancel/nope", "Batch not found", "id"),
    ("POST", "/schedules/nope/run-now", "Schedule not found", "id"),
]


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for method, path, error, param in NOT_FOUND:
        response = client.request(method, API + path, headers=KEY)

        assert response.status_code == 404, path
        assert response.json()["error"] == error
        assert response.json()["details"][0]["path"] == param


def test_other_paths_and_methods(client: httpx.Client) -> None:
    assert client.get(f"{API}/batches", headers=KEY).json()["error"] == "Not found"
    wrong = client.get(f"{API}/batch/flow", headers=KEY)
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
    assert wrong.json()["error"] == "Method not allowed"


# -- a batch's life ----------------------------------------------------------------------------


def test_submit_poll_and_read_results(client: httpx.Client, clock: VirtualClock) -> None:
    answer = submit(
        client,
        {
            "flowId": "flow_12345abcde",
            "recordIds": ["rec_98765zyxwv", "rec_13579fghij", "rec_unknown"],
            "records": [{"type": "lead", "name": "Acme", "metadata": {"size": 5}}],
        },
    ).json()
    batch_id = answer["batchExecutionId"]

    first = status(client, batch_id)  # poll 1: every record running
    second = status(client, batch_id)  # poll 2: still running
    clock.advance(5)
    page = results(client, batch_id).json()  # poll 3, 5 s on: the shipped rules finish them

    assert answer["status"] == "queued"
    assert (first["status"], first["processedRecords"], first["totalRecords"]) == ("running", 0, 4)
    assert (second["status"], second["processedRecords"]) == ("running", 0)
    assert [r["status"] for r in page["data"]] == ["completed", "failed", "completed", "completed"]
    john, fail, unknown, acme = page["data"]
    assert john["record"] == {"id": "rec_98765zyxwv", "name": "John Doe", "type": "user"}
    assert john["flowName"] == "User Onboarding Flow"
    assert john["result"] == {"ok": True}
    assert fail["error"] == "Step 'Validate record' failed: invalid email address"
    assert (unknown["recordId"], unknown["record"]) == ("rec_unknown", None)
    assert acme["record"]["name"] == "Acme"
    assert acme["recordId"] == acme["record"]["id"]
    assert status(client, batch_id) | {"batchExecutionId": None} == {
        "batchExecutionId": None,
        "flowId": "flow_12345abcde",
        "status": "completed",
        "totalRecords": 4,
        "processedRecords": 4,
        "failedRecords": 1,
        "successCount": 3,
        "progress": 100,
        "startedAt": "2026-01-01T00:00:00Z",
        "completedAt": "2026-01-01T00:00:05Z",
    }


def test_an_inline_flow_definition_gets_a_flow_id(client: httpx.Client) -> None:
    body = {"flowDefinition": {"name": "Inline"}, "records": [{"type": "t", "name": "n"}]}
    batch_id = submit(client, body).json()["batchExecutionId"]

    (record,) = results(client, batch_id).json()["data"]

    assert record["flowId"].startswith("flow_")
    assert record["flowName"] == "Inline"


INVALID_BODIES = [
    ({}, ["flowId", "records"]),
    ({"flowId": "f", "agentId": "a", "recordIds": ["r"]}, ["flowId"]),
    ({"flowId": "f", "recordIds": []}, ["records"]),
    ({"flowId": "f", "records": [{"type": "t"}]}, ["records[0]"]),
    ({"flowId": 5, "recordIds": ["r"]}, ["flowId"]),
    ({"flowId": "f", "recordIds": ["r"], "options": {"chunkSize": 0}}, ["options.chunkSize"]),
    ([], [""]),
]


def test_invalid_submissions_are_400_with_details(client: httpx.Client) -> None:
    for body, paths in INVALID_BODIES:
        response = submit(client, body)

        assert response.status_code == 400, body
        assert response.json()["error"] == "Invalid request body"
        assert [d.get("path", "") for d in response.json()["details"]] == paths, body


def test_a_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    for headers, code in [
        ({"Content-Type": "application/json"}, "INVALID_JSON"),
        ({"Content-Type": "text/plain"}, "INVALID_CONTENT_TYPE"),
    ]:
        response = client.post(f"{API}/batch/flow", content=b"{", headers={**KEY, **headers})
        assert response.status_code == 400
        assert response.json()["details"][0]["code"] == code


def test_at_most_50000_records_across_both_lists(client: httpx.Client) -> None:
    ids = [f"r{i}" for i in range(25_000)]
    records = [{"type": "t", "name": "n"}] * 25_001

    response = submit(client, {"flowId": "f", "recordIds": ids, "records": records})

    assert response.status_code == 400
    assert response.json()["error"] == "Too many records"


def test_cancel_cancels_unfinished_records_once(client: httpx.Client, mock: Mock) -> None:
    mock.load(Scenario.from_text(GENERATED))

    first = cancel(client, "gen-250").json()
    again = cancel(client, "gen-250").json()
    after = status(client, "gen-250")
    page = results(client, "gen-250", limit="2").json()["data"]

    assert first == {"success": True, "message": "Batch execution cancelled"}
    assert again == {"success": False, "message": "Batch execution is already cancelled"}
    assert (after["status"], after["processedRecords"], after["progress"]) == ("cancelled", 1, 0)
    assert [r["status"] for r in page] == ["completed", "cancelled"]
    assert page[1]["agentExecutionId"] is page[1]["executedAt"] is page[1]["error"] is None


def test_pending_records_and_a_queued_batch(client: httpx.Client, mock: Mock) -> None:
    mock.load(
        Scenario.from_text(
            "api: runtype\nbatches:\n  - id: later\n    items:\n"
            "      - input: {record: {id: r1}}\n"
            "        start: {seconds: 60}\n        after: {seconds: 90}\n"
        )
    )

    (record,) = results(client, "later").json()["data"]

    assert status(client, "later")["status"] == "queued"
    assert (record["status"], record["agentExecutionId"], record["flowId"]) == (
        "pending",
        None,
        None,
    )
    assert status(client, "later")["flowId"] == ""


def test_run_now_fans_out_over_the_schedules_records(
    client: httpx.Client, clock: VirtualClock
) -> None:
    run = run_now(client, USERS_SCHEDULE).json()

    by_run = run_results(client, run["runId"]).json()
    again = status(client, run["batchExecutionId"])  # poll 2
    clock.advance(5)
    by_batch = results(client, run["batchExecutionId"]).json()  # poll 3, 5 s on: finished

    assert (run["status"], run["error"]) == ("queued", None)
    assert [r["recordId"] for r in by_run["data"]] == [
        "rec_98765zyxwv",
        "rec_24680abcde",
        "rec_13579fghij",
    ]
    assert [r["status"] for r in by_run["data"]] == ["running"] * 3  # poll 1
    assert (again["status"], again["processedRecords"]) == ("running", 0)
    assert [r["status"] for r in by_batch["data"]] == ["completed", "completed", "failed"]


def test_run_now_of_a_schedule_without_records_has_no_batch(client: httpx.Client) -> None:
    run = run_now(client, AGENT_SCHEDULE).json()

    page = run_results(client, run["runId"]).json()

    assert run["batchExecutionId"] is None
    assert run["runId"] is not None
    assert page["pagination"]["total"] == 0


def test_scenario_fixed_fields_failures_and_agent_batches(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    (scenario,) = load_scenarios([CORPUS / "good" / "runtype_million.yaml"])
    mock.load(scenario)
    clock.advance(1)

    first, *_, tenth = results(client, "million").json()["data"]
    agent_batch = "2b1e6c1a-6a55-4d8e-9f53-6f1d3e2c7a10"
    (only_id,) = results(client, agent_batch).json()["data"]
    revoked = client.get(
        f"{API}/schedules/batch/million/results", headers={"Authorization": "Bearer rt_revoked"}
    )

    assert (first["agentExecutionId"], first["result"]) == ("agent-0", {"n": 0})
    assert (tenth["status"], tenth["error"], tenth["recordResultId"]) == (
        "failed",
        "boom at 10",
        "res_9",
    )
    assert (only_id["recordId"], only_id["record"], only_id["flowId"]) == (
        "rec_only_an_id",
        None,
        None,
    )
    assert only_id["error"] == "Step 1 failed"
    assert status(client, agent_batch)["flowId"] == "agent_1"
    assert revoked.status_code == 403
