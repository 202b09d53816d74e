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

from .. import wirejson
from ..auth import Verdict, judge
from ..engine import ItemState
from ..errors import ApiError, MethodNotAllowed, NotFound, Problem, Violation
from ..resources import specs_dir
from ..specs import Spec
from ..specs import violations as schema_violations
from . import NO_BODY, Call, Observation, Reply, frozen_reply
from .trigger_batches import retrieve_v1, retrieve_v2
from .trigger_create import BatchMaker
from .trigger_pages import list_runs
from .trigger_runs import execution_result, find_run
from .trigger_scenario import scenario_problems
from .trigger_wire import (
    DEFAULT_PAGE_SIZE,
    ITEM_STATE,
    KEY_PREFIXES,
    MAX_CREATE_BODY,
    MAX_LISTED,
    MAX_STREAM_RUNS,
    MAX_TASK_ITEMS,
    MAX_TRIGGER_BODY,
    MAX_V2_ITEMS,
    BatchStatus,
    RunStatus,
    TriggerError,
    environment,
)

if TYPE_CHECKING:
    from ..journal import Entry
    from ..mock import Mock
    from ..scenarios import Scenario

# The 401 bodies per route: (no bearer key, a key that is not a secret key).
BUILDER_AUTH = ("Invalid or Missing API key", "Invalid API key")
AUTH: dict[str, tuple[str, str]] = {
    "createBatch": BUILDER_AUTH,
    "batchTriggerV3": BUILDER_AUTH,
    "batchTriggerV2": BUILDER_AUTH,
    "retrieveBatchV1": BUILDER_AUTH,
    "retrieveBatchV2": BUILDER_AUTH,
    "streamBatchItems": ("Invalid API Key", "Invalid API Key"),
    "getBatchResults": ("Invalid or Missing API Key", "Invalid or Missing API Key"),
    "getRunResult": ("Invalid or Missing API Key", "Invalid or Missing API Key"),
    "listRuns": ("Invalid or Missing API key", "Invalid or Missing API key"),
    "batchTriggerTask": ("Invalid or Missing API key", "Invalid or Missing API key"),
}
NDJSON = ("application/x-ndjson", "application/ndjson")
RETRY_NOT_FOUND = {"x-should-retry": "true"}


_BATCH_READ = re.compile(r"/api/v[12]/batches/(?P<id>[^/]+)(?P<results>/results)?$")
_CREATE = re.compile(r"/api/(v3/batches|v2/tasks/batch|v1/tasks/batch|v1/tasks/[^/]+/batch)$")
_FINISHED = {
    s.value for s in (BatchStatus.COMPLETED, BatchStatus.PARTIAL_FAILED, BatchStatus.ABORTED)
}


PREFIXES = tuple(KEY_PREFIXES)
FORBIDDEN = {"code": "unauthorized", "param": "access_token", "type": "authorization"}


