"""Check's errors, exact bodies and statuses; auth; the rate-limit headers on every response."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockbatch import VirtualClock

from .helpers import BATCHES, DOCS, KEY


def details(response: httpx.Response) -> list[dict[str, str]]:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["requestId"].startswith("req_")
    found: list[dict[str, str]] = body["error"]["details"]
    assert body["error"]["message"] == f"{found[0]['field']}: {found[0]['message']}"
    return found


# -- auth ----------------------------------------------------------------------------------


def test_no_key_is_401_with_the_documented_message(client: httpx.Client) -> None:
    response = client.get(f"{BATCHES}/{DOCS}/results")

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"] == (
        "API key is required. Include it in the Authorization header as 'Bearer vfy_...'"
    )
    assert error["requestId"].startswith("req_")


def test_a_key_that_is_not_a_vfy_bearer_key_is_401(client: httpx.Client) -> None:
    for value in ["Bearer sk_live_123", "vfy_abc", "Bearer vfy_", "Basic dmZ5Xw==", "bearer vfy_1"]:
        body = {"items": [{"content": "x"}]}
        response = client.post(BATCHES, json=body, headers={"Authorization": value})

        assert response.status_code == 401, value
        error = response.json()["error"]
        assert error["code"] == "unauthorized"
        assert error["message"].startswith("Invalid API key"), value


def test_auth_is_checked_before_anything_else(client: httpx.Client) -> None:
    assert client.post(BATCHES, content=b"{").status_code == 401
    assert client.get(BATCHES, params={"limit": 0}).status_code == 401


# -- rate-limit headers --------------------------------------------------------------------


def limits(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return (
        int(h["x-ratelimit-limit"]),
        int(h["x-ratelimit-remaining"]),
        int(h["x-ratelimit-reset"]),
    )


def test_every_response_carries_rate_limit_headers(client: httpx.Client) -> None:
    minute_end = 1767225660  # 2026-01-01T00:01:00Z, the end of the virtual clock's first minute
    responses = [
        client.get(BATCHES, headers=KEY),  # 200
        client.post(BATCHES, json={"items": [{"content": "x"}]}, headers=KEY),  # 202
        client.get(f"{BATCHES}/nope", headers=KEY),  # 404
        client.get(BATCHES, params={"limit": 500}, headers=KEY),  # 422
        client.post(f"{BATCHES}/{DOCS}/cancel", headers=KEY),  # 400
        client.delete(BATCHES, headers=KEY),  # 405, before the adapter sees it
        client.get("/check/v2/elsewhere", headers=KEY),  # 404, no such route
    ]

    assert [r.status_code for r in responses] == [200, 202, 404, 422, 400, 405, 404]
    assert [limits(r) for r in responses] == [(200, 199 - n, minute_end) for n in range(7)]


def test_remaining_is_counted_per_key_and_per_minute(
    client: httpx.Client, clock: VirtualClock
) -> None:
    other = {"Authorization": "Bearer vfy_other"}
    for _ in range(3):
        client.get(BATCHES, headers=KEY)
    assert limits(client.get(BATCHES, headers=other))[1] == 199
    assert limits(client.get(BATCHES))[1] == 199  # requests without a key count on their own
    assert limits(client.get(BATCHES, headers=KEY))[1] == 196

    clock.advance(60)

    assert limits(client.get(BATCHES, headers=KEY)) == (200, 199, 1767225720)


def test_remaining_stops_at_zero(client: httpx.Client) -> None:
    for _ in range(201):
        last = client.get(f"{BATCHES}/nope", headers=KEY)
    assert last.status_code == 404  # no 429: the headers report, nothing is refused
    assert limits(last)[1] == 0


# -- create --------------------------------------------------------------------------------

CREATE_ERRORS: dict[str, tuple[Any, list[dict[str, str]]]] = {
    "no items or fileId": (
        {"name": "x"},
        [{"field": "items", "message": "Required field is missing (or give fileId)"}],
    ),
    "both items and fileId": (
        {"items": [{"content": "x"}], "fileId": "f"},
        [{"field": "fileId", "message": "Give items or fileId, not both"}],
    ),
    "empty items": ({"items": []}, [{"field": "items", "message": "At least 1 item required"}]),
    "1,001 items": (
        {"items": [{"content": "x"}] * 1001},
        [
            {
                "field": "items",
                "message": "At most 1,000 items per batch on the Pro plan (got 1,001)",
            }
        ],
    ),
    "item without content": (
        {"items": [{"context": {}}]},
        [{"field": "items[0].content", "message": "Required field is missing"}],
    ),
    "empty content": (
        {"items": [{"content": ""}]},
        [{"field": "items[0].content", "message": "Must not be empty"}],
    ),
    "content too long": (
        {"items": [{"content": "x" * 50_001}]},
        [{"field": "items[0].content", "message": "Must be at most 50,000 characters"}],
    ),
    "unknown item field": (
        {"items": [{"content": "x", "claim": "y"}]},
        [{"field": "items[0].claim", "message": "Unknown field"}],
    ),
    "context not an object": (
        {"items": [{"content": "x", "context": "wiki"}]},
        [{"field": "items[0].context", "message": "Must be an object"}],
    ),
    "unknown method": (
        {"items": [{"content": "x"}], "methods": {"magic": 1}},
        [
            {
                "field": "methods.magic",
                "message": "Unknown key (valid: semantic, reasoning, tool, biprm, ensemble,"
                " entropy, formal)",
            }
        ],
    ),
    "timeout too small": (
        {"items": [{"content": "x"}], "options": {"timeout": 999}},
        [{"field": "options.timeout", "message": "Must be at least 1000"}],
    ),
    "maxRetries too big": (
        {"items": [{"content": "x"}], "options": {"maxRetries": 6}},
        [{"field": "options.maxRetries", "message": "Must be at most 5"}],
    ),
    "retryOnLowConfidence without minConfidence": (
        {"items": [{"content": "x"}], "options": {"retryOnLowConfidence": True}},
        [
            {
                "field": "options.minConfidence",
                "message": "Required when retryOnLowConfidence is true",
            }
        ],
    ),
    "thresholds the wrong way round": (
        {"items": [{"content": "x"}], "options": {"acceptThreshold": 0.4}},
        [
            {
                "field": "options.acceptThreshold",
                "message": "Must be greater than escalateThreshold (0.5)",
            }
        ],
    ),
    "body not an object": ([{"content": "x"}], [{"field": "body", "message": "Must be an object"}]),
    "two problems at once": (
        {"items": [{"content": 5}], "name": 7},
        [
            {"field": "items[0].content", "message": "Must be a string"},
            {"field": "name", "message": "Must be a string"},
        ],
    ),
}


def test_create_validation_errors(client: httpx.Client) -> None:
    for case, (body, expected) in CREATE_ERRORS.items():
        response = client.post(BATCHES, json=body, headers=KEY)

        assert response.status_code == 422, case
        assert details(response) == expected, case


def test_1000_items_are_accepted(client: httpx.Client) -> None:
    response = client.post(BATCHES, json={"items": [{"content": "x"}] * 1000}, headers=KEY)
    assert (response.status_code, response.json()["totalItems"]) == (202, 1000)


def test_the_formal_method_needs_an_enterprise_plan(client: httpx.Client) -> None:
    body = {"items": [{"content": "x"}], "methods": {"formal": 1.0}}
    response = client.post(BATCHES, json=body, headers=KEY)
    assert (response.status_code, response.json()) == (
        403,
        {"error": {"code": "forbidden", "message": "The formal method needs an Enterprise plan"}},
    )


BAD_REQUESTS = [
    (b'{"items": [', "application/json", "Request body is not valid JSON: "),
    (b'{"items": []}', "text/plain", "Content-Type must be application/json"),
    (b"", "application/json", "Request body is required"),
]


def test_create_bad_requests(client: httpx.Client) -> None:
    for content, ctype, message in BAD_REQUESTS:
        response = client.post(BATCHES, content=content, headers={**KEY, "content-type": ctype})

        assert response.status_code == 400, message
        error = response.json()["error"]
        assert (error["code"], error["message"][: len(message)]) == ("bad_request", message)
        assert error["requestId"].startswith("req_")


def test_an_unknown_file_id_is_404(client: httpx.Client) -> None:
    response = client.post(
        BATCHES, json={"fileId": "550e8400-e29b-41d4-a716-446655440000"}, headers=KEY
    )
    assert (response.status_code, response.json()) == (
        404,
        {"error": {"code": "not_found", "message": "File not found"}},
    )


# -- list and results parameters -----------------------------------------------------------

QUERY_ERRORS = {
    "limit 0": ({"limit": 0}, "limit", "0 is less than the minimum of 1"),
    "limit over 100": ({"limit": 101}, "limit", "101 is greater than the maximum of 100"),
    "limit not a number": ({"limit": "ten"}, "limit", "'ten' is not of type 'integer'"),
    "negative offset": ({"offset": -1}, "offset", "-1 is less than the minimum of 0"),
    "unknown parameter": ({"page": 2}, "page", "Unknown query parameter"),
}


def test_paging_errors(client: httpx.Client) -> None:
    for path in (BATCHES, f"{BATCHES}/{DOCS}/results"):
        for case, (params, field, message) in QUERY_ERRORS.items():
            response = client.get(path, params=params, headers=KEY)

            assert response.status_code == 422, (path, case)
            assert details(response) == [{"field": field, "message": message}], (path, case)


def test_status_filters_take_only_their_own_statuses(client: httpx.Client) -> None:
    batch_filter = client.get(BATCHES, params={"status": "skipped"}, headers=KEY)
    item_filter = client.get(
        f"{BATCHES}/{DOCS}/results", params={"status": "cancelled"}, headers=KEY
    )

    assert details(batch_filter)[0]["message"].startswith("'skipped' is not one of")
    assert details(item_filter)[0]["message"].startswith("'cancelled' is not one of")


def test_100_is_the_largest_page(client: httpx.Client) -> None:
    assert (
        client.get(f"{BATCHES}/{DOCS}/results", params={"limit": 100}, headers=KEY).status_code
        == 200
    )
    assert client.get(BATCHES, params={"limit": 100}, headers=KEY).status_code == 200


# -- routes and methods --------------------------------------------------------------------


def test_a_method_the_route_does_not_have_is_405_with_allow(client: httpx.Client) -> None:
    response = client.put(f"{BATCHES}/{DOCS}", headers=KEY)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json() == {
        "error": {"code": "method_not_allowed", "message": "PUT is not allowed here"}
    }


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "DELETE"])
def test_allow_lists_only_the_literal_paths_methods(client: httpx.Client, method: str) -> None:
    # /v1/batch/upload is its own path (POST only), not /v1/batch/{id} with id "upload"
    response = client.request(method, f"{BATCHES}/upload", headers=KEY)

    assert (response.status_code, response.headers["allow"], response.json()) == (
        405,
        "POST",
        {"error": {"code": "method_not_allowed", "message": f"{method} is not allowed here"}},
    )


def test_an_unknown_path_is_404_not_found(client: httpx.Client) -> None:
    response = client.get("/check/v1/verify/ver_1", headers=KEY)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_error_is_journaled_with_its_violation(client: httpx.Client, app: Any) -> None:
    client.post(BATCHES, json={"items": []}, headers=KEY)

    (entry,) = app.state.mock.journal.entries()
    assert (entry.status, entry.violations[0].path, entry.violations[0].keyword) == (
        422,
        "items",
        "minItems",
    )


def test_errors_before_the_adapter_and_bugs_keep_the_envelope_and_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mockbatch import create_app
    from mockbatch.apis.check import CheckProvider
    from mockbatch.transport import InProcessTransport

    def broken(self: CheckProvider, call: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(CheckProvider.operations, "listBatches", broken)
    app = create_app(clock=VirtualClock(), max_body=1024)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
        too_big = http.post(
            f"{BATCHES}/upload", files={"file": ("c.csv", b"x" * 2048)}, headers=KEY
        )
        bug = http.get(BATCHES, headers=KEY)

    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "payload_too_large")
    assert (bug.status_code, bug.json()) == (
        500,
        {"error": {"code": "internal_error", "message": "Internal server error"}},
    )
    assert [limits(r)[1] for r in (too_big, bug)] == [199, 198]
    assert "RuntimeError: a bug" in (app.state.mock.journal.entries()[1].error or "")
