"""How ``mockbatch record`` reads Anthropic's answers: a create makes a batch of the requests
sent (``{custom_id, params}``); a retrieve is a poll; the results file (JSON Lines) gives each
request's outcome, matched by ``custom_id``.

Every request shows ``processing`` until its batch ends, so the requests are taken to finish
at the poll that first showed the batch ``ended``; requests that ended before a client's cancel
finish at the cancel, and ``canceled`` ones are left to the replay's own cancel. ``expired``
requests finish 24 h after their batch was created (the mock then calls them expired), and the
others at the last poll before that. A ``succeeded`` result is replayed as the whole message;
an ``errored`` one as its ``{type, message}``. Refusals the mock makes by itself for the same
request (400, and 404 for a batch the recording never saw) are replayed as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...record.book import Book, Exchange, RecordedBatch, Recorder
from .wire import EXPIRY, RESULT_ERROR_TYPES, ResultType, Status

Moment = tuple[int, float]
EXPIRED_AT: Moment = (0, EXPIRY.total_seconds())


@dataclass(slots=True)
class _Life:
    """What the answers told of one batch's end."""

    in_progress: Moment | None = None  # the last poll that saw it unended
    canceled: Moment | None = None  # the client's cancel
    ended: Moment | None = None  # the first poll that saw it ended
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom_id -> result


class AnthropicRecorder(Recorder):
    """Reads creates, retrieves, cancels, deletes and results downloads into the book."""

    def __init__(self) -> None:
        self._lives: dict[str, _Life] = {}
        self._deleted: set[str] = set()

    def read(self, exchange: Exchange, book: Book) -> bool:
        if not exchange.ok:
            return self._refused(exchange, book)
        answer = exchange.json_answer()
        batch_id = exchange.path_params.get("message_batch_id")
        operation = exchange.operation
        if operation == "createMessageBatch" and isinstance(answer.get("id"), str):
            self._created(book.created(answer["id"]), exchange.json_body())
            return True
        if operation == "retrieveMessageBatch" and batch_id is not None:
            self._polled(book.poll(batch_id), answer)
            return True
        if operation == "getMessageBatchResults" and batch_id is not None:
            self._results(book.seen(batch_id), exchange.answer_lines())
            return True
        if operation == "cancelMessageBatch" and batch_id is not None:
            life = self._life(batch_id)
            life.canceled = life.canceled or book.seen(batch_id).moment()
            return True
        if operation == "deleteMessageBatch" and batch_id is not None:
            self._deleted.add(batch_id)
            return True
        listed = answer.get("data")  # a list shows only batches the scenario has
        ids = (
            [b.get("id") for b in listed if isinstance(b, dict)] if isinstance(listed, list) else []
        )
        return operation == "listMessageBatches" and all(i in book.batches for i in ids)

    def _refused(self, exchange: Exchange, book: Book) -> bool:
        """Whether the mock refuses the same request the same way by itself."""
        batch_id = exchange.path_params.get("message_batch_id")
        if exchange.status == 404:
            return batch_id not in book.batches or batch_id in self._deleted
        return exchange.status == 400

    def _created(self, batch: RecordedBatch, body: dict[str, Any]) -> None:
        requests = body.get("requests")
        for i, request in enumerate(requests if isinstance(requests, list) else []):
            if isinstance(request, dict):
                batch.item(i, input=_request(request.get("custom_id"), request.get("params")))

    def _polled(self, batch: RecordedBatch, answer: dict[str, Any]) -> None:
        life = self._life(batch.id)
        if answer.get("processing_status") == Status.ENDED.value:
            life.ended = life.ended or batch.moment()
        elif life.ended is None:
            life.in_progress = batch.moment()
        self._apply(batch)

    def _results(self, batch: RecordedBatch, lines: list[dict[str, Any]]) -> None:
        life = self._life(batch.id)
        known = {
            item.input.get("custom_id") for item in batch.items if isinstance(item.input, dict)
        }
        for line in lines:
            custom_id, result = line.get("custom_id"), line.get("result")
            if not isinstance(custom_id, str) or not isinstance(result, dict):
                continue
            life.results.setdefault(custom_id, result)
            if custom_id not in known:  # a batch only read: its requests as the file lists them
                batch.item(len(batch.items), input=_request(custom_id, None))
        self._apply(batch)

    def _apply(self, batch: RecordedBatch) -> None:
        """Each request's timing and outcome as the answers so far tell them (a results file
        read after the end changes what the end alone said)."""
        life = self._life(batch.id)
        types = {r.get("type") for r in life.results.values()}
        done: Moment | None
        if life.canceled is not None and ResultType.CANCELED.value in types:
            done = life.canceled
        elif ResultType.EXPIRED.value in types:
            done = life.in_progress or (0, 0.0)
        else:
            done = life.ended
        for item in batch.items:
            custom_id = item.input.get("custom_id") if isinstance(item.input, dict) else None
            result = life.results.get(custom_id, {}) if isinstance(custom_id, str) else {}
            kind = result.get("type")
            item.after = EXPIRED_AT if kind == ResultType.EXPIRED.value else done
            if kind == ResultType.CANCELED.value:
                item.after = None  # canceled by the replay's cancel, as it was
            item.ok, item.body = _outcome(result)
        if ResultType.CANCELED.value in types and not batch.notes:
            batch.notes.append("its canceled requests are canceled by the client's cancel")

    def _life(self, batch_id: str) -> _Life:
        return self._lives.setdefault(batch_id, _Life())


def _request(custom_id: Any, params: Any) -> dict[str, Any]:
    """A request as the mock keeps it (its rules match on these)."""
    return {"custom_id": custom_id, "params": params if isinstance(params, dict) else {}}


def _outcome(result: dict[str, Any]) -> tuple[bool | None, Any]:
    """(ok, body) of a ``succeeded`` or ``errored`` result: the whole message, or the error's
    ``{type, message}`` (its message alone when the type is not one a result may have)."""
    if result.get("type") == ResultType.SUCCEEDED.value:
        message = result.get("message")
        return True, message if isinstance(message, dict) else {}
    if result.get("type") != ResultType.ERRORED.value:
        return None, None
    envelope = result.get("error")
    error = envelope.get("error") if isinstance(envelope, dict) else None
    if not isinstance(error, dict):
        return False, "Internal server error"
    if error.get("type") in RESULT_ERROR_TYPES:
        return False, {"type": error["type"], "message": str(error.get("message", ""))}
    return False, str(error.get("message", ""))
