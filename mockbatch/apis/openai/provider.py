"""OpenAI's Files and Batch API, served so that the official SDKs accept every answer.

Routes, bodies and errors follow the service (see README, "OpenAI"); where its docs and the SDK
disagree, the SDK wins. A *poll* is a batch retrieve; each download of an output or error file
is a results page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ApiError, MethodNotAllowed, NotFound, Problem
from ...provider import Handler, Provider, TestProfile
from .. import Call, Observation, Reply, frozen_reply
from . import batches, files, results, webhooks
from .auth import authenticate
from .checks import json_body, query
from .form import parse_form
from .scenario import scenario_problems
from .status import view
from .wire import (
    DEFAULT_BATCHES_LIMIT,
    DEFAULT_FILES_LIMIT,
    TERMINAL,
    OpenAIError,
    Status,
    derived,
    epoch,
)

if TYPE_CHECKING:
    from datetime import datetime

    from ...callbacks import Outgoing
    from ...engine import Batch
    from ...journal import Entry
    from ...lifecycle import Lifecycle
    from ...scenarios import Scenario
    from .record import OpenaiRecorder

_BATCH = re.compile(r"/v1/batches/(?P<id>[^/]+)(?P<cancel>/cancel)?$")
_CONTENT = re.compile(r"/v1/files/[^/]+/content$")
_DISPOSITION = re.compile(r'filename="(?P<batch>[^"]+)_(?P<kind>output|error)\.jsonl"')
_FINISHED = {s.value for s in TERMINAL}


class OpenaiProvider(Provider):
    """Serves ``/v1/files`` and ``/v1/batches`` of api.openai.com from the engine's state."""

    name: ClassVar[str] = "openai"
    spec_file: ClassVar[str] = "openai.yaml"
    scenario_file: ClassVar[str | None] = "openai.yaml"
    media_types: ClassVar[tuple[str, ...]] = ("multipart/form-data",)
    verify_exemptions: ClassVar[Mapping[str, str]] = {}
    profile: ClassVar[TestProfile] = TestProfile(
        headers={"Authorization": "Bearer sk-mockbatch"},
        batch_id="batch_done",
        poll=("GET", "/v1/batches/batch_done", None),
        error_keys=frozenset({"error"}),
    )

    # -- files ------------------------------------------------------------------------------

    def _create_file(self, call: Call) -> Reply:
        self._key(call)
        form = parse_form(call.headers.get("content-type", ""), call.body)
        record = files.upload(self.ctx, form, self.ctx.now())
        return Reply(200, files.info(record).to_json())

    def _list_files(self, call: Call) -> Reply:
        self._key(call)
        query(call)
        purpose = call.arg("purpose")
        listed = [f for f in self._files() if purpose is None or f.purpose == purpose]
        limit = call.arg("limit")
        found = files.page(
            listed,
            after=call.arg("after"),
            limit=int(limit) if limit else DEFAULT_FILES_LIMIT,
            ascending=call.arg("order") == "asc",
        )
        return Reply(200, found)

    def _retrieve_file(self, call: Call) -> Reply:
        self._key(call)
        return Reply(200, self._file(call.path_params["file_id"], sized=True)[0].to_json())

    def _download_file(self, call: Call) -> Reply:
        self._key(call)
        found, batch = self._file(call.path_params["file_id"], sized=False)
        headers = {"content-type": "application/octet-stream"}
        if batch is None:
            record = self.ctx.get(found.id)
            assert record is not None
            return Reply(200, files.content(record), headers)
        now = self.ctx.now()
        kind = "output" if found.id == results.file_id(batch, "output") else "error"
        sent = results.download(batch, now, kind, view(batch, now).status, self.ctx.lock)
        headers["content-disposition"] = f'attachment; filename="{found.filename}"'
        return Reply(200, sent, headers)

    def _delete_file(self, call: Call) -> Reply:
        self._key(call)
        found, batch = self._file(call.path_params["file_id"], sized=False)
        if batch is None:
            record = self.ctx.get(found.id)
            assert record is not None
            self.ctx.set_meta(record, "deleted", True)
        else:
            gone = [*batch.meta.get("deleted", ()), found.id]
            self.ctx.set_meta(batch, "deleted", gone)
        return Reply(200, {"id": found.id, "object": "file", "deleted": True})

    def _files(self) -> list[files.FileInfo]:
        """Every file: uploads, then the output and error files of terminal batches."""
        now = self.ctx.now()
        found = []
        for record in self.ctx.batches():
            if files.is_file(record) and not record.meta.get("deleted"):
                found.append(files.info(record))
            elif batches.is_batch(record):
                found.extend(results.files(record, now, view(record, now)).values())
        return found

    def _file(self, file_id: str, *, sized: bool) -> tuple[files.FileInfo, Batch | None]:
        """A file by ID, and the batch that wrote it (None for an upload); 404 when unknown.
        ``sized``: a big batch's file's ``bytes`` counted if not known yet."""
        record = self.ctx.get(file_id)
        if record is not None and files.is_file(record) and not record.meta.get("deleted"):
            return files.info(record), None
        now = self.ctx.now()
        for batch in self.ctx.batches():
            if batches.is_batch(batch):
                seen = view(batch, now)
                for kind, written in results.files(batch, now, seen, sized=()).items():
                    if written.id == file_id:
                        if sized and written.bytes is None:
                            written = results.files(batch, now, seen, sized=(kind,))[kind]
                        return written, batch
        raise files.not_found(file_id)

    # -- batches ----------------------------------------------------------------------------

    def _create_batch(self, call: Call) -> Reply:
        self._key(call)
        body = json_body(call, own=("endpoint", "completion_window"))
        never = self.ctx.options().get("never_finish", ())
        batch = batches.create(self.ctx, body, never)
        return Reply(200, batches.render(batch, self.ctx.now()))

    def _retrieve_batch(self, call: Call) -> Reply:
        self._key(call)
        batch = self.ctx.poll(call.path_params["batch_id"])
        if batch is None or not batches.is_batch(batch):
            raise batches.batch_not_found(call.path_params["batch_id"])
        now = self.ctx.now()
        # Complete, the object is final once out of the cancelling window (the retrieve after
        # a cancel shows it cancelled); deleting one of its files changes it: in the key.
        key = "retrieve " + ",".join(batch.meta.get("deleted", ()))
        cancel_polls = batch.meta.get("cancel_polls")
        final = cancel_polls is None or batch.polls > cancel_polls
        reply = frozen_reply(batch, key, now, lambda: batches.render(batch, now), final=final)
        if reply.body["status"] == Status.CANCELLED.value:
            self.ctx.wake()  # its webhook waited for this retrieve (see callback_target)
        return reply

    def _cancel_batch(self, call: Call) -> Reply:
        self._key(call)
        batch = self.ctx.get(call.path_params["batch_id"])
        if batch is None or not batches.is_batch(batch):
            raise batches.batch_not_found(call.path_params["batch_id"])
        now = self.ctx.now()
        batches.cancel(self.ctx, batch, now)
        return Reply(200, batches.render(batch, now))

    def _list_batches(self, call: Call) -> Reply:
        self._key(call)
        query(call)
        limit = call.arg("limit")
        listed = [b for b in self.ctx.batches() if batches.is_batch(b)]
        found = batches.page(
            listed,
            self.ctx.now(),
            after=call.arg("after"),
            limit=int(limit) if limit else DEFAULT_BATCHES_LIMIT,
        )
        return Reply(200, found)

    def _key(self, call: Call) -> str:
        return authenticate(self.ctx.auth(), call)

    # -- webhooks ---------------------------------------------------------------------------

    def callback_target(self, batch: Batch) -> str | None:
        """The scenario's ``options.webhook.url``, for batches (not files); a cancelled batch's
        event waits for the retrieve that first shows it ``cancelled``."""
        found = webhooks.settings(self.ctx.options())
        if found is None or not batches.is_batch(batch):
            return None
        if view(batch, self.ctx.now()).status is Status.CANCELLING:
            return None
        return found[0]

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        """``batch.<status>``, signed with ``options.webhook.secret``."""
        from ...callbacks import Outgoing

        url, secret = webhooks.settings(self.ctx.options()) or ("", "")
        now = self.ctx.now()
        seen = view(batch, now)
        event_id = "evt_" + derived(batch.id, "event")[:32]
        body = webhooks.event(event_id, seen.status.value, epoch(now), batch.id)
        signed = webhooks.headers(secret, event_id, body)
        return Outgoing(self.name, batch.id, f"batch.{seen.status.value}", url, body, signed)

    # -- errors, observations and scenarios -------------------------------------------------

    def error(self, error: ApiError) -> Reply:
        """``{"error": {"message", "type", "param", "code"}}``."""
        if isinstance(error, OpenAIError):
            return Reply(error.status, error.body(), dict(error.headers))
        if isinstance(error, MethodNotAllowed):
            allow = ", ".join(error.details.get("allow", []))
            message = "Method not allowed for this URL."
            return Reply(405, _error(message, "invalid_request_error"), {"allow": allow})
        if isinstance(error, NotFound):
            return Reply(404, _error("Invalid URL: no such route.", "invalid_request_error"))
        if error.status == 413:
            return Reply(413, _error("The request body is too large.", "invalid_request_error"))
        if error.status == 429:
            return Reply(429, _error(error.message, "requests", "rate_limit_exceeded"))
        if 400 <= error.status < 600 and error.status != 500:  # injected faults
            return Reply(error.status, _error(error.message, "server_error"))
        return Reply(
            500, _error("The server had an error processing your request.", "server_error")
        )

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """A batch retrieve is a poll (terminal at completed, failed, expired, cancelled); a
        download of an output or error file is a results page, named by its kind."""
        if entry.status is None or entry.status >= 300:
            return None
        path = entry.path.split("?")[0]
        found = _BATCH.search(path)
        if found is not None and entry.method == "GET":
            response = entry.response if isinstance(entry.response, dict) else {}
            terminal = response.get("status") in _FINISHED
            return Observation("poll", found.group("id"), terminal=terminal)
        if found is not None:
            return Observation("cancel", found.group("id"))
        if entry.method == "GET" and _CONTENT.search(path):
            written = _DISPOSITION.search(entry.response_headers.get("content-disposition", ""))
            if written is not None:
                return Observation("results", written.group("batch"), page=written.group("kind"))
            return None
        if entry.method == "POST" and path.endswith("/v1/batches"):
            created = entry.response.get("id") if isinstance(entry.response, dict) else None
            return Observation("create", created if isinstance(created, str) else None)
        return None

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """OpenAI's options (``webhook``, ``never_finish``) and rule fields."""
        return scenario_problems(scenario)

    def status_word(self, batch: Batch, now: datetime) -> str:
        """The ``status`` a batch retrieve answers (``validating``, ``in_progress``...); a
        file record's is the engine's."""
        if not batches.is_batch(batch):
            return super().status_word(batch, now)
        return view(batch, now).status.value

    @classmethod
    def lifecycle(cls) -> Lifecycle:
        """Its flow for ``verify --lifecycle`` (:mod:`.lifecycle`)."""
        from .lifecycle import OpenaiLifecycle

        return OpenaiLifecycle()

    @classmethod
    def recorder(cls) -> OpenaiRecorder:
        """Reads uploads, batches and their output and error files into a recording (see
        :mod:`.record`)."""
        from .record import OpenaiRecorder

        return OpenaiRecorder()

    operations: ClassVar[Mapping[str, Handler]] = {
        "createFile": _create_file,
        "listFiles": _list_files,
        "retrieveFile": _retrieve_file,
        "downloadFile": _download_file,
        "deleteFile": _delete_file,
        "createBatch": _create_batch,
        "retrieveBatch": _retrieve_batch,
        "cancelBatch": _cancel_batch,
        "listBatches": _list_batches,
    }


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
