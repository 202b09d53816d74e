"""How ``mockbatch record`` reads OpenAI's answers: an upload is a file (its request lines read
from the form), a batch create makes a batch of its input file's lines, a retrieve is a poll,
and the output and error files give each request's outcome, matched by ``custom_id``.

Uploads and batches are both written ``on_create``, in the order the client made them: the
mock makes both through the same ``create``, so a replayed upload gets the recorded file's ID
and a replayed batch the recorded batch's. The requests that ``request_counts`` first counted
at a poll finish at that poll (succeeded ones in input order for ``completed``, failed ones for
``failed``); the batch's last item is its finalizing step (``{finalize: true}``, the mock's
own), done at the poll that first saw it ``completed``; its ``meta.validated`` is the poll
that first saw it past ``validating`` (see status.validation). A response body is replayed as
the provider gave it, but for its ``created``/``created_at`` (the mock's clock); line and
request IDs are the mock's (derived from the batch ID). Refusals the mock makes by itself for
the same request (400, 409, and 404 for an ID the recording never saw) are replayed as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ... import wirejson
from ...record.book import Book, Exchange, RecordedBatch, RecordedItem, Recorder
from .form import parse_form
from .inputs import spans
from .results import UNRUN
from .status import VALIDATED_META
from .wire import OpenAIError, Status

Moment = tuple[int, float]
FINALIZE = {"finalize": True}  # the input of a batch's finalizing step (inputs.finalizer)
MOVING = ("created", "created_at")  # a response body's times: the mock's clock makes them
PAST_VALIDATION = frozenset(
    {Status.IN_PROGRESS.value, Status.FINALIZING.value, Status.COMPLETED.value}
)
UNRUN_CODES = frozenset(code for code, _ in UNRUN.values())


@dataclass(slots=True)
class _Run:
    """What the answers told of one batch."""

    lines: list[Any]  # its input file's request lines (parsed; None for a line that is not)
    polls: list[tuple[Moment, str, int, int]] = field(default_factory=list)  # status, counts
    outcomes: dict[str, tuple[bool | None, Any]] = field(default_factory=dict)  # by custom_id


class OpenaiRecorder(Recorder):
    """Reads uploads, batch creates, retrieves and output/error file downloads into the book."""

    def __init__(self) -> None:
        self._files: dict[str, list[Any]] = {}  # uploaded file -> its lines
        self._runs: dict[str, _Run] = {}
        self._written: dict[str, str] = {}  # output or error file -> its batch

    def read(self, exchange: Exchange, book: Book) -> bool:
        if not exchange.ok:
            return self._refused(exchange, book)
        answer = exchange.json_answer()
        handler = self._handlers().get(exchange.operation)
        return handler(exchange, answer, book) if handler is not None else False

    def _handlers(self) -> dict[str, Callable[[Exchange, dict[str, Any], Book], bool]]:
        return {
            "createFile": self._uploaded,
            "createBatch": self._created,
            "retrieveBatch": self._polled,
            "downloadFile": self._downloaded,
            "retrieveFile": lambda e, a, b: self._known(e.path_params.get("file_id"), b),
            "deleteFile": lambda e, a, b: True,
            "cancelBatch": lambda e, a, b: True,
            "listFiles": self._listed,
            "listBatches": self._listed,
        }

    def _refused(self, exchange: Exchange, book: Book) -> bool:
        """Whether the mock refuses the same request the same way by itself."""
        if exchange.status == 404:
            wanted = exchange.path_params.get("batch_id") or exchange.path_params.get("file_id")
            return not self._known(wanted, book)
        return exchange.status in (400, 409)

    def _known(self, some_id: str | None, book: Book) -> bool:
        return some_id in book.batches or some_id in self._written

    def _uploaded(self, exchange: Exchange, answer: dict[str, Any], book: Book) -> bool:
        file_id = answer.get("id")
        if not isinstance(file_id, str):
            return False
        try:
            data = parse_form(exchange.content_type, exchange.raw).data or b""
        except OpenAIError:
            data = b""
        self._files[file_id] = [_parse(data[start:end]) for _, start, end in spans(data)]
        record = book.created(file_id)
        record.meta = {"kind": "file", "filename": answer.get("filename")}
        record.meta["purpose"] = answer.get("purpose")
        return True

    def _created(self, exchange: Exchange, answer: dict[str, Any], book: Book) -> bool:
        batch_id = answer.get("id")
        if not isinstance(batch_id, str):
            return False
        lines = self._files.get(str(exchange.json_body().get("input_file_id")), [])
        self._runs[batch_id] = _Run(lines)
        self._apply(book.created(batch_id))
        return True

    def _polled(self, exchange: Exchange, answer: dict[str, Any], book: Book) -> bool:
        batch = book.poll(exchange.path_params["batch_id"])
        counts = answer.get("request_counts")
        counts = counts if isinstance(counts, dict) else {}
        run = self._runs.setdefault(batch.id, _Run([]))
        status = str(answer.get("status"))
        run.polls.append(
            (batch.moment(), status, _int(counts, "completed"), _int(counts, "failed"))
        )
        for key in ("output_file_id", "error_file_id"):
            if isinstance(answer.get(key), str):
                self._written[answer[key]] = batch.id
        self._apply(batch)
        return True

    def _downloaded(self, exchange: Exchange, answer: dict[str, Any], book: Book) -> bool:
        file_id = exchange.path_params.get("file_id")
        batch_id = self._written.get(str(file_id))
        if batch_id is None:
            return file_id in book.batches  # an upload's own bytes
        run = self._runs.setdefault(batch_id, _Run([]))
        for line in exchange.answer_lines():
            custom_id = line.get("custom_id")
            if isinstance(custom_id, str):
                run.outcomes[custom_id] = _outcome(line)
        self._apply(book.seen(batch_id))
        return True

    def _listed(self, exchange: Exchange, answer: dict[str, Any], book: Book) -> bool:
        """A list is replayed when it shows only files and batches the scenario has."""
        listed = answer.get("data")
        found = (
            [x.get("id") for x in listed if isinstance(x, dict)] if isinstance(listed, list) else []
        )
        return all(isinstance(i, str) and self._known(i, book) for i in found)

    def _apply(self, batch: RecordedBatch) -> None:
        """The batch's items as the answers so far tell them (made afresh each time)."""
        run = self._runs[batch.id]
        failed = next((m for m, status, _, _ in run.polls if status == Status.FAILED.value), None)
        if failed is not None:  # refused at validation: the mock's one finalizing item
            batch.items = [RecordedItem(input=FINALIZE, after=failed)]
            return
        validated = (m for m, status, _, _ in run.polls if status in PAST_VALIDATION)
        seen = next(validated, None)
        batch.meta = {VALIDATED_META: _after(seen)} if seen is not None else {}
        items = [RecordedItem(input=line) for line in run.lines]
        _finish(items, run)
        completed = (m for m, status, _, _ in run.polls if status == Status.COMPLETED.value)
        batch.items = [*items, RecordedItem(input=FINALIZE, after=next(completed, None))]


