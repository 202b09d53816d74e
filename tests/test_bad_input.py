"""Hostile input on every route: the provider's error format, never a 500, and the server keeps
serving. (schemathesis' negative generation covers the specs; these are the hand-made cases.)"""

from __future__ import annotations

import httpx
import pytest
from profiles import apis, body_routes, error_format, profile

from mockbatch.mock import Mock

# Beyond every route that takes a body (from each provider's spec): routes whose body depends
# on a query parameter.
EXTRA_ROUTES: dict[str, list[tuple[str, str]]] = {
    "ivvy": [
        ("POST", "/ivvy/api/1.0/batch?action=run"),
        ("POST", "/ivvy/api/1.0/batch?action=results"),
    ],
}

NESTED = b"[" * 5000 + b"]" * 5000
BODIES = {
    "not JSON": (b"this is not json", "application/json"),
    "invalid UTF-8": (b'{"a": "\xff\xfe"}', "application/json"),
    "deeply nested": (NESTED, "application/json"),
    "nested under the parser's limit": (
        b'{"jobs": ' + b"[" * 900 + b"]" * 900 + b"}",
        "application/json",
    ),
    "form data": (b"a=1&b=2", "application/x-www-form-urlencoded"),
    "no content type": (b'{"jobs": []}', ""),
    "JSON null": (b"null", "application/json"),
    "huge number": (b'{"async": 1e999999}', "application/json"),
    "empty": (b"", "application/json"),
}
CASES = [
    (api, method, path)
    for api in apis()
    for method, path in [*body_routes(api), *EXTRA_ROUTES.get(api, [])]
]


def test_every_provider_gets_bad_bodies() -> None:
    assert {api for api, _, _ in CASES} == set(apis())


@pytest.mark.parametrize("api, method, path", CASES)
@pytest.mark.parametrize("name", BODIES)
def test_bad_bodies_get_the_providers_error(
    client: httpx.Client, mock: Mock, api: str, method: str, path: str, name: str
) -> None:
    content, ctype = BODIES[name]
    headers = {"content-type": ctype} if ctype else {}
    response = client.request(
        method, path, content=content, headers={**profile(api).headers, **headers}
    )

    assert 400 <= response.status_code < 500, response.text
    assert error_format(api, response.json()), response.text
    assert all(e.error is None for e in mock.journal.entries())
    assert client.get("/__mockbatch/health").status_code == 200


@pytest.mark.parametrize("api", apis())
@pytest.mark.parametrize(
    "suffix", ["/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fsecret", "/%7f%00", "/" + "a" * 5000]
)
def test_odd_paths_get_the_providers_not_found(client: httpx.Client, api: str, suffix: str) -> None:
    response = client.get(f"/{api}/api{suffix}", headers=dict(profile(api).headers))
    assert response.status_code in (404, 405), response.text
    assert error_format(api, response.json())


def test_a_path_that_climbs_out_of_the_api_is_not_found(client: httpx.Client) -> None:
    response = client.get("/ivvy/api/../../../etc/passwd")  # the client resolves the dots
    assert (response.status_code, response.json()["error"]) == (404, "no API at /etc/passwd")


# A body each API accepts, with one JSON value left open; and its answer to a value that Python
# reads but that is not JSON (the message is the parser's).
ACCEPTING: dict[str, tuple[str, str]] = {
    "ivvy": (
        "/ivvy/api/1.0/batch?action=run",
        '{"jobs":[{"namespace":"test","action":"ping","params":{"a":%s}}]}',
    ),
    "trigger": ("/trigger/api/v2/tasks/batch", '{"items":[{"task":"t","payload":{"a":%s}}]}'),
    "runtype": (
        "/runtype/v1/batch/flow",
        '{"flowId":"flow_12345abcde","recordIds":["rec_1"],"inputs":{"a":%s}}',
    ),
    "check": ("/check/v1/batch", '{"items":[{"content":"x","context":{"a":%s}}]}'),
    "anthropic": (
        "/anthropic/v1/messages/batches",
        '{"requests":[{"custom_id":"a","params":{"model":"m","metadata":{"a":%s}}}]}',
    ),
}
NOT_JSON = {
    "lone surrogate": '"\\ud800"',
    "lone surrogate as a key": '{"\\udfff":1}',
    "overflowing number": "1e400",
    "NaN": "NaN",
    "Infinity": "-Infinity",
}
SURROGATE = "a string holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"
MESSAGES = {
    "lone surrogate": SURROGATE,
    "lone surrogate as a key": SURROGATE,
    "overflowing number": "number out of range: 1e400",
    "NaN": "NaN is not a JSON number",
    "Infinity": "-Infinity is not a JSON number",
}


def _refusal(api: str, message: str, answer: dict[str, object]) -> dict[str, object]:
    if api == "ivvy":
        return {
            "errorCode": 400,
            "message": "'body' does not validate",
            "specificCode": 23016,
            "additionalMessages": [f"not valid JSON: {message}"],
        }
    if api == "trigger":
        return {"error": "Invalid JSON"}
    if api == "runtype":
        detail = {"message": f"the body is not JSON: not valid JSON: {message}"}
        return {"error": "Invalid request body", "details": [{**detail, "code": "INVALID_JSON"}]}
    if api == "anthropic":
        error = {"type": "invalid_request_error", "message": f"not valid JSON: {message}"}
        return {"type": "error", "error": error, "request_id": answer["request_id"]}
    error = answer["error"]
    assert isinstance(error, dict)
    text = f"Request body is not valid JSON: {message}"
    return {"error": {"code": "bad_request", "message": text, "requestId": error["requestId"]}}


@pytest.mark.parametrize("api", ACCEPTING)
def test_a_value_json_cannot_hold_gets_the_providers_400(
    client: httpx.Client, mock: Mock, api: str
) -> None:
    path, template = ACCEPTING[api]
    headers = {**profile(api).headers, "content-type": "application/json"}
    accepted = client.post(path, content=template % "1", headers=headers)
    assert accepted.status_code in (200, 202), accepted.text

    for name, value in NOT_JSON.items():
        response = client.post(path, content=template % value, headers=headers)
        assert response.status_code == 400, (name, response.text)
        assert response.json() == _refusal(api, MESSAGES[name], response.json()), name
        assert mock.journal.entries()[-1].status == 400

    assert client.get("/__mockbatch/requests").status_code == 200
    assert client.get("/__mockbatch/batches").status_code == 200
    assert client.get("/__mockbatch/health").status_code == 200
