"""Trigger.dev batches, served so that ``@trigger.dev/sdk`` 4.x accepts every response.

Routes, bodies and error strings follow the Trigger.dev webapp (see README, "Trigger.dev");
where the docs and the SDK's response schemas disagree, the SDK wins. Each route checks the
bearer key its own way, with its own 401 body, as the provider does. A *poll* is any request
that reads a batch's state: retrieve (v1, v2), results, a runs list with ``filter[batch]`` and
a run's result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs

from ...engine import Batch, ItemState
from ...errors import ApiError, MethodNotAllowed, NotFound, Problem
from ...provider import Handler, Provider, TestProfile
from ...specs import Spec
from .. import Call, Observation, Reply, frozen_reply
from .auth import BUILDER, LOADER, RESULTS, STREAM, Messages, authenticate
from .batches import retrieve_v1, retrieve_v2, settled
from .batches import status as batch_status
from .checks import json_body, one_shot_body, run_statuses, split, task_batch_body
from .create import BatchMaker
from .pages import list_runs
from .runs import execution_result, find_run
from .scenario import scenario_problems
from .wire import (
    DEFAULT_PAGE_SIZE,
    ITEM_STATE,
    MAX_CREATE_BODY,
    MAX_LISTED,
    MAX_STREAM_RUNS,
    BatchStatus,
    TriggerError,
    environment,
)

if TYPE_CHECKING:
    from datetime import datetime

    from ...context import Context
    from ...journal import Entry
    from ...lifecycle import Lifecycle
    from ...scenarios import Scenario
    from .record import TriggerRecorder

NDJSON = ("application/x-ndjson", "application/ndjson")
RETRY_NOT_FOUND = {"x-should-retry": "true"}
_BATCH_READ = re.compile(r"/api/v[12]/batches/(?P<id>[^/]+)(?P<results>/results)?$")
_CREATE = re.compile(r"/api/(v3/batches|v2/tasks/batch|v1/tasks/batch|v1/tasks/[^/]+/batch)$")
_FINISHED = {
    s.value for s in (BatchStatus.COMPLETED, BatchStatus.PARTIAL_FAILED, BatchStatus.ABORTED)
}


class TriggerProvider(Provider):
    """Serves the batch routes of api.trigger.dev from the engine's state."""

    name: ClassVar[str] = "trigger"
    spec_file: ClassVar[str] = "trigger.yaml"
    scenario_file: ClassVar[str | None] = "trigger.yaml"
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # With a valid key, generated batch IDs name no batch: the provider answers items for an
        # unknown (or already sealed) batch with 422, which that check counts as a refusal.
        "positive_data_acceptance": "items for a batch that does not exist are refused (422)",
    }
    media_types: ClassVar[tuple[str, ...]] = NDJSON  # the batch items stream
    profile: ClassVar[TestProfile] = TestProfile(
        headers={"Authorization": "Bearer tr_dev_mockbatch"},
        batch_id="batch_1234",
        poll=("GET", "/api/v2/batches/batch_1234", None),
        error_keys=frozenset({"error"}),
    )

    def __init__(self, ctx: Context, spec: Spec) -> None:
        super().__init__(ctx, spec)
        self.maker = BatchMaker(ctx, spec.component("BatchItemNDJSON"))

    # -- creating batches -------------------------------------------------------------------

    def _create_batch(self, call: Call) -> Reply:
        key = self._key(call, BUILDER)
        body = json_body(call, self.spec, MAX_CREATE_BODY, lenient=(("runCount", "maximum"),))
        count = body.get("runCount")
        if isinstance(count, int) and count > MAX_STREAM_RUNS:
            raise TriggerError(
                400,
                f"Batch runCount of {count} exceeds maximum allowed of {MAX_STREAM_RUNS}.",
            )
        return self.maker.create(body, _claims(key))

    def _stream_batch_items(self, call: Call) -> Reply:
        ctype = call.headers.get("content-type", "")
        if not any(kind in ctype for kind in NDJSON):  # before the key, as the provider does
            raise TriggerError(
                415, "Content-Type must be application/x-ndjson or application/ndjson"
            )
        self._key(call, STREAM)
        return self.maker.stream(call.path_params["batchId"], call.body)

    def _batch_trigger_v3(self, call: Call) -> Reply:
        key = self._key(call, BUILDER)
        body = one_shot_body(call, self.spec)
        request_key = call.headers.get("x-trigger-request-idempotency-key")
        return self.maker.batch_v2(body, request_key, _claims(key))

    def _batch_trigger_v2(self, call: Call) -> Reply:
        key = self._key(call, BUILDER)
        body = one_shot_body(call, self.spec)
        return self.maker.batch_v1(body, call.headers.get("idempotency-key"), _claims(key))

    def _batch_trigger_task(self, call: Call) -> Reply:
        self._key(call, LOADER)
        body = task_batch_body(call, self.spec)
        task = call.path_params["taskIdentifier"]
        return self.maker.task_batch(task, body, call.headers.get("idempotency-key"))

    # -- reading batches and runs -----------------------------------------------------------

    def _retrieve_batch_v1(self, call: Call) -> Reply:
        self._key(call, BUILDER)
        batch, now = self._polled(call), self.ctx.now()
        return frozen_reply(
            batch, "v1", now, lambda: retrieve_v1(batch, now), final=settled(batch, now)
        )

    def _retrieve_batch_v2(self, call: Call) -> Reply:
        self._key(call, BUILDER)
        batch, now = self._polled(call), self.ctx.now()
        return frozen_reply(
            batch, "v2", now, lambda: retrieve_v2(batch, now), final=settled(batch, now)
        )

    def _get_batch_results(self, call: Call) -> Reply:
        self._key(call, RESULTS)
        batch = self.ctx.poll(call.path_params["batchId"])
        if batch is None:
            raise TriggerError(404, "Batch not found")
        now = self.ctx.now()

        def results() -> dict[str, Any]:
            finished = (ItemState.SUCCEEDED, ItemState.FAILED, ItemState.CANCELLED)
            _, indexes = batch.select(now, finished, 0, MAX_LISTED)
            items = [execution_result(batch, i, now) for i in indexes]
            return {"id": batch.id, "items": [item for item in items if item]}

        return frozen_reply(batch, "results", now, results)

    def _get_run_result(self, call: Call) -> Reply:
        self._key(call, RESULTS)
        found = find_run(self.ctx.batches(), call.path_params["runId"])
        result = None
        batch = self.ctx.poll(found[0].id) if found is not None else None
        if found is not None and batch is not None:
            result = execution_result(batch, found[1], self.ctx.now())
        if result is None:
            raise TriggerError(404, "Run either doesn't exist or is not finished")
        return Reply(200, result)

    def _list_runs(self, call: Call) -> Reply:
        key = self._key(call, LOADER)
        statuses = run_statuses(call)
        states = None
        if statuses is not None:
            states = {ITEM_STATE[s] for s in statuses if s in ITEM_STATE}
        wanted = call.arg("filter[batch]")
        if wanted:
            batch = self.ctx.poll(wanted)
            batches = [batch] if batch is not None else []
        else:
            batches = self.ctx.batches()
        size = call.arg("page[size]")  # the spec let only digits through
        page = list_runs(
            self.ctx,
            batches,
            states=states,
            tasks=split(call.arg("filter[taskIdentifier]")),
            size=int(size) if size else DEFAULT_PAGE_SIZE,
            after=call.arg("page[after]") or None,
            before=call.arg("page[before]") or None,
            env=environment(key),
        )
        return Reply(200, page)

    # -- shared -----------------------------------------------------------------------------

    def _key(self, call: Call, messages: Messages) -> str:
        return authenticate(self.ctx.auth(), call, messages)

    def _polled(self, call: Call) -> Batch:
        """The batch a retrieve names, polled; the provider's retryable 404 when unknown."""
        batch = self.ctx.poll(call.path_params["batchId"])
        if batch is None:
            raise TriggerError(404, "Not found", headers=RETRY_NOT_FOUND)
        return batch

    # -- errors, observations and scenarios -------------------------------------------------

    def error(self, error: ApiError) -> Reply:
        """``{"error": message, ...}``, with the provider's words for the generic errors."""
        if isinstance(error, TriggerError):
            return Reply(error.status, {"error": error.message, **error.details}, error.headers)
        if isinstance(error, MethodNotAllowed):
            allow = ", ".join(error.details.get("allow", []))
            return Reply(405, {"error": "Method not allowed"}, {"allow": allow})
        if isinstance(error, NotFound):
            return Reply(404, {"error": "Not found"})
        if error.status == 413:
            return Reply(413, {"error": "Request body too large"})
        if 400 <= error.status < 600 and error.status != 500:  # injected faults, rate limits
            return Reply(error.status, {"error": error.message})
        return Reply(500, {"error": "Internal Server Error"})

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """Retrieves are polls (terminal once the batch is); the results are one page; each
        ``runs`` list page, named by its cursor, is a results page too."""
        if entry.status is None or entry.status >= 300:
            return None
        response = entry.response if isinstance(entry.response, dict) else {}
        found = _BATCH_READ.search(entry.path)
        if found is not None:
            batch_id, results = found.group("id"), found.group("results")
            if results:
                return Observation("results", batch_id, page="")
            return Observation("poll", batch_id, terminal=response.get("status") in _FINISHED)
        if entry.path.endswith("/api/v1/runs"):
            query = {k: v[0] for k, v in parse_qs(entry.query).items()}
            following = response.get("pagination", {}).get("next")
            return Observation(
                "results",
                query.get("filter[batch]"),
                page=query.get("page[after]", ""),
                next_page=following if isinstance(following, str) else None,
            )
        if entry.method == "POST" and _CREATE.search(entry.path):
            created = response.get("id", response.get("batchId"))
            return Observation("create", created if isinstance(created, str) else None)
        return None

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """Trigger.dev's IDs, tasks, errors, ``meta`` and ``options.abort`` rules."""
        return scenario_problems(scenario, _shipped_spec())

    def status_word(self, batch: Batch, now: datetime) -> str:
        """The ``status`` a batch retrieve answers (``PROCESSING``, ``COMPLETED``...)."""
        return batch_status(batch, now).value

    @classmethod
    def lifecycle(cls) -> Lifecycle:
        """Its flow for ``verify --lifecycle`` (:mod:`.lifecycle`)."""
        from .lifecycle import TriggerLifecycle

        return TriggerLifecycle()

    @classmethod
    def recorder(cls) -> TriggerRecorder:
        """Reads creates, item streams, retrieves, results and run lists into a recording
        (see :mod:`.record`)."""
        from .record import TriggerRecorder

        return TriggerRecorder()

    operations: ClassVar[Mapping[str, Handler]] = {
        "createBatch": _create_batch,
        "streamBatchItems": _stream_batch_items,
        "batchTriggerV3": _batch_trigger_v3,
        "batchTriggerV2": _batch_trigger_v2,
        "batchTriggerTask": _batch_trigger_task,
        "retrieveBatchV1": _retrieve_batch_v1,
        "retrieveBatchV2": _retrieve_batch_v2,
        "getBatchResults": _get_batch_results,
        "getRunResult": _get_run_result,
        "listRuns": _list_runs,
    }


@cache
def _shipped_spec() -> Spec:
    return Spec.from_path(TriggerProvider.data_dirs()[0] / TriggerProvider.spec_file)


def _claims(key: str) -> dict[str, str]:
    """The ``x-trigger-jwt-claims`` header a create answers with: the key's environment."""
    claims = {"sub": environment(key)["id"], "pub": True}
    return {"x-trigger-jwt-claims": json.dumps(claims, separators=(",", ":"))}
