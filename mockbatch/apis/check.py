"""Check (api.check.ai) verification batches: ``/v1/batch`` and its sub-resources.

Wire facts come from Check's documentation pages (see README, "Check"); the choices the docs
leave open are mockbatch's and listed there. Reads of one batch (``GET /v1/batch/{id}`` and its
``/results``) are polls. Uploaded files are kept as engine batches of their own API name
(``check.files``), so that they live in the engine's state, are cleared by a reset and show in
the control API; the adapter itself holds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs

from ..auth import Verdict, judge
from ..callbacks import CallbackPolicy, Outgoing
from ..engine import Batch, ItemSpec
from ..errors import ApiError, MethodNotAllowed, NotFound, Problem
from ..scenarios import Outcome
from . import NO_BODY, Call, Observation, Reply, frozen_reply
from .check_errors import CheckError, not_found, schema_details, validation_error
from .check_limits import FILE_TTL, MAX_FILE_BYTES, RATE_LIMIT, WINDOW_SECONDS
from .check_render import (
    ACCEPT_THRESHOLD,
    ESCALATE_THRESHOLD,
    FINISHED_BATCH,
    batch_json,
    batch_status,
    iso,
    item_json,
    states_for,
    summary_json,
)
from .check_scenario import scenario_problems
from .check_upload import MalformedBody, ParseFailed, file_part, item_input, parse
from .check_webhooks import SIGNATURE_HEADER, envelope, signature, webhook_settings

if TYPE_CHECKING:
    from ..journal import Entry
    from ..mock import Mock
    from ..scenarios import Scenario
    from ..specs import Spec

FILES = "check.files"  # the engine API name uploaded files are kept under
KEY = re.compile(r"Bearer vfy_[A-Za-z0-9_-]+")
BUILTIN_OUTCOME = Outcome(response={"verdict": "true", "confidence": 0.95})
LIST_LIMIT, RESULTS_LIMIT = 10, 20


_BATCH = re.compile(r"/v1/batch(?:/(?P<id>(?!upload$)[^/]+)(?P<rest>/results|/cancel)?)?$")
_FINISHED = {"completed", "failed", "cancelled"}


FAULT_CODES = {
    429: "rate_limited",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class CheckAdapter:
    """Serves Check's batch endpoints from the engine's state."""

    name: ClassVar[str] = "check"
    # Every response reports the Pro plan's limit (X-RateLimit-*); a scenario's
    # options.rate_limit replaces it (and enforces it unless it says enforce: false).
    default_rate_limit: ClassVar[tuple[int, float]] = (RATE_LIMIT, WINDOW_SECONDS)
    spec_file: ClassVar[str] = "check.yaml"
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # Documented refusals of schema-valid requests, which JSON Schema cannot state.
        "positive_data_acceptance": (
            "documented refusals: acceptThreshold must exceed escalateThreshold, an uploaded"
            " file must parse as CSV or JSON items, a finished batch cannot be cancelled"
        ),
    }
    secret_headers: ClassVar[tuple[str, ...]] = (SIGNATURE_HEADER,)  # webhooks it sends

    def __init__(self, mock: Mock, spec: Spec) -> None:
        self.mock = mock
        self.spec = spec
        self._create_schema = spec.component("CreateBatchRequest")

    # -- requests ---------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        self._authorize(call)
        operation = call.operation.id
        if operation == "createBatch":
            return self._create(call)
        if operation == "uploadBatchFile":
            return self._upload(call)
        declared = {p.name for p in call.operation.parameters if p.location == "query"}
        fields = [
            {"field": v.path, "message": v.message}
            for v in call.violations
            if v.location in ("query", "path")
        ]
        fields += [
            {"field": name, "message": "Unknown query parameter"}
            for name in call.query
            if name not in declared
        ]
        if fields:
            raise validation_error(fields, self._request_id())
        if operation == "listBatches":
            return self._list(call)
        if operation == "getBatch":
            return Reply(200, batch_json(self._poll(call), self._now()))
        if operation == "getBatchResults":
            return self._results(call)
        return self._cancel(call)

    def _authorize(self, call: Call) -> None:
        auth = call.headers.get("authorization")
        key = auth[7:].strip() if auth and auth.lower().startswith("bearer ") else auth
        verdict = judge(
            self.mock.auth(self.name), key, well_formed=bool(auth and KEY.fullmatch(auth))
        )
        if verdict is Verdict.OK:
            return
        if verdict is Verdict.FORBIDDEN:
            message = "This API key may not use the Batch API"
            raise CheckError(403, "forbidden", message, request_id=self._request_id())
        if verdict is Verdict.MISSING:
            message = (
                "API key is required. Include it in the Authorization header as 'Bearer vfy_...'"
            )
        else:
            message = "Invalid API key. Send 'Authorization: Bearer vfy_...' with an active key"
        raise CheckError(401, "unauthorized", message, request_id=self._request_id())

    def _create(self, call: Call) -> Reply:
        body = self._json_body(call)
        fields = schema_details(self._create_schema, body)
        if not fields:
            fields = _threshold_problems(body.get("options") or {})
        if fields:
            raise validation_error(fields, self._request_id())
        if "formal" in (body.get("methods") or {}):
            raise CheckError(403, "forbidden", "The formal method needs an Enterprise plan")
        engine = self.mock.engine
        meta: dict[str, Any] = {
            "name": body.get("name"),
            "methods": body.get("methods") or {},
            "options": body.get("options") or {},
        }
        file = self._file(body["fileId"]) if "fileId" in body else None
        if file is not None:
            inputs = [file.items.spec(i).input for i in range(len(file.items))]
        else:
            inputs = [item_input(item) for item in body["items"]]
        batch_id = "batch_" + engine.ids.next("check.batch")[:12]
        if file is not None:
            file.meta["usedBy"] = batch_id
            meta["fileId"] = file.id
        specs = [self._item(data, i) for i, data in enumerate(inputs)]
        batch = engine.create(self.name, batch_id, specs, meta)
        if self.callback_target(batch):  # the outbox may be idle: it watches the batch from now
            self.mock.outbox.wake()
        created = batch_json(batch, self._now())
        created["message"] = "Batch created successfully. Items are being processed."
        return Reply(202, created)

    def _json_body(self, call: Call) -> dict[str, Any]:
        for v in call.violations:
            if v.location == "header" and v.keyword == "contentType":
                raise self._bad_request("Content-Type must be application/json")
            if v.keyword == "json":
                raise self._bad_request(f"Request body is {v.message}")
        if call.json is NO_BODY:
            raise self._bad_request("Request body is required")
        if not isinstance(call.json, dict):
            fields = [{"field": "body", "message": "Must be an object"}]
            raise validation_error(fields, self._request_id())
        return call.json

    def _file(self, file_id: Any) -> Batch:
        file = self.mock.engine.get(FILES, str(file_id))
        if file is None:
            raise not_found("File")
        if self._now() >= file.created_at + FILE_TTL:
            raise CheckError(404, "not_found", "File has expired (files can be used for 1 hour)")
        if file.meta.get("usedBy"):
            used = file.meta["usedBy"]
            raise CheckError(409, "conflict", f"File was already used by {used}; upload it again")
        return file

    def _item(self, data: dict[str, Any], index: int) -> ItemSpec:
        outcome = self.mock.outcome_for(self.name, data) or BUILTIN_OUTCOME
        return outcome.make(data, index, seed=self.mock.engine.ids.seed)

    def _list(self, call: Call) -> Reply:
        now = self._now()
        limit, offset = _page(call, LIST_LIMIT)
        wanted = call.arg("status")
        batches = list(reversed(self.mock.engine.batches(self.name)))
        batches.sort(key=lambda b: b.created_at, reverse=True)  # newest first, then newest added
        shown = [batch_json(b, now) for b in batches]
        if wanted is not None:
            shown = [b for b in shown if b["status"] == wanted]
        page = shown[offset : offset + limit]
        return Reply(
            200, {"data": page, "pagination": _pagination(len(shown), limit, offset, page)}
        )

    def _results(self, call: Call) -> Reply:
        batch = self._poll(call)
        now = self._now()
        limit, offset = _page(call, RESULTS_LIMIT)
        wanted = call.arg("status")
        states = states_for(wanted, batch) if wanted is not None else None

        def page() -> dict[str, Any]:
            total, indexes = batch.select(now, states, offset, limit)
            items = [item_json(batch, i, now) for i in indexes]
            return {
                "batch": summary_json(batch, now, batch.counts(now)),
                "items": items,
                "pagination": _pagination(total, limit, offset, items),
            }

        return frozen_reply(
            batch, f"results?limit={limit}&offset={offset}&status={wanted}", now, page
        )

    def _cancel(self, call: Call) -> Reply:
        batch = self.mock.engine.get(self.name, call.path_params["id"])
        if batch is None:
            raise not_found()
        now = self._now()
        if batch_status(batch, now, batch.counts(now)) in FINISHED_BATCH:
            raise CheckError(
                400,
                "CANNOT_CANCEL",
                "Cannot cancel batch. Batch not found or already completed/cancelled.",
            )
        self.mock.engine.cancel(batch, running_too=False)
        body = {"id": batch.id, "status": "cancelled", "message": "Batch cancelled successfully"}
        return Reply(200, body)

    def _upload(self, call: Call) -> Reply:
        try:
            part = file_part(call.headers.get("content-type"), call.body)
        except MalformedBody as exc:
            raise self._bad_request(f"Malformed multipart/form-data body: {exc}") from exc
        if part is None:
            message = 'File is required. Use form field name "file".'
            raise CheckError(400, "validation_error", message)
        if len(part.data) > MAX_FILE_BYTES:
            raise CheckError(413, "payload_too_large", "File size exceeds maximum of 10 MB")
        try:
            parsed = parse(part)
        except ParseFailed as exc:
            failure = {"error": "File parsing failed", "validationErrors": exc.errors}
            raise CheckError(400, "parse_failed", "File parsing failed", body=failure) from exc
        engine = self.mock.engine
        token = engine.ids.next("check.file")
        file_id = f"{token[:8]}-{token[8:12]}-4{token[13:16]}-a{token[17:20]}-{token[20:32]}"
        now = self._now()
        meta = {"originalFileName": part.filename, "format": parsed.format, "usedBy": None}
        engine.create(FILES, file_id, [ItemSpec(input=item_input(i)) for i in parsed.items], meta)
        message = "File uploaded successfully"
        if parsed.skipped:
            message = (
                f"File uploaded with {parsed.skipped} validation warning(s). "
                "Items with errors were skipped."
            )
        body: dict[str, Any] = {
            "fileId": file_id,
            "originalFileName": part.filename,
            "format": parsed.format,
            "itemCount": len(parsed.items),
            "validationErrors": parsed.warnings,
            "expiresAt": iso(now + FILE_TTL),
            "message": message,
        }
        return Reply(200, body)

    def _poll(self, call: Call) -> Batch:
        batch = self.mock.engine.poll(self.name, call.path_params["id"])
        if batch is None:
            raise not_found()
        return batch

    def _now(self) -> datetime:
        return self.mock.engine.now()

    def _request_id(self) -> str:
        return "req_" + self.mock.engine.ids.next("check.request")[:12]

    def _bad_request(self, message: str) -> CheckError:
        return CheckError(400, "bad_request", message, request_id=self._request_id())

    # -- errors and scenarios ---------------------------------------------------------------

    def error(self, error: ApiError) -> Reply:
        if isinstance(error, CheckError):
            return Reply(error.status, error.render(), error.headers)
        headers: dict[str, str] = {}
        if isinstance(error, MethodNotAllowed):
            headers["allow"] = ", ".join(error.details.get("allow", []))
            body = {"error": {"code": "method_not_allowed", "message": error.message}}
            return Reply(405, body, headers)
        if isinstance(error, NotFound):
            return Reply(404, {"error": {"code": "not_found", "message": error.message}}, headers)
        if error.status == 413:
            message = "Request body exceeds the server's maximum size"
            return Reply(413, {"error": {"code": "payload_too_large", "message": message}}, headers)
        code = FAULT_CODES.get(error.status)
        if code is not None:  # injected faults, rate limits (Check's documented codes)
            found: dict[str, Any] = {"code": code, "message": error.message}
            if "retry_after" in error.details:
                found["retryAfter"] = error.details["retry_after"]
            return Reply(error.status, {"error": found}, headers)
        body = {"error": {"code": "internal_error", "message": "Internal server error"}}
        return Reply(500, body, headers)

    # -- webhooks (see mockbatch.callbacks and check_webhooks) --------------------------------

    def callback_target(self, batch: Batch) -> str | None:
        """Every batch reports to the scenario's webhook endpoint, unless it was cancelled."""
        settings = webhook_settings(self.mock.options(self.name))
        return settings[0] if settings and batch.cancel is None else None

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        url, secret = webhook_settings(self.mock.options(self.name)) or ("", "")
        now = self._now()
        data = batch_json(batch, now)
        kind = "batch.failed" if data["status"] == "failed" else "batch.completed"
        event_id = "evt_" + self.mock.engine.ids.next("check.event")[:12]
        body = envelope(event_id, kind, now, data)
        headers = {SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body)}
        return Outgoing(self.name, batch.id, kind, url, body, headers)

    def callback_policy(self) -> CallbackPolicy:
        return self.mock.callback_policy(self.name)

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """Reads of a batch are polls, terminal once it finished; results pages are polls
        until then, and afterwards results reads named by offset, limit and filter."""
        found = _BATCH.search(entry.path)
        if found is None or entry.status is None or entry.status >= 300:
            return None
        batch_id, rest = found.group("id"), found.group("rest")
        response = entry.response if isinstance(entry.response, dict) else {}
        if batch_id is None:
            if entry.method != "POST":
                return None
            created = response.get("id")
            return Observation("create", created if isinstance(created, str) else None)
        if rest == "/cancel":
            return Observation("cancel", batch_id)
        if rest == "/results":  # a poll until the batch finished, then a results page
            if response.get("batch", {}).get("status") not in _FINISHED:
                return Observation("poll", batch_id)
            query = {k: v[0] for k, v in parse_qs(entry.query).items()}
            offset, limit = int(query.get("offset", "0")), int(query.get("limit", "20"))
            status = query.get("status", "")
            more = response.get("pagination", {}).get("hasMore")
            return Observation(
                "results",
                batch_id,
                terminal=True,
                page=f"{offset}:{limit}:{status}",
                next_page=f"{offset + limit}:{limit}:{status}" if more else None,
            )
        return Observation("poll", batch_id, terminal=response.get("status") in _FINISHED)

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        return scenario_problems(scenario)


def _page(call: Call, default_limit: int) -> tuple[int, int]:
    limit = call.arg("limit")
    offset = call.arg("offset")
    return (int(limit) if limit else default_limit), (int(offset) if offset else 0)


def _pagination(total: int, limit: int, offset: int, page: list[Any]) -> dict[str, Any]:
    return {"total": total, "limit": limit, "offset": offset, "hasMore": offset + len(page) < total}


def _threshold_problems(options: dict[str, Any]) -> list[dict[str, str]]:
    accept = options.get("acceptThreshold", ACCEPT_THRESHOLD)
    escalate = options.get("escalateThreshold", ESCALATE_THRESHOLD)
    if accept > escalate:
        return []
    message = f"Must be greater than escalateThreshold ({escalate})"
    return [{"field": "options.acceptThreshold", "message": message}]
