"""schemathesis against the server, per API spec: no 5xx, every response conforms, invalid
requests refused. In process and over a real socket."""

from __future__ import annotations

import pytest

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.resources import specs_dir
from mockbatch.verify import CHECKS, EXEMPT, verify

APIS = ["ivvy", "trigger", "runtype", "check"]


def _checks(api: str) -> list[str]:
    return [c for c in CHECKS if c not in EXEMPT.get(api, {})]


@pytest.mark.parametrize("api", APIS)
def test_contract_in_process(api: str) -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    spec = specs_dir() / f"{api}.yaml"

    failures = verify(spec, f"http://mockbatch.test/{api}", app=app, checks=_checks(api))

    assert failures == {}
    assert len(app.state.mock.journal) > 50, "schemathesis sent too few requests to mean anything"
    internal = [e for e in app.state.mock.journal.entries() if e.error]
    assert internal == []


@pytest.mark.parametrize("api", APIS)
def test_contract_over_a_socket(api: str) -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    with ServerThread(app) as server:
        failures = verify(specs_dir() / f"{api}.yaml", f"{server.url}/{api}", checks=_checks(api))
    assert failures == {}
    broken = [
        (e.path, e.status, v)
        for e in app.state.mock.journal.entries()
        for v in e.violations
        if v.location == "response"
    ]
    assert broken == []


def test_verify_catches_a_server_that_breaks_the_contract() -> None:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def wrong(_: object) -> JSONResponse:
        return JSONResponse({"progress": "half"})  # 200 for anything, with a body off-spec

    broken = Starlette(routes=[Route("/ivvy/api/1.0/batch", wrong, methods=["POST"])])

    failures = verify(
        specs_dir() / "ivvy.yaml", "http://broken.test/ivvy", app=broken, max_examples=5
    )

    checks = {name.split(":")[0] for names in failures.values() for name in names}
    assert "response_schema_conformance" in checks
    assert "negative_data_rejection" in checks
