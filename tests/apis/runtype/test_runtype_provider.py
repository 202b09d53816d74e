"""RuntypeProvider against the Provider contract: its table of handlers and its test profile."""

from __future__ import annotations

import httpx

from mockbatch import VirtualClock, create_app
from mockbatch.apis.runtype import RuntypeProvider
from mockbatch.provider import operation_problems
from mockbatch.resources import specs_dir
from mockbatch.specs import Spec
from mockbatch.transport import InProcessTransport


def test_every_operation_of_the_spec_has_a_handler_and_no_other() -> None:
    spec = Spec.from_path(specs_dir() / RuntypeProvider.spec_file)

    assert operation_problems(RuntypeProvider, spec) == []
    assert len(RuntypeProvider.operations) == len(spec.operations) == 6


def test_the_test_profile_reads_a_finished_batch_of_the_shipped_scenario() -> None:
    profile = RuntypeProvider.profile
    method, path, body = profile.poll
    with httpx.Client(
        transport=InProcessTransport(create_app(clock=VirtualClock(), apis=["runtype"])),
        base_url="http://mock/runtype",
        headers=dict(profile.headers),
    ) as client:
        answer = client.request(method, path, json=body)
        refused = client.get(path, headers={"Authorization": ""})
        unknown = client.get(path.replace(profile.batch_id, "no-such-batch"))

    assert answer.status_code == 200
    assert answer.json()["batchExecutionId"] == profile.batch_id
    assert answer.json()["status"] == "completed"
    assert refused.status_code == 401
    assert set(refused.json()) == set(unknown.json()) == {*profile.error_keys, "details"}
