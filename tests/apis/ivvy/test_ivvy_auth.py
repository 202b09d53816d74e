"""iVvy request signing: the documented vectors, signed requests as the SDKs send them, and
every way a signature fails, each with its exact body."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from mockbatch import Scenario, VirtualClock, create_app
from mockbatch.apis.ivvy.auth import sign, string_to_sign
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

KEY, SECRET = "ABC123", "s3cret"
URI = "/api/1.0/batch?action=progress"
BODY = json.dumps({"async": "e35e06ee592d17a42dc9e6252a058617"}).encode()
NOW = "2026-01-01 00:00:00"  # the virtual clock's start


def test_documented_string_to_sign_and_signature() -> None:
    body = b'{"example":"body"}'
    headers = {
        "content-md5": hashlib.md5(body).hexdigest(),
        "content-type": "application/json",
        "ivvy-date": "2012-04-03 22:23:24",
    }
    text = string_to_sign("POST", "/api/1.0/test?action=ping", headers)

    assert headers["content-md5"] == "a09f600c77a6dbd947db24c61e8935ca"
    assert text == (
        "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping"
        "1.0ivvydate=2012-04-03 22:23:24"
    )
    assert sign("foo", text) == "8c7a8f2bcd32aa06d9c4097653bee4106b64fe81"
    assert sign("my secret key", "string to sign") == "a993876ea1218921a1c8551923473da7b310dfae"


def signed(
    uri: str = URI,
    *,
    body: bytes = BODY,
    content_type: str = "application/json",
    date: tuple[str, str] = ("IVVY-Date", NOW),
    key: str = KEY,
    secret: str = SECRET,
) -> dict[str, str]:
    """Headers the way the iVvy SDKs sign a request."""
    headers = {
        "Content-Type": content_type,
        "Content-MD5": hashlib.md5(body).hexdigest(),
        date[0]: date[1],
    }
    lower = {k.lower(): v for k, v in headers.items()}
    signature = sign(secret, string_to_sign("POST", uri, lower))
    return {**headers, "X-Api-Authorization": f"IWS {key}:{signature}", "X-Api-Version": "1.0"}


@pytest.fixture
def strict(mock: Mock) -> Mock:
    mock.load(
        Scenario.from_dict(
            {"api": "ivvy", "options": {"auth": {"mode": "strict", "keys": {KEY: SECRET}}}}
        )
    )
    return mock


def post(client: httpx.Client, headers: dict[str, str], body: bytes = BODY) -> httpx.Response:
    return client.post(f"/ivvy{URI}", content=body, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(signed(), id="js-sdk: application/json, IVVY-Date"),
        pytest.param(
            signed(
                content_type="application/json; charset=utf-8", date=("IVVY-Date", f"{NOW} UTC")
            ),
            id="net-sdk: charset, IVVY-Date with UTC",
        ),
        pytest.param(signed(date=("Date", "Thu, 01 Jan 2026 00:00:00 UTC")), id="Date header"),
        pytest.param(signed(f"/ivvy{URI}"), id="signed with the mock's prefix"),
    ],
)
def test_signed_requests_pass(client: httpx.Client, strict: Mock, headers: dict[str, str]) -> None:
    response = post(client, headers)
    assert (response.status_code, response.json()) == (200, {"progress": 100})


def _error(code: int, message: str, *more: str) -> dict[str, Any]:
    body: dict[str, Any] = {"errorCode": 401, "message": message, "specificCode": code}
    if more:
        body["additionalMessages"] = list(more)
    return body


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


FAILURES = {
    "unsigned": (
        {"Content-Type": "application/json"},
        _error(23017, "'X-Api-Authorization' is required"),
    ),
    "malformed authorization": (
        {**signed(), "X-Api-Authorization": "Bearer abc"},
        _error(
            23016,
            "'X-Api-Authorization' does not validate",
            "Expected: IWS <key>:<40 hex digit signature>",
        ),
    ),
    "unknown key": (
        signed(key="NOPE"),
        _error(23016, "'X-Api-Authorization' does not validate", "Unknown API key 'NOPE'"),
    ),
    "wrong secret": (
        signed(secret="guess"),
        _error(
            23016,
            "'signature' does not validate",
            "string to sign (URI as the SDKs sign it, without the mock's /ivvy prefix): post"
            + hashlib.md5(BODY).hexdigest()
            + "application/json/api/1.0/batch?action=progress1.0ivvydate=2026-01-01 00:00:00",
            "string to sign (with the /ivvy prefix): post"
            + hashlib.md5(BODY).hexdigest()
            + "application/json/ivvy/api/1.0/batch?action=progress1.0ivvydate=2026-01-01 00:00:00",
        ),
    ),
    "no Content-MD5": (
        _without(signed(), "Content-MD5"),
        _error(23017, "'Content-MD5' is required"),
    ),
    "Content-MD5 of another body": (
        {**signed(), "Content-MD5": hashlib.md5(b"{}").hexdigest()},
        _error(
            23016,
            "'Content-MD5' does not validate",
            f"The MD5 of the body is {hashlib.md5(BODY).hexdigest()}",
        ),
    ),
    "no date": (
        _without(signed(), "IVVY-Date"),
        _error(23017, "'Date' is required", "Send a Date or an IVVY-Date header"),
    ),
    "unreadable IVVY-Date": (
        signed(date=("IVVY-Date", "yesterday")),
        _error(23016, "'IVVY-Date' does not validate", "Expected: yyyy-mm-dd HH:mm:ss"),
    ),
}


@pytest.mark.parametrize("headers, expected", FAILURES.values(), ids=FAILURES.keys())
def test_signature_failures(
    client: httpx.Client, strict: Mock, headers: dict[str, str], expected: dict[str, Any]
) -> None:
    response = post(client, headers)
    assert (response.status_code, response.json()) == (401, expected)


def test_stale_after_five_minutes_on_the_clock(
    client: httpx.Client, strict: Mock, clock: VirtualClock
) -> None:
    clock.advance(300)
    assert post(client, signed()).status_code == 200
    clock.advance(1)
    stale = post(client, signed())
    assert (stale.status_code, stale.json()) == (401, _error(23005, "Request is stale"))


def test_lenient_default_takes_unsigned_requests_but_checks_signed_ones(
    client: httpx.Client,
) -> None:
    assert post(client, {"Content-Type": "application/json"}).status_code == 200
    assert post(client, signed(secret="anything")).status_code == 200  # not verified
    bad_md5 = post(client, {**signed(), "Content-MD5": "0" * 32})
    assert bad_md5.json()["message"] == "'Content-MD5' does not validate"


def test_off_checks_nothing(client: httpx.Client, mock: Mock) -> None:
    mock.load(Scenario.from_dict({"api": "ivvy", "options": {"auth": {"mode": "off"}}}))
    assert post(client, {**signed(), "X-Api-Authorization": "junk"}).status_code == 200


def test_served_at_the_root_a_bad_signature_shows_the_one_string_to_sign() -> None:
    app = create_app(clock=VirtualClock(), root_api="ivvy")
    app.state.mock.load(
        Scenario.from_dict(
            {"api": "ivvy", "options": {"auth": {"mode": "strict", "keys": {KEY: SECRET}}}}
        )
    )
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as http:
        assert http.post(URI, content=BODY, headers=signed()).status_code == 200
        refused = http.post(URI, content=BODY, headers=signed(secret="guess"))

    assert (refused.status_code, refused.json()) == (
        401,
        _error(
            23016,
            "'signature' does not validate",
            "The string to sign is: post"
            + hashlib.md5(BODY).hexdigest()
            + "application/json/api/1.0/batch?action=progress1.0ivvydate=2026-01-01 00:00:00",
        ),
    )
