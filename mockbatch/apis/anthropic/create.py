"""Making a batch from checked requests: each request's outcome from the scenarios' rules
(matched on ``custom_id`` and ``params``), turned ``errored`` when its ``params`` would be
refused by the Messages API; every batch expires 24 h after it was created."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...engine import After, Batch, ItemSpec
from .checks import params_problem
from .wire import EXPIRY, token

if TYPE_CHECKING:
    from ...context import Context

BUILTIN_TIMING = After(polls=2, seconds=3)  # without any scenario: as the shipped default


def create_batch(ctx: Context, requests: list[dict[str, Any]], version: str) -> Batch:
    """A new batch of ``requests`` (already checked), in progress."""
    batch_id = "msgbatch_" + token(ctx.ids.next("msgbatch"), 24)
    specs = [_item(ctx, i, request, version) for i, request in enumerate(requests)]
    batch = ctx.create(batch_id, specs, {"anthropic_version": version})
    # What has not finished by expires_at is expired: the engine cancels it then.
    ctx.schedule_cancel(batch, After(seconds=EXPIRY.total_seconds()), running_too=True)
    return batch


def _item(ctx: Context, index: int, request: dict[str, Any], version: str) -> ItemSpec:
    view = {"custom_id": request["custom_id"], "params": request["params"]}
    outcome = ctx.outcome_for(view)
    if outcome is None:
        spec = ItemSpec(input=view, after=BUILTIN_TIMING)
    else:
        spec = outcome.make(view, index, seed=ctx.ids.seed)
    problem = params_problem(request["params"], version)
    if problem is not None:
        error = {"type": "invalid_request_error", "message": problem}
        spec = replace(spec, ok=False, body=error)
    return spec
