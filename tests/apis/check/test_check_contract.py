"""schemathesis against Check with a ``vfy_`` key, over a real socket, so that generated requests
get past auth and reach validation and the batches (``tests/test_contract.py`` runs the keyless
half, in process and over a socket)."""

from __future__ import annotations

from collections import Counter

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.journal import Entry, mask
from mockbatch.resources import specs_dir
from mockbatch.verify import exemptions, verify

SPEC = specs_dir() / "check.yaml"
HEADERS = {"Authorization": "Bearer vfy_contract"}


def assert_meaningful(entries: list[Entry]) -> None:
    """Most requests were authorised and the run reached every kind of answer."""
    __tracebackhide__ = True
    statuses = Counter(
        e.status
        for e in entries
        if e.headers.get("authorization") == mask(HEADERS["Authorization"])
    )
    assert sum(statuses.values()) > 100
    assert {200, 202, 400, 404, 422} <= set(statuses)
    assert [e.error for e in entries if e.error] == []
    broken = [
        (e.path, e.status, v) for e in entries for v in e.violations if v.location == "response"
    ]
    assert broken == []


def test_contract_with_a_key_over_a_socket() -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    with ServerThread(app) as server:
        failures = verify(SPEC, f"{server.url}/check", headers=HEADERS, exempt=exemptions("check"))

    assert failures == {}
    assert_meaningful(app.state.mock.journal.entries())
