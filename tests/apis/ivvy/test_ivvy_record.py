"""``mockbatch record --api ivvy``: a signed client's run recorded through mockbatch, replayed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
from record_helpers import Answer, answer, record_and_replay

from mockbatch import VirtualClock
from mockbatch.apis.ivvy.auth import sign, string_to_sign
from mockbatch.app import load_scenarios
from mockbatch.scenarios import Scenario

KEY = "ivvykey_live_77a1"
SECRET = "ivvy-secret-do-not-write-9f8e7d"
UNKNOWN = "0" * 32


def _call(http: httpx.Client, action: str, body: object) -> httpx.Response:
    """A signed call, as the SDKs sign it (the signature changes with the body)."""
    raw = json.dumps(body).encode()
    uri = f"/api/1.0/batch?action={action}"
    headers = {
        "content-type": "application/json",
        "content-md5": hashlib.md5(raw).hexdigest(),
        "ivvy-date": "2026-01-01 00:00:00",
    }
    signature = sign(SECRET, string_to_sign("POST", uri, headers))
    headers["x-api-authorization"] = f"IWS {KEY}:{signature}"
    return http.post(uri, content=raw, headers=headers)


def _client(http: httpx.Client, clock: VirtualClock) -> list[Answer]:
    """Run three jobs, read results too early (an error), poll progress to 100, read results,
    and ask about a batch that does not exist."""
    jobs = [
        {"namespace": "test", "action": "ping", "params": {}},
        {"namespace": "contact", "action": "addOrUpdateContact", "params": {"id": 1}},
        {"namespace": "event", "action": "inviteContacts", "params": {"event": 3}},
        {"namespace": "contact", "action": "slowSync", "params": {"all": True}},
    ]
    answers = [answer(_call(http, "run", {"jobs": jobs}))]
    batch = answers[0][1]["asyncId"]
    answers.append(answer(_call(http, "results", {"async": batch})))
    for _ in range(4):
        clock.advance(3)
        answers.append(answer(_call(http, "progress", {"async": batch})))
    answers.append(answer(_call(http, "results", {"async": batch})))
    answers.append(answer(_call(http, "progress", {"async": UNKNOWN})))
    return answers


# A job that needs four polls (the shipped jobs three, and 5 s): the recording sees 0, then 75 %.
SLOW = Scenario.from_dict(
    {
        "api": "ivvy",
        "rules": [
            {
                "match": {"action": "slowSync"},
                "response": {"synced": 9},
                "after": {"polls": 4, "seconds": 3},
            }
        ],
    }
)


def test_a_recorded_run_replays_the_same_answers(tmp_path: Path) -> None:
    upstream = [SLOW, *load_scenarios()]
    run = record_and_replay("ivvy", _client, tmp_path, scenarios=upstream)
    statuses = [status for status, _ in run.recorded]
    assert statuses == [200, 400, 200, 200, 200, 200, 200, 404]
    assert run.recorded[1][1]["specificCode"] == 24114
    assert [body["progress"] for _, body in run.recorded[2:6]] == [0, 75, 100, 100]
    assert run.replayed == run.recorded
    for secret in (SECRET, KEY, "IWS "):
        assert secret not in run.text
    assert "x-api-authorization" in run.text  # the file says which header was dropped
