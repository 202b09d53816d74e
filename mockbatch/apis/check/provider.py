"""Check (api.check.ai) verification batches: ``/v1/batch`` and its sub-resources.

Wire facts come from Check's documentation pages (see README, "Check"); the choices the docs
leave open are mockbatch's and listed there. The key is checked first, on every route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qs

from ...callbacks import Outgoing
from ...provider import Handler, Provider, TestProfile
from .. import Call, Observation, Reply
from . import batches
from .errors import error_reply
from .files import Files
from .limits import RATE_LIMIT, WINDOW_SECONDS
from .render import batch_json, batch_status
from .request import authorize, check_parameters, json_body
from .scenario import scenario_problems
from .webhooks import SIGNATURE_HEADER, envelope, signature, webhook_settings

if TYPE_CHECKING:
    from datetime import datetime

    from ...context import Context
    from ...engine import Batch
    from ...errors import ApiError, Problem
    from ...journal import Entry
    from ...lifecycle import Lifecycle
    from ...scenarios import Scenario
    from ...specs import Spec
    from .record import CheckRecorder

_BATCH = re.compile(r"/v1/batch(?:/(?P<id>(?!upload$)[^/]+)(?P<rest>/results|/cancel)?)?$")
_FINISHED = {"completed", "failed", "cancelled"}


class CheckProvider(Provider):
    """Serves Check's batch endpoints from the engine's state."""

    name: ClassVar[str] = "check"
    spec_file: ClassVar[str] = "check.yaml"
    scenario_file: ClassVar[str | None] = "check.yaml"
    # Every response reports the Pro plan's limit (X-RateLimit-*); a scenario's
    # options.rate_limit replaces it (and enforces it unless it says enforce: false).
    default_rate_limit: ClassVar[tuple[int, float] | None] = (RATE_LIMIT, WINDOW_SECONDS)
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # Documented refusals of schema-valid requests, which JSON Schema cannot state.
        "positive_data_acceptance": (
            "documented refusals: acceptThreshold must exceed escalateThreshold, an uploaded"
            " file must parse as CSV or JSON items, a finished batch cannot be cancelled"
        ),
    }
    secret_headers: ClassVar[tuple[str, ...]] = (SIGNATURE_HEADER,)  # webhooks it sends
    profile: ClassVar[TestProfile] = TestProfile(
        headers={"authorization": "Bearer vfy_test"},
        batch_id="batch_abc123def456",  # the docs' results example, complete since 2024
        poll=("GET", "/v1/batch/batch_abc123def456", None),
        error_keys=frozenset({"error"}),
    )

    def __init__(self, ctx: Context, spec: Spec) -> None:
        super().__init__(ctx, spec)
        self._create_schema = spec.component("CreateBatchRequest")
        self.files = Files(ctx)

    def handle(self, call: Call) -> Reply:
        """Check the key first (README, "Errors": it is checked before anything), then answer."""
        authorize(self.ctx, call)
        return super().handle(call)

    def error(self, error: ApiError) -> Reply:
        """Render ``error`` as ``{"error": {"code", "message", "details"?, "requestId"?}}``."""
        return error_reply(error)

    # -- operations ---------------------------------------------------------------------------

    def _create_batch(self, call: Call) -> Reply:
        body = json_body(self.ctx, call)
        batches.check_create(self.ctx, self._create_schema, body)
        batch = batches.create(self.ctx, self.files, body)
        if self.callback_target(batch):  # the outbox may be idle: it watches the batch from now
            self.ctx.wake()
        return batches.created(batch, self.ctx.now())

    def _upload_batch_file(self, call: Call) -> Reply:
        return self.files.upload(call)

    def _list_batches(self, call: Call) -> Reply:
        check_parameters(self.ctx, call)
        return batches.list_batches(self.ctx, call)

    def _get_batch(self, call: Call) -> Reply:
        check_parameters(self.ctx, call)
        return batches.get(self.ctx, call)

    def _get_batch_results(self, call: Call) -> Reply:
        check_parameters(self.ctx, call)
        return batches.results(self.ctx, call)

    def _cancel_batch(self, call: Call) -> Reply:
        check_parameters(self.ctx, call)
        return batches.cancel(self.ctx, call)

    # -- webhooks (see mockbatch.callbacks and .webhooks) -------------------------------------

    def callback_target(self, batch: Batch) -> str | None:
        """Every batch reports to the scenario's webhook endpoint, unless it was cancelled."""
        settings = webhook_settings(self.ctx.options())
        return settings[0] if settings and batch.cancel is None else None

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        """A signed ``batch.completed`` (or ``batch.failed``) event with the batch as data."""
        url, secret = webhook_settings(self.ctx.options()) or ("", "")
        now = self.ctx.now()
        data = batch_json(batch, now)
        kind = "batch.failed" if data["status"] == "failed" else "batch.completed"
        event_id = "evt_" + self.ctx.ids.next("check.event")[:12]
        body = envelope(event_id, kind, now, data)
        headers = {SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body)}
        return Outgoing(self.name, batch.id, kind, url, body, headers)

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
        """Check's own rules for a scenario (batch IDs, inputs, verdicts, meta, options)."""
        return scenario_problems(scenario)

    def status_word(self, batch: Batch, now: datetime) -> str:
        """The ``status`` a batch read answers (``pending``, ``processing``...)."""
        return batch_status(batch, now, batch.counts(now))

    @classmethod
    def lifecycle(cls) -> Lifecycle:
        """Its flow for ``verify --lifecycle`` (:mod:`.lifecycle`)."""
        from .lifecycle import CheckLifecycle

        return CheckLifecycle()

    @classmethod
    def recorder(cls) -> CheckRecorder:
        """Reads creates, batch objects and results pages into a recording (uploads are
        not replayed: see :mod:`.record`)."""
        from .record import CheckRecorder

        return CheckRecorder()

    operations: ClassVar[Mapping[str, Handler]] = {
        "createBatch": _create_batch,
        "uploadBatchFile": _upload_batch_file,
        "listBatches": _list_batches,
        "getBatch": _get_batch,
        "getBatchResults": _get_batch_results,
        "cancelBatch": _cancel_batch,
    }
