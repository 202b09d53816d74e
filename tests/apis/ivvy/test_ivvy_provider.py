"""The iVvy provider against its contract: its tables match the spec, its test profile reads
the shipped finished batch, and requests count against the key of their IWS signature."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from mockbatch import Scenario, VirtualClock, create_app
from mockbatch.apis.ivvy import IvvyProvider
from mockbatch.apis.ivvy.wire import ACTIONS
from mockbatch.mock import Mock
from mockbatch.provider import operation_problems
from mockbatch.resources import specs_dir
from mockbatch.specs import Spec
from mockbatch.transport import InProcessTransport

from .helpers import BATCH, DOCS_DONE

SIGNED = "IWS {key}:" + "0123456789abcdef" * 2 + "01234567"


def test_the_operation_of_the_spec_has_a_handler_and_each_action_one() -> None:
    spec = Spec.from_path(specs_dir() / IvvyProvider.spec_file)

    assert operation_problems(IvvyProvider, spec) == []
    assert list(IvvyProvider.operations) == ["batch"]
    assert tuple(IvvyProvider.actions) == ACTIONS
    action = next(p for p in spec.operations["batch"].parameters if p.name == "action")
    assert tuple(action.schema["enum"]) == ACTIONS


def test_the_test_profile_reads_a_finished_batch_of_the_shipped_scenario() -> None:
    method, path, body = IvvyProvider.profile.poll
    with httpx.Client(
        transport=InProcessTransport(create_app(clock=VirtualClock(), apis=["ivvy"])),
        base_url="http://mock/ivvy",
        headers=dict(IvvyProvider.profile.headers),
    ) as client:
        answer = client.request(method, path, json=body)
        refused = client.request(method, path, json={"async": "f" * 32})

    assert answer.status_code == 200
    assert answer.json()["asyncId"] == IvvyProvider.profile.batch_id == DOCS_DONE
    assert len(answer.json()["results"]) == 2
    assert set(refused.json()) == IvvyProvider.profile.error_keys


def test_the_api_key_is_the_key_of_the_iws_signature(app: Starlette) -> None:
    provider = app.apis["ivvy"].provider

    assert provider.api_key({"x-api-authorization": SIGNED.format(key="ABC123")}) == "ABC123"
    assert provider.api_key({"authorization": "Bearer k2"}) == "k2"
    assert provider.api_key({"x-api-authorization": "Basic abc"}) == "anonymous"
    assert provider.api_key({}) == "anonymous"


def test_each_signing_key_has_its_own_rate_limit_window(app: Starlette, mock: Mock) -> None:
    mock.load(
        Scenario.from_dict(
            {
                "api": "ivvy",
                "options": {"auth": {"mode": "off"}, "rate_limit": {"limit": 1, "window": 60}},
            }
        )
    )
    with httpx.Client(transport=InProcessTransport(app), base_url="http://mock") as client:
        answers = [
            client.post(
                BATCH,
                params={"action": "progress"},
                json={"async": DOCS_DONE},
                headers={"x-api-authorization": SIGNED.format(key=key)},
            )
            for key in ("k1", "k2", "k1")
        ]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["0", "0", "0"]
