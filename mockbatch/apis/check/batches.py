"""Check's batches: create (items or an uploaded file), list, read, results pages, cancel.

Reads of one batch (``GET /v1/batch/{id}`` and its ``/results``) are polls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...scenarios import Outcome
from .. import Call, Reply, frozen_reply
from .errors import CheckError, not_found, schema_details, validation_error
from .render import (
    ACCEPT_THRESHOLD,
    ESCALATE_THRESHOLD,
    FINISHED_BATCH,
    batch_json,
    batch_status,
    item_json,
    states_for,
    summary_json,
)
from .request import page, request_id
from .upload import item_input

if TYPE_CHECKING:
    from datetime import datetime

    from ...context import Context
    from ...engine import Batch, ItemSpec
    from ...validators import Validator
    from .files import Files

BUILTIN_OUTCOME = Outcome(response={"verdict": "true", "confidence": 0.95})
LIST_LIMIT, RESULTS_LIMIT = 10, 20


def check_create(ctx: Context, schema: Validator, body: dict[str, Any]) -> None:
    """422 for a body that breaks the schema or the thresholds; 403 for the formal method."""
    fields = schema_details(schema, body)
    if not fields:
        fields = _threshold_problems(body.get("options") or {})
    if fields:
        raise validation_error(fields, request_id(ctx))
    if "formal" in (body.get("methods") or {}):
        raise CheckError(403, "forbidden", "The formal method needs an Enterprise plan")


def create(ctx: Context, files: Files, body: dict[str, Any]) -> Batch:
    """A batch of ``body``'s items, or of the uploaded file it names (which it uses up)."""
    meta: dict[str, Any] = {
        "name": body.get("name"),
        "methods": body.get("methods") or {},
        "options": body.get("options") or {},
    }
    file = files.usable(body["fileId"]) if "fileId" in body else None
    if file is not None:
        inputs = files.rows(file)
        meta["fileId"] = file.id
    else:
        inputs = [item_input(item) for item in body["items"]]
    specs = [_item(ctx, data, i) for i, data in enumerate(inputs)]
    batch = ctx.create("batch_" + ctx.ids.next("check.batch")[:12], specs, meta)
    if file is not None:  # the batch's ID is the one create gave (a recorded batch's)
        files.use(file, batch.id)
    return batch


def created(batch: Batch, now: datetime) -> Reply:
    """The answer to a create: 202 with the batch object and a message."""
    body = batch_json(batch, now)
    body["message"] = "Batch created successfully. Items are being processed."
    return Reply(202, body)


def _item(ctx: Context, data: dict[str, Any], index: int) -> ItemSpec:
    outcome = ctx.outcome_for(data) or BUILTIN_OUTCOME
    return outcome.make(data, index, seed=ctx.ids.seed)


def list_batches(ctx: Context, call: Call) -> Reply:
    """A page of the API's batches, newest first, optionally of one status."""
    now = ctx.now()
    limit, offset = page(call, LIST_LIMIT)
    wanted = call.arg("status")
    batches = list(reversed(ctx.batches()))
    batches.sort(key=lambda b: b.created_at, reverse=True)  # newest first, then newest added
    shown = [batch_json(b, now) for b in batches]
    if wanted is not None:
        shown = [b for b in shown if b["status"] == wanted]
    found = shown[offset : offset + limit]
    return Reply(200, {"data": found, "pagination": _pagination(len(shown), limit, offset, found)})


def get(ctx: Context, call: Call) -> Reply:
    """The batch object (a poll): kept once the batch has completed (it is then final: a
    cancel is refused), so its cost over the items is paid once."""
    batch, now = polled(ctx, call), ctx.now()
    return frozen_reply(batch, "batch", now, lambda: batch_json(batch, now))


def results(ctx: Context, call: Call) -> Reply:
    """A page of the batch's items, optionally of one item status (a poll)."""
    batch = polled(ctx, call)
    now = ctx.now()
    limit, offset = page(call, RESULTS_LIMIT)
    wanted = call.arg("status")
    states = states_for(wanted, batch) if wanted is not None else None

    def make() -> dict[str, Any]:
        total, indexes = batch.select(now, states, offset, limit)
        items = [item_json(batch, i, now) for i in indexes]
        return {
            "batch": summary_json(batch, now, batch.counts(now)),
            "items": items,
            "pagination": _pagination(total, limit, offset, items),
        }

    return frozen_reply(batch, f"results?limit={limit}&offset={offset}&status={wanted}", now, make)


def cancel(ctx: Context, call: Call) -> Reply:
    """Skip the items that have not started; 400 ``CANNOT_CANCEL`` once the batch finished."""
    batch = ctx.get(call.path_params["id"])
    if batch is None:
        raise not_found()
    now = ctx.now()
    if batch_status(batch, now, batch.counts(now)) in FINISHED_BATCH:
        raise CheckError(
            400,
            "CANNOT_CANCEL",
            "Cannot cancel batch. Batch not found or already completed/cancelled.",
        )
    ctx.cancel(batch, running_too=False)
    body = {"id": batch.id, "status": "cancelled", "message": "Batch cancelled successfully"}
    return Reply(200, body)


def polled(ctx: Context, call: Call) -> Batch:
    """The batch the path names, looked up as a poll (404 when there is none)."""
    batch = ctx.poll(call.path_params["id"])
    if batch is None:
        raise not_found()
    return batch


def _pagination(total: int, limit: int, offset: int, shown: list[Any]) -> dict[str, Any]:
    more = offset + len(shown) < total
    return {"total": total, "limit": limit, "offset": offset, "hasMore": more}


def _threshold_problems(options: dict[str, Any]) -> list[dict[str, str]]:
    accept = options.get("acceptThreshold", ACCEPT_THRESHOLD)
    escalate = options.get("escalateThreshold", ESCALATE_THRESHOLD)
    if accept > escalate:
        return []
    message = f"Must be greater than escalateThreshold ({escalate})"
    return [{"field": "options.acceptThreshold", "message": message}]
