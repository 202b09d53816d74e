"""Batches: made from an uploaded input file, rendered as the Batch object, listed by cursor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...engine import After, ItemSpec
from .files import content, info, is_file, not_found
from .inputs import INPUT, OFFSETS, check, classifier, finalizer
from .results import files, usage_json
from .status import counts_json, view
from .wire import (
    ENDPOINTS,
    VALIDATED,
    WINDOW_SECONDS,
    OpenAIError,
    Status,
    epoch,
    invalid_value,
)

if TYPE_CHECKING:
    from ...context import Context
    from ...engine import Batch


def is_batch(batch: Batch) -> bool:
    return bool(batch.meta.get("kind", "batch") == "batch")


def batch_not_found(batch_id: str) -> OpenAIError:
    return OpenAIError(404, f"No batch found with id '{batch_id}'.", param="batch_id")


def create(ctx: Context, body: Mapping[str, Any], never: Sequence[str]) -> Batch:
    """A new batch on an uploaded ``batch`` file (already checked against the spec)."""
    if body["completion_window"] != "24h":
        raise invalid_value("completion_window", body["completion_window"], ("24h",))
    endpoint = body["endpoint"]
    if endpoint not in ENDPOINTS:
        raise invalid_value("endpoint", endpoint, ENDPOINTS)
    file_id = body["input_file_id"]
    record = ctx.get(file_id)
    if record is None or not is_file(record):
        raise not_found(file_id)
    purpose = info(record).purpose
    if purpose != "batch":
        raise OpenAIError(
            400,
            f"File {file_id} has purpose {purpose!r}; a batch needs a file with purpose 'batch'.",
            param="input_file_id",
        )
    data = content(record)
    checked = check(data, endpoint, classifier(ctx, never))
    specs: list[ItemSpec]
    if checked.errors:
        specs = [ItemSpec(input={"finalize": True}, after=VALIDATED)]
    else:
        specs = [*checked.specs, finalizer(checked.specs)]
    expiry = body.get("output_expires_after")
    meta = {
        "kind": "batch",
        "endpoint": endpoint,
        "input_file_id": file_id,
        "metadata": body.get("metadata"),
        "model": checked.model,
        "errors": checked.errors,
        "finalizer": True,
        "output_ttl": expiry["seconds"] if isinstance(expiry, Mapping) else None,
    }
    batch = ctx.create("batch_" + ctx.ids.next("batch")[:32], specs, meta)
    batch.cache[INPUT] = data  # the same bytes as the file's: not a copy
    batch.cache[OFFSETS] = checked.offsets
    ctx.schedule_cancel(batch, After(seconds=WINDOW_SECONDS), running_too=True)
    ctx.wake()
    return batch


def render(batch: Batch, now: datetime) -> dict[str, Any]:
    """The Batch object at ``now``: every field, null until the service would set it."""
    seen = view(batch, now)
    meta = batch.meta
    written = files(batch, now, seen, sized=())
    errors = meta.get("errors")
    body: dict[str, Any] = {
        "id": batch.id,
        "object": "batch",
        "endpoint": meta.get("endpoint", "/v1/chat/completions"),
        "model": meta.get("model") if seen.times["in_progress_at"] is not None else None,
        "errors": {"object": "list", "data": errors}
        if errors and seen.status is Status.FAILED
        else None,
        "input_file_id": meta.get("input_file_id", ""),
        "completion_window": "24h",
        "status": seen.status.value,
        "output_file_id": written["output"].id if "output" in written else None,
        "error_file_id": written["error"].id if "error" in written else None,
        "created_at": epoch(batch.created_at),
        "in_progress_at": seen.times["in_progress_at"],
        "expires_at": epoch(batch.created_at) + WINDOW_SECONDS,
    }
    for key in ("finalizing_at", "completed_at", "failed_at", "expired_at"):
        body[key] = seen.times[key]
    body["cancelling_at"] = seen.times["cancelling_at"]
    body["cancelled_at"] = seen.times["cancelled_at"]
    body["request_counts"] = counts_json(seen)
    body["usage"] = usage_json(batch, now, seen.succeeded)
    body["metadata"] = meta.get("metadata")
    return body


def page(batches: list[Batch], now: datetime, *, after: str | None, limit: int) -> dict[str, Any]:
    """One page of ``GET /v1/batches``: newest first, after the batch ``after``."""
    ordered = sorted(reversed(batches), key=lambda b: b.created_at, reverse=True)  # stable:
    # batches made at the same moment, newest first
    if after is not None:
        ids = [b.id for b in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    shown = [render(b, now) for b in ordered[:limit]]
    return {
        "object": "list",
        "data": shown,
        "first_id": shown[0]["id"] if shown else None,
        "last_id": shown[-1]["id"] if shown else None,
        "has_more": len(ordered) > limit,
    }


def cancel(ctx: Context, batch: Batch, now: datetime) -> None:
    """Cancel now: unfinished requests are cancelled; 409 once the batch is terminal."""
    status = view(batch, now).status
    if status.terminal or status is Status.CANCELLING:
        raise OpenAIError(
            409,
            f"Cannot cancel a batch with status '{status.value}'.",
            headers={"x-should-retry": "false"},
        )
    ctx.set_meta(batch, "cancelling_at", epoch(now))
    ctx.set_meta(batch, "cancel_polls", batch.polls)
    ctx.cancel(batch, running_too=True)
