"""iVvy batch namespace: the documented examples, a client's whole loop, and every error."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from mockbatch import Scenario, VirtualClock, create_app
from mockbatch.dispatch import DEFAULT_MAX_BODY
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

from .helpers import BATCH, DOCS_DONE, DOCS_RUNNING, SHIPPED_SECONDS, call, job, ready

# -- the documentation's examples ------------------------------------------------------------


def test_docs_results_example_replays_verbatim(client: httpx.Client) -> None:
    response = call(client, "results", {"async": DOCS_DONE})

    assert response.status_code == 200
    body = response.json()
    assert body["asyncId"] == DOCS_DONE
    assert [(r["namespace"], r["action"], r["request"]) for r in body["results"]] == [
        ("event", "inviteContacts", {"event": 1, "contacts": [1, 2, 3]}),
        ("event", "inviteContacts", {"event": 2, "contacts": [1, 2, 4]}),
    ]
    invited = body["results"][0]["response"]["results"]
    assert [c["contact"] for c in invited] == [1, 2, 3]
    assert invited[1] == {"contact": 2, "status": False}
    assert set(invited[0]) == {"contact", "status", "inviteLinkYes", "inviteLinkNo"}


def test_docs_running_example_is_not_complete_until_it_finishes(client: httpx.Client) -> None:
    assert call(client, "progress", {"async": DOCS_RUNNING}).json() == {"progress": 33}
    first = call(client, "results", {"async": DOCS_RUNNING})
    assert first.status_code == 400
    assert first.json() == {
        "errorCode": 400,
        "message": "Batch job not completed",
        "specificCode": 24114,
    }
    done = call(client, "results", {"async": DOCS_RUNNING})
    assert done.status_code == 200
    assert len(done.json()["results"]) == 3


def test_run_returns_the_documented_shape(client: httpx.Client) -> None:
    docs_request = {
        "jobs": [
            job("event", "inviteContacts", event=1, contacts=[1, 2, 3]),
            job("event", "inviteContacts", event=2, contacts=[1, 2, 4]),
        ],
        "callbackUrl": "http://example.callback.url.com",
    }
    response = call(client, "run", docs_request)

    assert response.status_code == 200
    assert set(response.json()) == {"asyncId"}
    assert re.fullmatch(r"[0-9a-f]{32}", response.json()["asyncId"])


# -- a client's loop -------------------------------------------------------------------------


def test_client_runs_polls_and_reads_results(client: httpx.Client, clock: VirtualClock) -> None:
    jobs = [job("event", "inviteContacts", event=n, contacts=[n]) for n in range(3)]
    async_id = call(client, "run", {"jobs": jobs, "callbackUrl": "http://127.0.0.1:1/cb"}).json()[
        "asyncId"
    ]

    seen_progress = []
    while True:
        seen_progress.append(call(client, "progress", {"async": async_id}).json()["progress"])
        results = call(client, "results", {"async": async_id})
        if results.status_code == 200:
            break
        assert results.json()["specificCode"] == 24114
        assert len(seen_progress) < 10, "the batch never finished"
        clock.advance(2)  # the client waits 2 seconds between rounds

    # the shipped rule finishes inviteContacts jobs at the third poll once 5 seconds have passed:
    # rounds at 0, 2 and 4 seconds see 0 and 24114, the round at 6 seconds 100 and the results
    assert seen_progress == [0, 0, 0, 100]
    body = results.json()
    assert body["asyncId"] == async_id
    assert [r["request"] for r in body["results"]] == [j["params"] for j in jobs]
    assert all(r["response"]["results"] for r in body["results"])


def test_progress_counts_finished_jobs_by_clock(client: httpx.Client, mock: Mock) -> None:
    mock.load(
        _scenario(
            "rules:\n"
            "  - match: {action: slow}\n"
            "    response: {ok: true}\n"
            "    after: {seconds: 60}\n"
        )
    )
    async_id = call(client, "run", {"jobs": [job(action="ping"), job(action="slow")]}).json()[
        "asyncId"
    ]
    assert isinstance(mock.clock, VirtualClock)
    ready(client, mock.clock, async_id)  # ping finishes by the shipped rule: 3 polls, 5 seconds
    assert call(client, "progress", {"async": async_id}).json() == {"progress": 50}
    mock.clock.advance(60 - SHIPPED_SECONDS)
    assert call(client, "progress", {"async": async_id}).json() == {"progress": 100}


def test_every_seventh_contact_fails_with_its_error(
    client: httpx.Client, clock: VirtualClock
) -> None:
    jobs = [job("contact", "addOrUpdateContact", firstName=f"c{n}") for n in range(14)]
    async_id = call(client, "run", {"jobs": jobs}).json()["asyncId"]
    ready(client, clock, async_id)

    responses = [
        r["response"] for r in call(client, "results", {"async": async_id}).json()["results"]
    ]

    failed = [i for i, r in enumerate(responses) if "specificCode" in r]
    assert failed == [6, 13]
    assert responses[6] == {
        "errorCode": 400,
        "message": "Unable to find contact",
        "specificCode": 24096,
    }
    assert responses[0] == {"success": True, "id": 0}


def test_same_requests_give_the_same_ids(client: httpx.Client, mock: Mock) -> None:
    first = [call(client, "run", {"jobs": [job()]}).json()["asyncId"] for _ in range(3)]
    mock.reset()
    again = [call(client, "run", {"jobs": [job()]}).json()["asyncId"] for _ in range(3)]
    assert first == again
    assert len(set(first)) == 3


def test_results_expire_two_days_after_completion(
    client: httpx.Client, clock: VirtualClock
) -> None:
    clock.advance(2 * 24 * 3600 - 1)
    assert call(client, "results", {"async": DOCS_DONE}).status_code == 200
    clock.advance(1)
    expired = call(client, "results", {"async": DOCS_DONE})
    assert expired.status_code == 404
    assert expired.json() == {
        "errorCode": 404,
        "message": "Could not find batch",
        "specificCode": 24115,
        "additionalMessages": ["Results are kept for 2 days after a batch completes"],
    }


def test_restart_resumes_a_paused_batch(client: httpx.Client, mock: Mock) -> None:
    paused_id = "0123456789abcdef0123456789abcdef"
    mock.load(
        _scenario(
            "batches:\n"
            f"  - id: {paused_id}\n"
            "    paused: true\n"
            "    items:\n"
            "      - input: {namespace: test, action: ping, params: {}}\n"
            "        response: {ack: now}\n"
        )
    )
    assert call(client, "progress", {"async": paused_id}).json() == {"progress": 0}
    assert call(client, "progress", {"async": paused_id}).json() == {"progress": 0}

    assert call(client, "restart", {"async": paused_id}).json() == {"restarted": True}

    assert call(client, "progress", {"async": paused_id}).json() == {"progress": 100}


def test_repost_is_acknowledged_and_counted(client: httpx.Client, mock: Mock) -> None:
    assert call(client, "repost", {"async": DOCS_DONE}).json() == {"reposted": True}
    batch = mock.engine.get("ivvy", DOCS_DONE)
    assert batch is not None
    assert batch.meta["reposts"] == 1
    assert mock.outbox.deliveries == []  # the docs' batch has no callbackUrl


# -- every error, exact body and status --------------------------------------------------------


def _error(status: int, code: int, message: str, *more: str) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {"errorCode": status, "message": message, "specificCode": code}
    if more:
        body["additionalMessages"] = list(more)
    return status, body


RUN_ERRORS = {
    "no jobs key": ({"callbackUrl": "http://x"}, _error(400, 23017, "'jobs' is required")),
    "jobs not a list": (
        {"jobs": {"namespace": "event"}},
        _error(
            400,
            24092,
            "Incorrect Job Format",
            "jobs: {'namespace': 'event'} is not of type 'array'",
        ),
    ),
    "job missing params": (
        {"jobs": [{"namespace": "event", "action": "inviteContacts"}]},
        _error(400, 24092, "Incorrect Job Format", "jobs[0]: 'params' is a required property"),
    ),
    "job not an object": (
        {"jobs": ["event.inviteContacts"]},
        _error(
            400,
            24092,
            "Incorrect Job Format",
            "jobs[0]: 'event.inviteContacts' is not of type 'object'",
        ),
    ),
    "empty jobs": (
        {"jobs": []},
        _error(400, 24093, "Empty job parameter found", "jobs: has 0 items; at least 1 allowed"),
    ),
    "empty namespace": (
        {"jobs": [job(namespace="")]},
        _error(
            400, 24093, "Empty job parameter found", "jobs[0].namespace: '' should be non-empty"
        ),
    ),
    "null params": (
        {"jobs": [{"namespace": "test", "action": "ping", "params": None}]},
        _error(
            400,
            24093,
            "Empty job parameter found",
            "jobs[0].params: None is not of type 'object', 'array'",
        ),
    ),
    "params a non-empty array": (
        {"jobs": [{"namespace": "test", "action": "ping", "params": [1]}]},
        _error(
            400, 24092, "Incorrect Job Format", "jobs[0].params: has 1 items; at most 0 allowed"
        ),
    ),
    "201 jobs": (
        {"jobs": [job()] * 201},
        _error(
            400,
            24448,
            "The maximum number of jobs can be put on a single request is 200",
            "jobs: has 201 items; at most 200 allowed",
        ),
    ),
    "callbackUrl not a string": (
        {"jobs": [job()], "callbackUrl": 7},
        _error(
            400, 23016, "'callbackUrl' does not validate", "callbackUrl: 7 is not of type 'string'"
        ),
    ),
}


@pytest.mark.parametrize("body, expected", RUN_ERRORS.values(), ids=RUN_ERRORS.keys())
def test_run_errors(
    client: httpx.Client, body: object, expected: tuple[int, dict[str, object]]
) -> None:
    response = call(client, "run", body)
    assert (response.status_code, response.json()) == expected


def test_php_empty_params_array_is_accepted_and_echoed(
    client: httpx.Client, clock: VirtualClock
) -> None:
    # PHP's json_encode writes empty params as [] (the PHP SDK's own ping job sends this body)
    body = b'{"jobs":[{"namespace":"test","action":"ping","params":[]}]}'
    run = client.post(
        BATCH, params={"action": "run"}, content=body, headers={"content-type": "application/json"}
    )
    assert run.status_code == 200
    async_id = run.json()["asyncId"]
    ready(client, clock, async_id)

    results = call(client, "results", {"async": async_id})
    assert (results.status_code, results.json()) == (
        200,
        {
            "asyncId": async_id,
            "results": [
                {
                    "namespace": "test",
                    "action": "ping",
                    "request": [],
                    "response": {"ack": "2026-01-01 00:00:00 UTC"},
                }
            ],
        },
    )


def test_200_jobs_are_accepted(client: httpx.Client) -> None:
    assert call(client, "run", {"jobs": [job()] * 200}).status_code == 200


UNKNOWN = "ffffffffffffffffffffffffffffffff"
POLL_ERRORS = {
    "progress of unknown batch": (
        "progress",
        {"async": UNKNOWN},
        _error(404, 24105, "Could not find batch"),
    ),
    "results of unknown batch": (
        "results",
        {"async": UNKNOWN},
        _error(404, 24115, "Could not find batch"),
    ),
    "restart of unknown batch": (
        "restart",
        {"async": UNKNOWN},
        _error(404, 24105, "Could not find batch"),
    ),
    "repost of unknown batch": (
        "repost",
        {"async": UNKNOWN},
        _error(404, 24105, "Could not find batch"),
    ),
    "no async": ("progress", {"asyncId": UNKNOWN}, _error(400, 23017, "'async' is required")),
    "async not a string": (
        "results",
        {"async": 5},
        _error(400, 23016, "'async' does not validate", "5 is not of type 'string'"),
    ),
    "unknown action": (
        "cancel",
        {"async": UNKNOWN},
        _error(
            400,
            23016,
            "'action' does not validate",
            "Value must be one of: run, progress, results, restart, repost",
        ),
    ),
}


@pytest.mark.parametrize("action, body, expected", POLL_ERRORS.values(), ids=POLL_ERRORS.keys())
def test_action_errors(
    client: httpx.Client, action: str, body: object, expected: tuple[int, dict[str, object]]
) -> None:
    response = call(client, action, body)
    assert (response.status_code, response.json()) == expected


def test_missing_action(client: httpx.Client) -> None:
    response = client.post(BATCH, json={"async": DOCS_DONE})
    assert (response.status_code, response.json()) == _error(400, 23017, "'action' is required")


def test_malformed_json(client: httpx.Client) -> None:
    response = client.post(
        BATCH,
        params={"action": "run"},
        content=b'{"jobs": [',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["specificCode"] == 23016
    assert body["message"] == "'body' does not validate"
    assert body["additionalMessages"][0].startswith("not valid JSON: ")


def test_body_that_is_not_an_object(client: httpx.Client) -> None:
    response = call(client, "run", [job()])
    assert (response.status_code, response.json()) == _error(
        400, 23016, "'body' does not validate", "The body must be a JSON object"
    )


def test_wrong_content_type(client: httpx.Client) -> None:
    response = client.post(BATCH, params={"action": "run"}, content=b"jobs=1")
    assert (response.status_code, response.json()) == _error(
        400, 23016, "'Content-Type' does not validate", "Valid request types: application/json"
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_non_post_methods(client: httpx.Client, method: str) -> None:
    response = client.request(method, BATCH, params={"action": "progress"})
    assert (response.status_code, response.json()) == _error(
        405, 23016, "'method' does not validate", "Every iVvy API call is a POST"
    )
    assert response.headers["allow"] == "POST"


def test_other_namespaces_are_not_served(client: httpx.Client) -> None:
    response = client.post("/ivvy/api/1.0/event", params={"action": "getEventList"}, json={})
    assert (response.status_code, response.json()) == _error(
        404,
        23016,
        "'namespace' does not validate",
        "mockbatch serves the batch namespace: POST /api/1.0/batch",
    )


def test_every_bad_request_is_journaled_with_its_violation(
    client: httpx.Client, mock: Mock
) -> None:
    call(client, "run", {"jobs": [job(namespace="")]})
    client.post(
        BATCH,
        params={"action": "run"},
        content=b"\xff\xfe",
        headers={"content-type": "application/json"},
    )

    first, second = mock.journal.entries()
    assert (first.status, first.violations[0].path, first.violations[0].keyword) == (
        400,
        "jobs[0].namespace",
        "minLength",
    )
    assert second.body == b"\xff\xfe"
    assert second.violations[0].keyword == "json"


def _scenario(body: str) -> Scenario:
    return Scenario.from_text("api: ivvy\n" + body, source="<test>")


def test_a_body_over_the_limit_is_the_413_the_readme_shows() -> None:
    app = create_app(clock=VirtualClock())
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
        response = http.post(BATCH, params={"action": "run"}, content=b"x" * (DEFAULT_MAX_BODY + 1))

    over = f"request body is over {DEFAULT_MAX_BODY} bytes"
    assert (response.status_code, response.json()) == (
        413,
        {
            "errorCode": 413,
            "message": "'body' does not validate",
            "specificCode": 23016,
            "additionalMessages": [over],
        },
    )
    readme = (Path(__file__).parents[3] / "README.md").read_text("utf-8")
    ivvy_errors = readme.split("\n## iVvy (`/ivvy`)\n")[1].split("\n## ")[0]
    row = f"| body over 16 MiB | 413 | 23016 | `'body' does not validate` (`{over}`) |"
    assert row in ivvy_errors.splitlines()
