"""Bearer-key emulation for the APIs that use one: off, lenient (format only), strict (only the
scenario's keys), and forbidden keys, each answered with the provider's own 401/403 body."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from profiles import apis, error_format, keyless, poll

from mockbatch import Scenario
from mockbatch.mock import Mock

# api: (a read of a shipped batch, a well-formed key, a malformed key, the 401 and 403 bodies)
APIS: dict[str, dict[str, Any]] = {
    "runtype": {
        "path": "/runtype/v1/schedules/batch/batchId/results",
        "good": "rt_live_1",
        "malformed": "sk_live_1",
        "unauthorized": lambda reason: {
            "error": "Unauthorized",
            "details": [
                {"message": f"{reason}: send Authorization: Bearer <key>", "code": "UNAUTHORIZED"}
            ],
        },
        "forbidden": {
            "error": "Forbidden",
            "details": [
                {"message": "this API key may not access this resource", "code": "FORBIDDEN"}
            ],
        },
    },
    "check": {
        "path": "/check/v1/batch/batch_abc123def456",
        "good": "vfy_live_1",
        "malformed": "sk_live_1",
        "unauthorized": lambda reason: "unauthorized",
        "forbidden": "forbidden",
    },
}


def get(client: httpx.Client, api: str, key: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return client.get(APIS[api]["path"], headers=headers)


def set_auth(mock: Mock, api: str, **auth: Any) -> None:
    mock.load(Scenario.from_dict({"api": api, "options": {"auth": auth}}))


def code(response: httpx.Response) -> Any:
    body = response.json()
    return body["error"]["code"] if isinstance(body.get("error"), dict) else body


@pytest.mark.parametrize("api", APIS)
def test_lenient_checks_the_key_format(client: httpx.Client, api: str) -> None:
    spec = APIS[api]
    assert get(client, api, spec["good"]).status_code == 200
    malformed = get(client, api, spec["malformed"])
    assert malformed.status_code == 401
    reason = "not a Runtype API key (they start with rt_)"
    assert code(malformed) == spec["unauthorized"](reason)
    missing = get(client, api, None)
    assert (missing.status_code, code(missing)) == (401, spec["unauthorized"]("no API key"))


@pytest.mark.parametrize("api", APIS)
def test_strict_takes_only_the_scenarios_keys(client: httpx.Client, mock: Mock, api: str) -> None:
    spec = APIS[api]
    listed = spec["good"]
    set_auth(mock, api, mode="strict", keys=[listed])
    assert get(client, api, listed).status_code == 200
    other = get(client, api, listed + "x")
    assert (other.status_code, code(other)) == (401, spec["unauthorized"]("unknown API key"))


@pytest.mark.parametrize("api", APIS)
def test_forbidden_keys_get_403(client: httpx.Client, mock: Mock, api: str) -> None:
    spec = APIS[api]
    set_auth(mock, api, forbidden=[spec["good"]])
    refused = get(client, api, spec["good"])
    assert (refused.status_code, code(refused)) == (403, spec["forbidden"])


@pytest.mark.parametrize("api", APIS)
def test_off_lets_anything_through(client: httpx.Client, mock: Mock, api: str) -> None:
    set_auth(mock, api, mode="off")
    assert get(client, api, None).status_code == 200
    assert get(client, api, APIS[api]["malformed"]).status_code == 200


@pytest.mark.parametrize("api", apis())
def test_every_api_takes_its_profiles_key_and_refuses_one_strict_mode_lacks(
    client: httpx.Client, mock: Mock, api: str
) -> None:
    assert poll(client, api).status_code == 200
    set_auth(mock, api, mode="strict", keys=["not_the_profiles_key"])
    refused = poll(client, api)
    assert refused.status_code in (401, 403), refused.text
    assert error_format(api, refused.json()), refused.text


@pytest.mark.parametrize("api", apis())
def test_every_api_lets_a_keyless_request_through_with_auth_off(
    client: httpx.Client, mock: Mock, api: str
) -> None:
    set_auth(mock, api, mode="off")
    assert poll(client, api, headers=keyless(api)).status_code == 200


def test_trigger_modes_use_the_routes_own_bodies(client: httpx.Client, mock: Mock) -> None:
    path = "/trigger/api/v2/batches/batch_1234"

    def get_with(key: str | None) -> httpx.Response:
        return client.get(path, headers={"authorization": f"Bearer {key}"} if key else {})

    assert get_with("sk_1").json() == {"error": "Invalid API key"}
    set_auth(mock, "trigger", mode="strict", keys=["tr_dev_1"], forbidden=["tr_dev_1"])
    assert get_with("tr_dev_2").json() == {"error": "Invalid API key"}
    refused = get_with("tr_dev_1")
    assert (refused.status_code, refused.json()) == (
        403,
        {
            "error": "Unauthorized",
            "code": "unauthorized",
            "param": "access_token",
            "type": "authorization",
        },
    )
    set_auth(mock, "trigger", mode="off")
    assert get_with(None).status_code == 200
