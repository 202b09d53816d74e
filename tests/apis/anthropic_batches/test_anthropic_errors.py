"""Every error the Anthropic provider answers: exact status and body, in process and over a
socket, in the service's envelope ``{"type": "error", "error": {type, message}, request_id}``."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from mockbatch import Scenario, VirtualClock
from mockbatch.faults import STATUS_TEXT, Fault
from mockbatch.mock import Mock

from .helpers import API, HEADERS, create, params, requests

BATCH = "msgbatch_01example"  # ended, in the default scenario
RUNNING = "msgbatch_01in_progress"


def _error(response: httpx.Response) -> tuple[int, str, str]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"type", "error", "request_id"}, body
    assert body["type"] == "error" and body["request_id"].startswith("req_01")
    assert response.headers["request-id"] == body["request_id"]
    assert response.headers["anthropic-organization-id"]
    return response.status_code, body["error"]["type"], body["error"]["message"]


BAD = "invalid_request_error"
HEADER_CASES = {
    "no key": ({"anthropic-version": "2023-06-01"}, 401, "authentication_error",
               "x-api-key header is required"),
    "not an Anthropic key": ({"x-api-key": "abc", "anthropic-version": "2023-06-01"}, 401,
                             "authentication_error", "invalid x-api-key"),
    "bearer, not an Anthropic key": ({"authorization": "Bearer abc",
                                      "anthropic-version": "2023-06-01"}, 401,
                                     "authentication_error", "invalid x-api-key"),
    "no version": ({"x-api-key": "sk-ant-k"}, 400, BAD, "anthropic-version: header is required"),
    "unknown version": ({"x-api-key": "sk-ant-k", "anthropic-version": "2024-01-01"}, 400, BAD,
                        'anthropic-version: "2024-01-01" is not a valid version'),
}  # fmt: skip
ROUTES = [
    ("POST", API),
    ("GET", API),
    ("GET", f"{API}/{BATCH}"),
    ("POST", f"{API}/{BATCH}/cancel"),
    ("DELETE", f"{API}/{BATCH}"),
    ("GET", f"{API}/{BATCH}/results"),
]


@pytest.mark.parametrize("case", HEADER_CASES)
@pytest.mark.parametrize("method, path", ROUTES)
def test_key_and_version_are_checked_on_every_route(
    client: httpx.Client, case: str, method: str, path: str
) -> None:
    headers, status, kind, message = HEADER_CASES[case]
    response = client.request(method, path, headers=headers)
    assert _error(response) == (status, kind, message)


def test_both_key_headers_and_every_documented_version_are_accepted(client: httpx.Client) -> None:
    for version in ("2023-01-01", "2023-06-01", "2026-10-21"):
        for key in ({"x-api-key": "sk-ant-a"}, {"authorization": "Bearer sk-ant-b"}):
            answer = client.get(API, headers={**key, "anthropic-version": version})
            assert answer.status_code == 200, answer.text


def test_strict_mode_refuses_an_unlisted_key_and_a_forbidden_one_gets_403(
    client: httpx.Client, mock: Mock
) -> None:
    strict = {
        "api": "anthropic",
        "options": {
            "auth": {
                "mode": "strict",
                "keys": ["sk-ant-ok", "sk-ant-no"],
                "forbidden": ["sk-ant-no"],
            }
        },
    }
    mock.load(Scenario.from_dict(strict))
    version = {"anthropic-version": "2023-06-01"}
    unknown = client.get(API, headers={"x-api-key": "sk-ant-other", **version})
    forbidden = client.get(API, headers={"x-api-key": "sk-ant-no", **version})
    assert _error(unknown) == (401, "authentication_error", "invalid x-api-key")
    assert _error(forbidden) == (
        403,
        "permission_error",
        "Your API key does not have permission to use this resource.",
    )
    assert client.get(API, headers={"x-api-key": "sk-ant-ok", **version}).status_code == 200


BODY_CASES: dict[str, tuple[Any, str]] = {
    "not an object": ([], "Request body must be a JSON object"),
    "no requests": ({}, "requests: Field required"),
    "requests not a list": ({"requests": {}}, "requests: Input should be a valid list"),
    "no request": ({"requests": []}, "requests: List should have at least 1 item"),
    "unknown key": ({"requests": requests("a"), "x": 1}, "x: Extra inputs are not permitted"),
    "request not an object": ({"requests": [1]}, "requests.0: Input should be an object"),
    "no custom_id": ({"requests": [{"params": params()}]}, "requests.0.custom_id: Field required"),
    "bad custom_id": (
        {"requests": [{"custom_id": "a b", "params": params()}]},
        "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
    ),
    "long custom_id": (
        {"requests": [{"custom_id": "a" * 65, "params": params()}]},
        "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
    ),
    "duplicate custom_id": (
        {"requests": requests("a", "b", "a")},
        "requests.2.custom_id: duplicate custom_id 'a'",
    ),
    "no params": ({"requests": [{"custom_id": "a"}]}, "requests.0.params: Field required"),
    "params not an object": (
        {"requests": [{"custom_id": "a", "params": "x"}]},
        "requests.0.params: Input should be an object",
    ),
    "unknown request key": (
        {"requests": [{"custom_id": "a", "params": params(), "other": 1}]},
        "requests.0.other: Extra inputs are not permitted",
    ),
}


@pytest.mark.parametrize("case", BODY_CASES)
def test_a_malformed_batch_is_a_400(client: httpx.Client, mock: Mock, case: str) -> None:
    body, message = BODY_CASES[case]
    response = client.post(API, json=body, headers=HEADERS)
    assert _error(response) == (400, BAD, message)
    assert len(mock.engine.batches("anthropic")) == 3  # the default scenario's: none made


def test_over_100000_requests_is_a_400(client: httpx.Client) -> None:
    many = [{"custom_id": f"r{n}", "params": {}} for n in range(100_001)]
    response = client.post(API, json={"requests": many}, headers=HEADERS)
    assert _error(response) == (400, BAD, "requests: List should have at most 100000 items")


def test_a_body_over_the_servers_limit_is_request_too_large(client: httpx.Client) -> None:
    response = client.post(API, content=b"x" * (16 * 1024 * 1024 + 1), headers=HEADERS)
    assert _error(response) == (
        413,
        "request_too_large",
        "Request exceeds the maximum allowed number of bytes",
    )


def test_an_unreadable_body_is_a_400_with_the_parsers_words(client: httpx.Client) -> None:
    response = client.post(
        API, content=b'{"requests": NaN}', headers={**HEADERS, "content-type": "application/json"}
    )
    assert _error(response) == (400, BAD, "not valid JSON: NaN is not a JSON number")


@pytest.mark.parametrize(
    "method, suffix",
    [("GET", ""), ("POST", "/cancel"), ("DELETE", ""), ("GET", "/results")],
)
def test_an_unknown_batch_is_not_found(client: httpx.Client, method: str, suffix: str) -> None:
    response = client.request(method, f"{API}/msgbatch_01nope{suffix}", headers=HEADERS)
    assert _error(response) == (
        404,
        "not_found_error",
        "No message batch found with id 'msgbatch_01nope'",
    )


def test_states_that_refuse_an_operation(client: httpx.Client) -> None:
    cancel_ended = client.post(f"{API}/{BATCH}/cancel", headers=HEADERS)
    delete_running = client.delete(f"{API}/{RUNNING}", headers=HEADERS)
    results_running = client.get(f"{API}/{RUNNING}/results", headers=HEADERS)
    assert _error(cancel_ended) == (
        400, BAD, f"Batch {BATCH} has already ended and cannot be canceled",
    )  # fmt: skip
    assert _error(delete_running) == (
        400, BAD, f"Batch {RUNNING} cannot be deleted until it has ended; cancel it first",
    )  # fmt: skip
    assert _error(results_running) == (
        400, BAD, f"Batch {RUNNING} has not ended yet; results are available once it has",
    )  # fmt: skip


def test_archived_results_are_gone_but_the_batch_is_still_listed(
    client: httpx.Client, clock: VirtualClock
) -> None:
    clock.advance(29 * 24 * 3600)
    response = client.get(f"{API}/{BATCH}/results", headers=HEADERS)
    listed = client.get(API, headers=HEADERS).json()["data"]
    assert _error(response) == (
        404, "not_found_error", f"The results of batch {BATCH} have been archived",
    )  # fmt: skip
    archived = next(b for b in listed if b["id"] == BATCH)
    assert archived["archived_at"] == "2026-01-30T00:00:00.000000Z"


@pytest.mark.parametrize(
    "query, message",
    [
        ("limit=0", "limit: Input should be between 1 and 1000"),
        ("limit=1001", "limit: Input should be between 1 and 1000"),
        ("limit=ten", "limit: Input should be a valid integer"),
        ("before_id=a&after_id=b", "before_id and after_id cannot both be given"),
    ],
)
def test_bad_list_queries_are_400(client: httpx.Client, query: str, message: str) -> None:
    assert _error(client.get(f"{API}?{query}", headers=HEADERS)) == (400, BAD, message)


def test_unknown_routes_and_methods(client: httpx.Client) -> None:
    missing = client.get("/anthropic/v1/nothing", headers=HEADERS)
    wrong = client.put(API, headers=HEADERS)
    assert _error(missing) == (404, "not_found_error", "Not found")
    assert _error(wrong) == (405, BAD, "Method not allowed; this path takes GET, POST")
    assert wrong.headers["allow"] == "GET, POST"


@pytest.mark.parametrize(
    "status, kind",
    [(429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error"),
     (504, "timeout_error"), (402, "billing_error"), (409, "conflict_error")],
)  # fmt: skip
def test_injected_faults_get_the_documented_type(
    client: httpx.Client, mock: Mock, status: int, kind: str
) -> None:
    mock.add_faults([Fault.from_dict("anthropic", {"status": status})])
    response = client.get(API, headers=HEADERS)
    own = {500: "Internal server error", 529: "Overloaded"}  # the service's words
    message = own.get(status) or STATUS_TEXT.get(status, "Fault injected by mockbatch")
    assert _error(response) == (status, kind, message)


def test_a_rate_limit_says_when_to_retry(client: httpx.Client, mock: Mock) -> None:
    mock.load(
        Scenario.from_dict({"api": "anthropic", "options": {"rate_limit": {"limit": 1}}}),
    )
    assert client.get(API, headers=HEADERS).status_code == 200
    refused = client.get(API, headers=HEADERS)
    assert _error(refused)[:2] == (429, "rate_limit_error")
    assert int(refused.headers["retry-after"]) >= 1


def test_a_created_batch_is_not_found_once_deleted(
    client: httpx.Client, clock: VirtualClock
) -> None:
    batch = create(client, "a")
    client.get(f"{API}/{batch['id']}", headers=HEADERS)
    clock.advance(5)
    client.get(f"{API}/{batch['id']}", headers=HEADERS)
    client.get(f"{API}/{batch['id']}", headers=HEADERS)  # the third poll: ended
    deleted = client.delete(f"{API}/{batch['id']}", headers=HEADERS)
    assert deleted.json() == {"id": batch["id"], "type": "message_batch_deleted"}
    again = client.get(f"{API}/{batch['id']}", headers=HEADERS)
    assert _error(again)[:2] == (404, "not_found_error")
    assert batch["id"] not in [b["id"] for b in client.get(API, headers=HEADERS).json()["data"]]


def test_request_ids_have_the_services_shape_are_unique_and_start_again_on_reset(
    client: httpx.Client, mock: Mock
) -> None:
    def ids() -> list[str]:
        found = [client.get(f"{API}/{BATCH}", headers=HEADERS) for _ in range(3)]
        found.append(client.get(f"{API}/msgbatch_01nothing", headers=HEADERS))
        return [r.headers["request-id"] for r in found]

    first = ids()
    mock.reset()
    again = ids()

    assert all(re.fullmatch(r"req_01[0-9A-Za-z]{22}", i) for i in first), first
    assert len(set(first)) == 4 and again == first
