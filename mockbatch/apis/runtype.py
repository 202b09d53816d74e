"""Runtype API v1, batch part: submit, follow and cancel batch executions, run schedules now,
and page through per-record results.

Wire facts come from Runtype's OpenAPI document and its Python SDK (see README, "Runtype").
What Runtype leaves open (limits, status words, error strings) is mockbatch's choice, listed
in the README and in ``specs/runtype.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs

from ..auth import Verdict, judge
from ..engine import Batch, ItemSpec
from ..errors import ApiError, MethodNotAllowed, NotFound, Problem
from ..scenarios import Outcome
from . import Call, Observation, Reply, frozen_reply
from .runtype_render import BatchStatus, Page, batch_status, results_body, status_body, uuid
from .runtype_request import Detail, RuntypeError, not_found, parse_page, valid_body
from .runtype_scenario import problems

if TYPE_CHECKING:
    from ..journal import Entry
    from ..mock import Mock
    from ..scenarios import Scenario
    from ..specs import Spec

MAX_RECORDS = 50_000
DOCS_KEY = "<apiKey>"  # the docs' curl lines send this placeholder as the key
BUILTIN_OUTCOME = Outcome()  # succeeds at once, with no result


_ROUTE = re.compile(
    r"/v1/(?P<what>batch/flow|batch/status|batch/cancel|schedules/batch|schedules/runs)"
    r"(?:/(?P<id>[^/]+))?(?:/results)?$"
)
_TERMINAL = {BatchStatus.COMPLETED.value, BatchStatus.FAILED.value, BatchStatus.CANCELLED.value}


class RuntypeAdapter:
    """Serves Runtype's batch endpoints from the engine's state."""

    name: ClassVar[str] = "runtype"
    spec_file: ClassVar[str] = "runtype.yaml"
    verify_exemptions: ClassVar[Mapping[str, str]] = {}
    secret_headers: ClassVar[tuple[str, ...]] = ()  # a bearer key in Authorization

    def __init__(self, mock: Mock, spec: Spec) -> None:
        self.mock = mock
        self.spec = spec
        self._handlers: dict[str, Callable[[Call], Reply]] = {
            "getResultsForABatchExecution": self._batch_results,
            "getResultsForAScheduledRun": self._run_results,
            "submitABatchFlowExecution": self._submit,
            "getBatchExecutionStatus": self._status,
            "cancelABatchExecution": self._cancel,
            "runAScheduleImmediately": self._run_now,
        }

    def handle(self, call: Call) -> Reply:
        self._authorize(call)
        handler = self._handlers.get(call.operation.id)
        if handler is None:
            raise NotFound(404, f"{call.operation.id} is not served")
        return handler(call)

    @property
    def options(self) -> dict[str, Any]:
        return self.mock.options(self.name)

    # -- auth ---------------------------------------------------------------------------------

    def _authorize(self, call: Call) -> None:
        """A bearer key (or the bare key, as the docs' curl sends it), judged by the scenario's
        auth mode: ``rt_…`` keys, or the docs' own placeholder ``<apiKey>``; 403 if forbidden."""
        raw = call.headers.get("authorization", "").strip()
        scheme, _, rest = raw.partition(" ")
        key = rest.strip() if scheme.lower() == "bearer" else ("" if rest else raw)
        settings = self.mock.auth(self.name)
        forbidden = (*settings.forbidden, *self.options.get("forbidden_keys", ()))
        settings = replace(settings, forbidden=frozenset(forbidden))
        verdict = judge(settings, key, well_formed=key.startswith("rt_") or key == DOCS_KEY)
        if verdict is Verdict.FORBIDDEN:
            raise RuntypeError(
                403, "Forbidden", Detail("this API key may not access this resource", "FORBIDDEN")
            )
        if verdict is not Verdict.OK:
            reasons = {
                Verdict.MISSING: f"unsupported scheme {scheme!r}" if rest else "no API key",
                Verdict.MALFORMED: "not a Runtype API key (they start with rt_)",
                Verdict.UNKNOWN: "unknown API key",
            }
            raise RuntypeError(
                401,
                "Unauthorized",
                Detail(f"{reasons[verdict]}: send Authorization: Bearer <key>", "UNAUTHORIZED"),
            )

    # -- results ------------------------------------------------------------------------------

    def _batch_results(self, call: Call) -> Reply:
        page = parse_page(call)
        batch_id = call.path_params["batchId"]
        batch = self.mock.engine.poll(self.name, batch_id)
        if batch is None:
            raise not_found("Batch", "batchId", batch_id)
        return self._results(batch, page)

    def _run_results(self, call: Call) -> Reply:
        page = parse_page(call)
        run_id = call.path_params["runId"]
        found = next(
            (b for b in self.mock.engine.batches(self.name) if b.meta.get("runId") == run_id), None
        )
        batch = self.mock.engine.poll(self.name, found.id) if found is not None else None
        if batch is None:
            raise not_found("Run", "runId", run_id)
        return self._results(batch, page)

    def _results(self, batch: Batch, page: Page) -> Reply:
        now = self.mock.engine.now()
        key = f"results?limit={page.limit}&offset={page.offset}&status={page.status}"
        return frozen_reply(batch, key, now, lambda: results_body(batch, page, now))

    # -- batches ------------------------------------------------------------------------------

    def _submit(self, call: Call) -> Reply:
        body = valid_body(call)
        records = [self._known(rid) for rid in body.get("recordIds", [])]
        for inline in body.get("records", []):
            record_id = f"rec_{self.mock.engine.ids.next('runtype.record')[:10]}"
            records.append({**inline, "id": record_id})
        if len(records) > MAX_RECORDS:
            raise RuntypeError(
                400,
                "Too many records",
                Detail(f"{len(records)} records; at most {MAX_RECORDS} per batch", "TOO_MANY"),
            )
        flow_id, flow_name = body.get("flowId"), None
        definition = body.get("flowDefinition")
        if isinstance(definition, Mapping):
            flow_id = f"flow_{self.mock.engine.ids.next('runtype.flow')[:26]}"
            flow_name = definition.get("name") if isinstance(definition.get("name"), str) else None
        meta = {
            "flowId": flow_id,
            "flowName": flow_name or self.options.get("flows", {}).get(flow_id),
            "agentId": body.get("agentId"),
        }
        batch = self._create(records, meta)
        return Reply(200, {"batchExecutionId": batch.id, "status": BatchStatus.QUEUED.value})

    def _status(self, call: Call) -> Reply:
        batch_id = call.path_params["id"]
        batch = self.mock.engine.poll(self.name, batch_id)
        if batch is None:
            raise not_found("Batch", "id", batch_id)
        return Reply(200, status_body(batch, self.mock.engine.now()))

    def _cancel(self, call: Call) -> Reply:
        batch_id = call.path_params["id"]
        batch = self.mock.engine.get(self.name, batch_id)
        if batch is None:
            raise not_found("Batch", "id", batch_id)
        status = batch_status(batch.counts(self.mock.engine.now()), len(batch.items))
        if status not in (BatchStatus.QUEUED, BatchStatus.RUNNING):
            message = f"Batch execution is already {status.value}"
            return Reply(200, {"success": False, "message": message})
        self.mock.engine.cancel(batch, running_too=True)
        return Reply(200, {"success": True, "message": "Batch execution cancelled"})

    def _run_now(self, call: Call) -> Reply:
        schedule_id = call.path_params["id"]
        schedule = next(
            (s for s in self.options.get("schedules", ()) if s["id"] == schedule_id), None
        )
        if schedule is None:
            raise not_found("Schedule", "id", schedule_id)
        target: Mapping[str, Any] = schedule["target"]
        record_type = target.get("recordType")
        records = [r for r in self.options.get("records", ()) if r["type"] == record_type]
        flow_id = target.get("flowId")
        meta = {
            "flowId": flow_id,
            "flowName": self.options.get("flows", {}).get(flow_id),
            "agentId": target.get("agentId"),
            "scheduleId": schedule_id,
            "runId": uuid(self.mock.engine.ids.next("runtype.run")),
        }
        batch = self._create(records, meta)
        return Reply(
            200,
            {
                "status": BatchStatus.QUEUED.value,
                "batchExecutionId": batch.id if record_type is not None else None,
                "runId": meta["runId"],
                "error": None,
            },
        )

    def _create(self, records: list[dict[str, Any]], meta: dict[str, Any]) -> Batch:
        """A new batch with one item per record; each gets the first matching rule's outcome."""
        items: list[ItemSpec] = []
        for i, record in enumerate(records):
            view = {"flowId": meta["flowId"], "agentId": meta["agentId"], "record": record}
            outcome = self.mock.outcome_for(self.name, view) or BUILTIN_OUTCOME
            items.append(outcome.make(view, i, seed=self.mock.engine.ids.seed))
        batch_id = uuid(self.mock.engine.ids.next("runtype.batch"))
        return self.mock.engine.create(self.name, batch_id, items, meta)

    def _known(self, record_id: str) -> dict[str, Any]:
        """A record the scenario's ``options.records`` knows, else one known only by its ID."""
        for record in self.options.get("records", ()):
            if record["id"] == record_id:
                return dict(record)
        return {"id": record_id}

    # -- errors and scenarios -----------------------------------------------------------------

    def error(self, error: ApiError) -> Reply:
        headers: dict[str, str] = {}
        if isinstance(error, RuntypeError):
            status, text, details = error.status, error.message, list(error.items)
        elif isinstance(error, MethodNotAllowed):
            allowed = ", ".join(error.details.get("allow", []))
            status, text = 405, "Method not allowed"
            details = [Detail(f"{error.message}; allowed: {allowed}", "METHOD_NOT_ALLOWED")]
            headers["allow"] = allowed
        elif isinstance(error, NotFound):
            status, text = 404, "Not found"
            details = [Detail(error.message, "NOT_FOUND")]
        elif error.status == 413:
            status, text, details = 413, "Request body too large", [Detail(error.message)]
        elif 400 <= error.status < 600 and error.status != 500:  # injected faults, rate limits
            status, text, details = error.status, error.message, []
        else:
            status, text, details = 500, "Internal server error", []
        body: dict[str, Any] = {"error": text}
        if details:
            body["details"] = [d.to_json() for d in details]
        return Reply(status, body, headers)

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
            return Observation("poll", batch_id, terminal=response.get("status") in _TERMINAL)
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
        return problems(scenario)
