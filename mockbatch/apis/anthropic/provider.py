"""Anthropic Message Batches, served so that the official SDKs accept every answer.

Routes, bodies and error types follow the Message Batches API (see README, "Anthropic Message
Batches"); where the docs and the Python SDK 2.16 disagree, the SDK wins. A *poll* is a
retrieve; results are one page, downloaded from the ``results_url`` the batch names, an
absolute URL on the mock's own host and prefix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from ...engine import Batch
from ...errors import ApiError, MethodNotAllowed, NotFound, Problem
from ...provider import Handler, Provider, TestProfile
from ...specs import MISSING, Memo
from .. import Call, Observation, Reply, frozen_reply, kept_reply
from .auth import authenticate, sent_key
from .batches import CANCEL_POLLS, DELETED, lifecycle, render
from .checks import create_requests
from .create import create_batch
from .pages import list_page
from .results import results_file
from .scenario import scenario_problems
from .wire import ARCHIVE, AnthropicError, Status, error_body, error_type, request_id

if TYPE_CHECKING:
    from datetime import datetime

    from ...auth import AuthSettings
    from ...journal import Entry
    from ...lifecycle import Lifecycle
    from ...scenarios import Scenario
    from .record import AnthropicRecorder

JSONL = "application/x-jsonl"
ORGANIZATION = "00000000-0000-4000-8000-00006d6f636b"  # anthropic-organization-id, fixed
_BATCH = re.compile(r"/v1/messages/batches/(?P<id>[^/]+)(?P<action>/results|/cancel)?$")
_HOSTS = Memo(size=256)  # Host header -> the host the mock's URLs show
_PASSED = Memo(size=256)  # the headers a passing check read -> (its settings, the version)
VERSION = "anthropic-version"
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


class AnthropicProvider(Provider):
    """Serves the Message Batches API of api.anthropic.com from the engine's state."""

    name: ClassVar[str] = "anthropic"
    spec_file: ClassVar[str] = "anthropic.yaml"
    scenario_file: ClassVar[str | None] = "anthropic.yaml"
    secret_headers: ClassVar[tuple[str, ...]] = ("x-api-key",)
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # Valid requests are refused by state, whatever their shape: cancel of an ended batch,
        # delete of a running one, results before the end (400); and JSON with lone
        # surrogates, which the schema allows and the mock refuses (400).
        "positive_data_acceptance": "state refusals (cancel ended, delete running, results"
        " before the end) and lone surrogates in JSON are 400 for schema-valid requests",
    }
    profile: ClassVar[TestProfile] = TestProfile(
        headers={"x-api-key": "sk-ant-mockbatch", "anthropic-version": "2023-06-01"},
        batch_id="msgbatch_01example",
        poll=("GET", "/v1/messages/batches/msgbatch_01example", None),
        error_keys=frozenset({"type", "error", "request_id"}),
    )

    def handle(self, call: Call) -> Reply:
        """The handler's answer, with the headers the service sends on every answer."""
        reply = super().handle(call)
        reply.headers.update(self._headers())
        return reply

    # -- the routes ---------------------------------------------------------------------------

    def _create(self, call: Call) -> Reply:
        version = self._check(call)
        batch = create_batch(self.ctx, create_requests(call), version)
        return Reply(200, render(batch, self.ctx.now(), _base(call)))

    def _retrieve(self, call: Call) -> Reply:
        self._check(call)
        batch = self._visible(self.ctx.poll(call.path_params["message_batch_id"]), call)
        now, base = self.ctx.now(), _base(call)
        # Ended, the object changes only with the URL it is read at and when it is archived;
        # a body kept is an ended batch's, so it is looked up before the lifecycle is worked out.
        key = f"retrieve {base} {now >= _archived_at(batch)}"
        kept = kept_reply(batch, key)
        if kept is not None:
            return kept
        ended = lifecycle(batch, now).status is Status.ENDED
        return frozen_reply(batch, key, now, lambda: render(batch, now, base), final=ended)

    def _list(self, call: Call) -> Reply:
        self._check(call)
        now, base = self.ctx.now(), _base(call)
        return Reply(200, list_page(call, self.ctx.batches(), lambda b: render(b, now, base)))

    def _cancel(self, call: Call) -> Reply:
        self._check(call)
        batch = self._found(call)
        life = lifecycle(batch, self.ctx.now())
        if life.status is Status.ENDED:
            raise AnthropicError(400, f"Batch {batch.id} has already ended and cannot be canceled")
        if life.status is Status.IN_PROGRESS:
            self.ctx.cancel(batch, running_too=True)
            self.ctx.set_meta(batch, CANCEL_POLLS, batch.polls)
        return Reply(200, render(batch, self.ctx.now(), _base(call)))

    def _delete(self, call: Call) -> Reply:
        self._check(call)
        batch = self._found(call)
        if lifecycle(batch, self.ctx.now()).status is not Status.ENDED:
            raise AnthropicError(
                400, f"Batch {batch.id} cannot be deleted until it has ended; cancel it first"
            )
        self.ctx.set_meta(batch, DELETED, True)
        return Reply(200, {"id": batch.id, "type": "message_batch_deleted"})

    def _results(self, call: Call) -> Reply:
        self._check(call)
        batch = self._found(call)
        now = self.ctx.now()
        life = lifecycle(batch, now)
        if life.status is not Status.ENDED:
            raise AnthropicError(
                400, f"Batch {batch.id} has not ended yet; results are available once it has"
            )
        if life.archived_at is not None:
            raise AnthropicError(404, f"The results of batch {batch.id} have been archived")
        return Reply(200, results_file(batch, now, life, self.ctx.lock), {"content-type": JSONL})

    # -- shared -------------------------------------------------------------------------------

    def _check(self, call: Call) -> str:
        """The key and version checks; the version the request speaks (a passing check is
        remembered by the headers it reads, while the auth settings stay the same)."""
        settings, headers = self.ctx.auth(), call.headers
        sent = (headers.get("x-api-key"), headers.get("authorization"), headers.get(VERSION))
        kept: tuple[AuthSettings, str] = _PASSED.find(sent)
        if kept is not MISSING and kept[0] is settings:
            return kept[1]
        version = authenticate(settings, headers)
        _PASSED.keep(sent, (settings, version))  # a new mock's settings replace the old
        return version

    def _found(self, call: Call) -> Batch:
        return self._visible(self.ctx.get(call.path_params["message_batch_id"]), call)

    @staticmethod
    def _visible(batch: Batch | None, call: Call) -> Batch:
        if batch is None or batch.meta.get(DELETED):
            wanted = call.path_params["message_batch_id"]
            raise AnthropicError(404, f"No message batch found with id '{wanted}'")
        return batch

    def _headers(self) -> dict[str, str]:
        return {
            "request-id": request_id(self.ctx.ids.seed, self.ctx.ids.count("request")),
            "anthropic-organization-id": ORGANIZATION,
        }

    # -- errors, keys, observations and scenarios ---------------------------------------------

    def error(self, error: ApiError) -> Reply:
        """``{"type": "error", "error": {"type", "message"}, "request_id"}``, with the
        documented type for the status."""
        headers = self._headers()
        status, message = error.status, error.message
        kind = error.details.get("type") if isinstance(error, AnthropicError) else None
        if isinstance(error, MethodNotAllowed):
            allow = ", ".join(error.details.get("allow", []))
            headers["allow"] = allow
            message = f"Method not allowed; this path takes {allow}"
        elif isinstance(error, NotFound):
            message = "Not found"
        elif status == 413 and kind is None:
            message = "Request exceeds the maximum allowed number of bytes"
        elif not 400 <= status < 600:
            status, message = 500, "Internal server error"
        elif status in (500, 529) and kind is None:
            message = "Internal server error" if status == 500 else "Overloaded"
        kind = kind if isinstance(kind, str) else error_type(status)
        return Reply(status, error_body(kind, message, headers["request-id"]), headers)

    def api_key(self, headers: Mapping[str, str]) -> str:
        """``x-api-key``, else the bearer token."""
        return sent_key(headers) or "anonymous"

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """A retrieve is a poll (terminal once ``ended``); a results download is the one
        results page; creates and cancels are named."""
        if entry.status is None or entry.status >= 300:
            return None
        response = entry.response if isinstance(entry.response, dict) else {}
        found = _BATCH.search(entry.path)
        if found is not None:
            batch_id, action = found.group("id"), found.group("action")
            if action == "/results" and entry.method == "GET":
                return Observation("results", batch_id, page="")
            if action == "/cancel" and entry.method == "POST":
                return Observation("cancel", batch_id)
            if action is None and entry.method == "GET":
                ended = response.get("processing_status") == Status.ENDED.value
                return Observation("poll", batch_id, terminal=ended)
            return None
        if entry.method == "POST" and entry.path.endswith("/v1/messages/batches"):
            created = response.get("id")
            return Observation("create", created if isinstance(created, str) else None)
        return None

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """Anthropic's batch IDs, requests, results and match keys."""
        return scenario_problems(scenario)

    def status_word(self, batch: Batch, now: datetime) -> str:
        """The ``processing_status`` a retrieve answers; ``deleted`` once deleted (a retrieve
        then answers 404)."""
        return "deleted" if batch.meta.get(DELETED) else lifecycle(batch, now).status.value

    @classmethod
    def lifecycle(cls) -> Lifecycle:
        """Its flow for ``verify --lifecycle`` (:mod:`.lifecycle`)."""
        from .lifecycle import AnthropicLifecycle

        return AnthropicLifecycle()

    @classmethod
    def recorder(cls) -> AnthropicRecorder:
        """Reads creates, retrieves and results files into a recording (see :mod:`.record`)."""
        from .record import AnthropicRecorder

        return AnthropicRecorder()

    operations: ClassVar[Mapping[str, Handler]] = {
        "createMessageBatch": _create,
        "retrieveMessageBatch": _retrieve,
        "listMessageBatches": _list,
        "cancelMessageBatch": _cancel,
        "deleteMessageBatch": _delete,
        "getMessageBatchResults": _results,
    }


def _archived_at(batch: Batch) -> datetime:
    """When the batch's results are archived (worked out once)."""
    found: datetime | None = batch.cache.get("archived_at")
    if found is None:
        found = batch.cache["archived_at"] = batch.created_at + ARCHIVE
    return found


def _base(call: Call) -> str:
    """The mock's own URL for this API, from the request's Host and the mount's prefix."""
    host = call.headers.get("host", "")
    shown: str = _HOSTS.find(host)
    if shown is MISSING:  # checked once per Host: clients send the same one every time
        shown = _HOSTS.keep(host, host if _HOST.fullmatch(host) else "127.0.0.1")
    return f"http://{shown}{call.prefix}"
