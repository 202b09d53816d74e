"""Runtype API v1, batch part: submit, follow and cancel batch executions, run schedules now,
and page through per-record results.

Wire facts come from Runtype's OpenAPI document and its Python SDK (see README, "Runtype").
What Runtype leaves open (limits, status words, error strings) is mockbatch's choice, listed
in the README and in ``specs/runtype.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qs

from ...provider import Handler, Provider, TestProfile
from .. import Call, Observation, Reply
from . import batches, pages, render
from .errors import error_reply
from .request import authorize
from .scenario import problems
from .wire import TERMINAL

if TYPE_CHECKING:
    from datetime import datetime

    from ...engine import Batch
    from ...errors import ApiError, Problem
    from ...journal import Entry
    from ...lifecycle import Lifecycle
    from ...scenarios import Scenario
    from .record import RuntypeRecorder

_ROUTE = re.compile(
    r"/v1/(?P<what>batch/flow|batch/status|batch/cancel|schedules/batch|schedules/runs)"
    r"(?:/(?P<id>[^/]+))?(?:/results)?$"
)


class RuntypeProvider(Provider):
    """Serves Runtype's batch endpoints from the engine's state."""

    name: ClassVar[str] = "runtype"
    spec_file: ClassVar[str] = "runtype.yaml"
    scenario_file: ClassVar[str | None] = "runtype.yaml"
    profile: ClassVar[TestProfile] = TestProfile(
        headers={"Authorization": "Bearer rt_test"},
        batch_id="batchId",  # the docs' example, complete since 2024
        poll=("GET", "/v1/batch/status/batchId", None),
        error_keys=frozenset({"error"}),  # 401s and 404s add "details"
    )

    def handle(self, call: Call) -> Reply:
        """Check the key first (README: auth, then the parameters, then the ID), then answer."""
        authorize(self.ctx, call)
        return super().handle(call)

    def error(self, error: ApiError) -> Reply:
        """Render ``error`` as ``{"error", "details"?}``."""
        return error_reply(error)

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """Status reads are polls (terminal once the batch is); each results page, by its
        offset, limit and filter, is a results read."""
        found = _ROUTE.search(entry.path)
        if found is None or entry.status is None or entry.status >= 300:
            return None
        what, batch_id = found.group("what"), found.group("id")
        response = entry.response if isinstance(entry.response, dict) else {}
        if what == "batch/flow":
            created = response.get("batchExecutionId")
            return Observation("create", created if isinstance(created, str) else None)
        if what == "batch/status":
            return Observation("poll", batch_id, terminal=response.get("status") in TERMINAL)
        if what == "batch/cancel":
            return Observation("cancel", batch_id)
        if what in ("schedules/batch", "schedules/runs"):
            query = {k: v[0] for k, v in parse_qs(entry.query).items()}
            offset, limit = int(query.get("offset", "0")), int(query.get("limit", "10"))
            status = query.get("status", "")
            more = response.get("pagination", {}).get("hasMore")
            following = f"{offset + limit}:{limit}:{status}" if more else None
            return Observation(
                "results", batch_id, page=f"{offset}:{limit}:{status}", next_page=following
            )
        return None

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """Record inputs, result bodies, batch ``meta``, rule keys and ``options``."""
        return problems(scenario)

    def status_word(self, batch: Batch, now: datetime) -> str:
        """The ``status`` of ``GET /v1/batch/status/{id}`` (``running``, ``completed``...)."""
        return str(render.status_body(batch, now)["status"])

    @classmethod
    def lifecycle(cls) -> Lifecycle:
        """Its flow for ``verify --lifecycle`` (:mod:`.lifecycle`)."""
        from .lifecycle import RuntypeLifecycle

        return RuntypeLifecycle()

    @classmethod
    def recorder(cls) -> RuntypeRecorder:
        """Reads submits, statuses and results pages into a recording (see :mod:`.record`)."""
        from .record import RuntypeRecorder

        return RuntypeRecorder()

    operations: ClassVar[Mapping[str, Handler]] = {
        "getResultsForABatchExecution": pages.batch_results,
        "getResultsForAScheduledRun": pages.run_results,
        "submitABatchFlowExecution": batches.submit,
        "getBatchExecutionStatus": batches.status,
        "cancelABatchExecution": batches.cancel,
        "runAScheduleImmediately": batches.run_now,
    }