def _finish(items: list[RecordedItem], run: _Run) -> None:
    """Outcomes from the files; timing from the polls whose counts first included each item."""
    known = []
    for item in items:
        custom_id = item.input.get("custom_id") if isinstance(item.input, dict) else None
        outcome = run.outcomes.get(custom_id) if isinstance(custom_id, str) else None
        known.append(outcome)
        if outcome is not None:
            item.ok, item.body = outcome
    pools = {  # those an ok (or failed) count may include: the ones known so, then the unknown
        ok: [i for i, o in enumerate(known) if o is not None and o[0] is ok]
        + [i for i, o in enumerate(known) if o is None]
        for ok in (True, False)
    }
    for moment, _, completed, failed in run.polls:
        for ok, count in ((True, completed), (False, failed)):
            for i in pools[ok][:count]:
                if items[i].after is None:
                    items[i].after = moment
                    items[i].ok = ok if items[i].ok is None else items[i].ok


def _outcome(line: dict[str, Any]) -> tuple[bool | None, Any]:
    """(ok, body) of an output or error file's line; ok None for a request never run (its
    batch expired or was cancelled: the replay's own expiry or cancel does the same)."""
    response, error = line.get("response"), line.get("error")
    if isinstance(response, dict):
        status = response.get("status_code")
        body = response.get("body")
        if isinstance(status, int) and 200 <= status < 300:
            kept = (
                {k: v for k, v in body.items() if k not in MOVING} if isinstance(body, dict) else {}
            )
            return True, kept
        return False, {"status_code": status, "body": body}
    if isinstance(error, dict):
        if error.get("code") in UNRUN_CODES:
            return None, None
        return False, {"code": error.get("code"), "message": error.get("message")}
    return None, None


def _parse(raw: bytes) -> Any:
    try:
        return wirejson.loads(raw.rstrip(b"\r"))
    except ValueError:
        return None


def _after(moment: Moment) -> dict[str, int | float]:
    polls, seconds = moment
    return {"polls": polls, "seconds": int(seconds) if seconds.is_integer() else seconds}


def _int(counts: dict[str, Any], key: str) -> int:
    value = counts.get(key)
    return value if isinstance(value, int) else 0