class TriggerAdapter:
    """Serves the batch routes of api.trigger.dev from the engine's state."""

    name: ClassVar[str] = "trigger"
    spec_file: ClassVar[str] = "trigger.yaml"
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # With a valid key, generated batch IDs name no batch: the provider answers items for an
        # unknown (or already sealed) batch with 422, which that check counts as a refusal.
        "positive_data_acceptance": "items for a batch that does not exist are refused (422)",
    }
    secret_headers: ClassVar[tuple[str, ...]] = ()  # a bearer key in Authorization

    def __init__(self, mock: Mock, spec: Spec) -> None:
        self.mock = mock
        self.spec = spec
        self.maker = BatchMaker(mock, self.name, spec.component("BatchItemNDJSON"))

    # -- requests ---------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        operation = call.operation.id
        if operation == "streamBatchItems":
            ctype = call.headers.get("content-type", "")
            if not any(kind in ctype for kind in NDJSON):
                raise TriggerError(
                    415, "Content-Type must be application/x-ndjson or application/ndjson"
                )
        key = self._authenticate(call, AUTH[operation])
        handler = getattr(self, f"_{operation}")
        reply: Reply = handler(call, key)
        return reply

    def _authenticate(self, call: Call, messages: tuple[str, str]) -> str:
        """The route's 401s for a missing or not-a-secret key (a key the scenario does not list,
        in strict mode), the provider's 403 for a forbidden one; off: anything goes."""
        raw = call.headers.get("authorization", "")
        key = raw[len("Bearer ") :] if raw.startswith("Bearer ") else raw
        key = key.strip()
        verdict = judge(self.mock.auth(self.name), key, well_formed=key.startswith(PREFIXES))
        if verdict is Verdict.MISSING:
            raise TriggerError(401, messages[0])
        if verdict in (Verdict.MALFORMED, Verdict.UNKNOWN):
            raise TriggerError(401, messages[1])
        if verdict is Verdict.FORBIDDEN:
            raise TriggerError(403, "Unauthorized", extra=FORBIDDEN)
        return key if key.startswith(PREFIXES) else "tr_dev_" + key

    def _createBatch(self, call: Call, key: str) -> Reply:
        body = self._json_body(call, MAX_CREATE_BODY, lenient=(("runCount", "maximum"),))
        count = body.get("runCount")
        if isinstance(count, int) and count > MAX_STREAM_RUNS:
            raise TriggerError(
                400,
                f"Batch runCount of {count} exceeds maximum allowed of {MAX_STREAM_RUNS}.",
            )
        return self.maker.create(body, self._claims(key))

    def _streamBatchItems(self, call: Call, key: str) -> Reply:
        return self.maker.stream(call.path_params["batchId"], call.body)

    def _batchTriggerV3(self, call: Call, key: str) -> Reply:
        body = self._one_shot_body(call)
        request_key = call.headers.get("x-trigger-request-idempotency-key")
        return self.maker.batch_v2(body, request_key, self._claims(key))

    def _batchTriggerV2(self, call: Call, key: str) -> Reply:
        body = self._one_shot_body(call)
        return self.maker.batch_v1(body, call.headers.get("idempotency-key"), self._claims(key))

    def _batchTriggerTask(self, call: Call, key: str) -> Reply:
        if any(v.location == "header" and v.keyword != "contentType" for v in call.violations):
            raise TriggerError(400, "Invalid headers")
        body = self._parse(call)
        items = body.get("items") if isinstance(body, dict) else None
        broken = _body_violations(call, _ITEM_COUNT)
        if not isinstance(items, list) or broken or body is NO_BODY:
            raise TriggerError(400, "Invalid request body")
        if not items:
            raise TriggerError(400, "No items to trigger")
        if len(items) > MAX_TASK_ITEMS:
            raise TriggerError(
                400, f"Too many items. Maximum allowed batch size is {MAX_TASK_ITEMS}."
            )
        task = call.path_params["taskIdentifier"]
        return self.maker.task_batch(task, body, call.headers.get("idempotency-key"))

    def _retrieveBatchV1(self, call: Call, key: str) -> Reply:
        batch = self.mock.engine.poll(self.name, call.path_params["batchId"])
        if batch is None:
            raise TriggerError(404, "Not found", headers=RETRY_NOT_FOUND)
        return Reply(200, retrieve_v1(batch, self.mock.engine.now()))

    def _retrieveBatchV2(self, call: Call, key: str) -> Reply:
        batch = self.mock.engine.poll(self.name, call.path_params["batchId"])
        if batch is None:
            raise TriggerError(404, "Not found", headers=RETRY_NOT_FOUND)
        return Reply(200, retrieve_v2(batch, self.mock.engine.now()))

    def _getBatchResults(self, call: Call, key: str) -> Reply:
        batch = self.mock.engine.poll(self.name, call.path_params["batchId"])
        if batch is None:
            raise TriggerError(404, "Batch not found")
        now = self.mock.engine.now()

        def results() -> dict[str, Any]:
            finished = (ItemState.SUCCEEDED, ItemState.FAILED, ItemState.CANCELLED)
            _, indexes = batch.select(now, finished, 0, MAX_LISTED)
            items = [execution_result(batch, i, now) for i in indexes]
            return {"id": batch.id, "items": [item for item in items if item]}

        return frozen_reply(batch, "results", now, results)

    def _getRunResult(self, call: Call, key: str) -> Reply:
        found = find_run(self.mock.engine, self.name, call.path_params["runId"])
        result = None
        batch = self.mock.engine.poll(self.name, found[0].id) if found is not None else None
        if found is not None and batch is not None:
            result = execution_result(batch, found[1], self.mock.engine.now())
        if result is None:
            raise TriggerError(404, "Run either doesn't exist or is not finished")
        return Reply(200, result)

    def _listRuns(self, call: Call, key: str) -> Reply:
        problems = [v for v in call.violations if v.location == "query"]
        statuses = _split(call.arg("filter[status]"))
        unknown = [s for s in statuses or [] if s not in RunStatus.__members__]
        if unknown and not any(v.path == "filter[status]" for v in problems):
            message = f"Invalid status values: {', '.join(unknown)}"  # the provider's words
            problems.append(Violation("query", "filter[status]", message, "custom"))
        if problems:
            raise _query_error(problems)
        states = None
        if statuses is not None:
            states = {ITEM_STATE[RunStatus(s)] for s in statuses if RunStatus(s) in ITEM_STATE}
        wanted = call.arg("filter[batch]")
        if wanted:
            batch = self.mock.engine.poll(self.name, wanted)
            batches = [batch] if batch is not None else []
        else:
            batches = self.mock.engine.batches(self.name)
        size = call.arg("page[size]")  # the spec let only digits through
        page = list_runs(
            self.mock.engine,
            self.name,
            batches,
            states=states,
            tasks=_split(call.arg("filter[taskIdentifier]")),
            size=int(size) if size else DEFAULT_PAGE_SIZE,
            after=call.arg("page[after]") or None,
            before=call.arg("page[before]") or None,
            env=environment(key),
        )
        return Reply(200, page)

    # -- bodies -----------------------------------------------------------------------------

    def _one_shot_body(self, call: Call) -> dict[str, Any]:
        body = self._json_body(call, MAX_TRIGGER_BODY, lenient=_ITEM_COUNT)
        count = len(body.get("items", []))
        if count == 0:
            raise TriggerError(400, "Batch cannot be triggered with no items")
        if count > MAX_V2_ITEMS:
            raise TriggerError(
                400,
                f"Batch size of {count} is too large. Maximum allowed batch size is "
                f"{MAX_V2_ITEMS}.",
            )
        return body

    def _json_body(
        self, call: Call, limit: int, *, lenient: tuple[tuple[str, str], ...]
    ) -> dict[str, Any]:
        """The apiBuilder's checks, in its order: size, headers, empty, JSON, body schema.

        The ``(path, keyword)`` violations in ``lenient`` are left to the route, which words
        them its own way.
        """
        length = call.headers.get("content-length", "")
        if not length.isdigit() or int(length) > limit:
            raise TriggerError(413, "Request body too large")
        headers = [
            v for v in call.violations if v.location == "header" and v.keyword != "contentType"
        ]
        if headers:
            raise TriggerError(400, "Headers Error", extra={"details": _details(headers)})
        if not call.body:
            raise TriggerError(400, "Request body is empty")
        body = self._parse(call)
        if body is NO_BODY or (not body and not isinstance(body, (dict, list))):
            raise TriggerError(400, "Invalid JSON")  # JSON.parse failed or gave a falsy value
        if not isinstance(body, dict):
            raise TriggerError(400, f"Validation error: Expected object, received {_kind(body)}")
        problems = _body_violations(call, lenient)
        if problems:
            raise TriggerError(400, _zod_message(problems))
        return body

    def _parse(self, call: Call) -> Any:
        """The JSON body, whatever its content type (as the provider reads it)."""
        if call.json is not NO_BODY:
            return call.json
        try:
            parsed = wirejson.loads(call.body)
        except ValueError:
            return NO_BODY
        where = [*call.operation.pointer, "requestBody", "content", "application/json", "schema"]
        call.violations[:] = [v for v in call.violations if v.location != "body"]
        call.violations.extend(schema_violations(self.spec.validator(where), parsed, "body"))
        return parsed

    def _claims(self, key: str) -> dict[str, str]:
        claims = {"sub": environment(key)["id"], "pub": True}
        return {"x-trigger-jwt-claims": json.dumps(claims, separators=(",", ":"))}

    # -- errors and scenarios ---------------------------------------------------------------

    def error(self, error: ApiError) -> Reply:
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
        return scenario_problems(scenario, _shipped_spec())


_ITEM_COUNT = (("items", "minItems"), ("items", "maxItems"))


@cache
def _shipped_spec() -> Spec:
    return Spec.from_path(specs_dir() / TriggerAdapter.spec_file)


def _body_violations(call: Call, lenient: tuple[tuple[str, str], ...]) -> list[Violation]:
    return [
        v for v in call.violations if v.location == "body" and (v.path, v.keyword) not in lenient
    ]


def _split(value: str | None) -> list[str] | None:
    return [part for part in value.split(",") if part] if value else None


def _details(violations: list[Violation]) -> list[dict[str, Any]]:
    return [
        {"code": v.keyword or "custom", "message": v.message, "path": [v.path] if v.path else []}
        for v in violations
    ]


def _query_error(violations: list[Violation]) -> TriggerError:
    return TriggerError(400, "Query Error", extra={"details": _details(violations)})


def _zod_message(violations: list[Violation]) -> str:
    parts = [f'{v.message} at "{v.path}"' if v.path else v.message for v in violations]
    return "Validation error: " + "; ".join(parts)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number" if isinstance(value, (int, float)) else type(value).__name__
