"""schemathesis against the server, per API spec, with every check it has (``--checks all``)
and its stateful phase: nothing may fail but the checks each adapter declares exempt, with the
reason (``verify_exemptions``). In process and over a real socket."""

from __future__ import annotations

import pytest
from profiles import apis

from mockbatch import ServerThread, VirtualClock, create_app
from mockbatch.resources import specs_dir
from mockbatch.verify import Contract, check_names, exemptions, verify

APIS = apis()


def test_every_exemption_names_a_check_and_gives_a_reason() -> None:
    known = set(check_names())
    assert "use_after_free" in known  # the registry holds the OpenAPI checks, not only one
    for api in APIS:
        for check, reason in exemptions(api).items():
            assert check in known, f"{api}: {check!r} is no schemathesis check"
            assert len(reason) > 20, f"{api}: {check!r} needs its reason"


def test_an_unknown_check_name_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match=r"unknown schemathesis check\(s\) \['positive_data'\]"):
        verify(specs_dir() / "ivvy.yaml", "http://127.0.0.1:1/ivvy", exempt=["positive_data"])


@pytest.mark.parametrize("api", APIS)
def test_contract_in_process(api: str) -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    contract = Contract.of(api)

    failures = verify(
        contract.spec, f"http://mockbatch.test/{api}", app=app, exempt=contract.exempt
    )

    assert failures == {}
    assert len(app.state.mock.journal) > 50, "schemathesis sent too few requests to mean anything"
    internal = [e for e in app.state.mock.journal.entries() if e.error]
    assert internal == []


@pytest.mark.parametrize("api", APIS)
def test_contract_over_a_socket(api: str) -> None:
    app = create_app(clock=VirtualClock(), check_responses=True)
    contract = Contract.of(api)
    with ServerThread(app) as server:
        url = f"{server.url}/{api}"
        failures = verify(contract.spec, url, exempt=contract.exempt, max_examples=10)
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
