"""Safety off loopback: a control token, secrets masked in the journal, and callback hosts that
a scenario uploaded at run time cannot widen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from receiver import receiver
from starlette.applications import Starlette

from mockbatch import Scenario, VirtualClock, control, create_app
from mockbatch.handle import MockbatchServer
from mockbatch.journal import mask
from mockbatch.mock import Mock
from mockbatch.transport import InProcessTransport

TOKEN = {"authorization": "Bearer s3cret"}
KEY = "vfy_SECRET_KEY_123"
IWS = "IWS key123:" + "0123456789abcdef" * 2 + "01234567"
JOBS = [{"namespace": "test", "action": "ping", "params": {}}]  # ping finishes at the 1st poll
WIDE = """\
api: ivvy
name: wide
options:
  callbacks:
    allow_hosts: [169.254.169.254]
"""


def http(app: Starlette) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url="http://mockbatch.test")


def control_requests() -> Iterator[tuple[str, str]]:
    """Every control route and method (path parameters filled in)."""
    for route in control.routes:
        path = route.path.replace("{api}", "ivvy").replace("{id:path}", "x")
        endpoint = route.endpoint
        assert isinstance(endpoint, control.Endpoint)
        for method in sorted(endpoint.handlers):
            if method != "HEAD":
                yield method, control.PREFIX + path.replace("{path:path}", "nothing-here")
        if not endpoint.handlers:  # the catch-all: any method
            yield "GET", control.PREFIX + "/nothing-here"


@pytest.mark.parametrize("root_api", [None, "ivvy"])
@pytest.mark.parametrize("method, path", list(control_requests()))
def test_with_a_token_every_control_request_needs_it(
    method: str, path: str, root_api: str | None
) -> None:
    app = create_app(clock=VirtualClock(), root_api=root_api, control_token="s3cret")
    with http(app) as client:
        missing = client.request(method, path, content=b"{}")
        wrong = client.request(method, path, content=b"{}", headers={"authorization": "Bearer x"})
        right = client.request(method, path, content=b"{}", headers=TOKEN)

    needed = "the control API needs 'Authorization: Bearer <token>' (--control-token)"
    assert (missing.status_code, missing.json()) == (401, {"error": needed})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "wrong control token"})
    assert missing.headers["www-authenticate"] == wrong.headers["www-authenticate"] == "Bearer"
    assert right.status_code != 401


def test_a_refused_control_request_changes_nothing_and_the_apis_keep_their_own_auth() -> None:
    app = create_app(clock=VirtualClock(), control_token="s3cret")
    with http(app) as client:
        api = client.get("/check/v1/batch", headers={"authorization": f"Bearer {KEY}"})
        reset = client.post("/__mockbatch/reset")
        journal = client.get("/__mockbatch/requests", headers=TOKEN).json()["requests"]

    assert (api.status_code, reset.status_code) == (200, 401)
    assert [e["path"] for e in journal] == ["/check/v1/batch"]


def test_the_journal_masks_keys_tokens_and_signatures(client: httpx.Client) -> None:
    client.get("/check/v1/batch", headers={"authorization": f"Bearer {KEY}"})
    client.post(
        "/ivvy/api/1.0/batch",
        params={"action": "progress"},
        json={"async": "a7ec88af7d710bf51b188004bb532d77"},
        headers={"x-api-authorization": IWS, "x-api-key": "k" * 20, "x-session-token": "t"},
    )
    first, second = client.get("/__mockbatch/requests").json()["requests"]

    assert first["headers"]["authorization"] == "Bearer vfy_…#ee9892"
    assert (
        second["headers"]["x-api-authorization"],
        second["headers"]["x-api-key"],
        second["headers"]["x-session-token"],
        second["headers"]["content-type"],
    ) == ("IWS key123:***", "kkkk…#fe552e", "…#e3b98a", "application/json")


def test_an_entry_read_in_python_shows_its_headers_decoded_and_masked(
    client: httpx.Client, mock: Mock
) -> None:
    client.get("/check/v1/batch", headers={"Authorization": f"Bearer {KEY}", "X-Trace": "t1"})
    (entry,) = mock.journal.entries()

    assert KEY not in repr(entry.headers) and KEY not in str(entry.to_json())
    assert (entry.headers["authorization"], entry.headers["x-trace"]) == (
        mask(f"Bearer {KEY}"),
        "t1",
    )
    assert entry.headers is entry.headers  # worked out once


def test_journal_secrets_keeps_them_as_sent() -> None:
    app = create_app(clock=VirtualClock(), journal_secrets=True)
    with http(app) as client:
        client.get("/check/v1/batch", headers={"authorization": f"Bearer {KEY}"})
        (entry,) = client.get("/__mockbatch/requests").json()["requests"]

    assert entry["headers"]["authorization"] == f"Bearer {KEY}"


def test_rate_limits_still_count_per_key_with_the_keys_masked() -> None:
    limited = Scenario.from_text("api: check\noptions:\n  rate_limit: {limit: 1, window: 60}\n")
    app = create_app(clock=VirtualClock(), scenarios=[limited])
    with http(app) as client:
        statuses = [
            client.get(
                "/check/v1/batch", headers={"authorization": f"Bearer vfy_{who}"}
            ).status_code
            for who in ("first_key_of_two", "second_key_of_two", "first_key_of_two")
        ]
        masked = [
            e["headers"]["authorization"]
            for e in client.get("/__mockbatch/requests").json()["requests"]
        ]

    assert statuses == [200, 200, 429]
    assert masked[0] == masked[2] != masked[1]


def test_a_webhook_signature_is_masked_in_the_journal(
    client: httpx.Client, mock: Mock, clock: VirtualClock
) -> None:
    auth = {"authorization": "Bearer vfy_test"}
    with receiver() as target:
        options = {"webhook": {"url": target.url, "secret": "whsec_test"}}
        mock.load(Scenario.from_dict({"api": "check", "options": options}))
        body = {"items": [{"content": "The Moon orbits the Earth."}]}
        batch_id = client.post("/check/v1/batch", json=body, headers=auth).json()["id"]
        for _ in range(3):
            client.get(f"/check/v1/batch/{batch_id}", headers=auth)
        clock.advance(5)  # the shipped rules: the 4th poll, 5 s on, finishes it
        client.get(f"/check/v1/batch/{batch_id}", headers=auth)
        (got,) = target.wait_for(1)
        mock.outbox.wait(lambda: all(d.state == "delivered" for d in mock.outbox.deliveries))

    (entry,) = [e for e in mock.journal.entries() if e.kind == "callback"]
    sent = got.headers["X-Check-Signature"]
    assert entry.headers["X-Check-Signature"] == mask(sent) == f"{sent[:4]}…#{mask(sent)[-6:]}"
    (shown,) = client.get("/__mockbatch/callbacks").json()["callbacks"]
    assert shown["headers"]["X-Check-Signature"] == mask(sent)


def test_an_uploaded_scenario_cannot_widen_the_callback_hosts() -> None:
    clock = VirtualClock()
    app = create_app(clock=clock, allow_callback_hosts=["cli.example"])
    mock: Mock = app.state.mock
    with http(app) as client:
        uploaded = client.post("/__mockbatch/scenarios", content=WIDE)
        assert (uploaded.status_code, uploaded.json()["ignored"]) == (
            201,
            [
                "options.callbacks.allow_hosts: an uploaded scenario cannot allow callback hosts"
                " (start the server with --allow-callback-host)"
            ],
        )
        run = client.post(
            "/ivvy/api/1.0/batch",
            params={"action": "run"},
            json={"jobs": JOBS, "callbackUrl": "http://169.254.169.254/latest/meta-data/"},
        )
        progress = {"async": run.json()["asyncId"]}
        for seconds in (0, 0, 5):  # the shipped rule: the 3rd poll, 5 s on, completes it
            clock.advance(seconds)
            client.post("/ivvy/api/1.0/batch?action=progress", json=progress)
        assert mock.outbox.wait(lambda: [d.state for d in mock.outbox.deliveries] == ["refused"])

    assert mock.callback_policy("ivvy").allow_hosts == ("cli.example",)
    (entry,) = [e for e in mock.journal.entries() if e.kind == "callback"]
    assert entry.outcome == (
        "refused: host '169.254.169.254' is not loopback (allow it with --allow-callback-host, or"
        " with options.callbacks.allow_hosts in a scenario loaded at start-up, not uploaded)"
    )


def test_start_up_scenarios_and_test_code_are_trusted_with_allow_hosts() -> None:
    wide = Scenario.from_text(WIDE)
    app = create_app(clock=VirtualClock(), scenarios=[wide], allow_callback_hosts=["cli.example"])
    server = MockbatchServer(scenarios=[])
    try:
        handle = server.begin(scenarios=None, wall=False, here=Path("."))
        handle.load({"api": "ivvy", "options": {"callbacks": {"allow_hosts": ["169.254.169.254"]}}})
        from_test = server.mock.callback_policy("ivvy").allow_hosts
    finally:
        server.stop()

    assert app.state.mock.callback_policy("ivvy").allow_hosts == ("cli.example", "169.254.169.254")
    assert from_test == ("169.254.169.254",)
