"""Runtype's results: a batch's records, or a scheduled run's, one page at a time.

Both reads are polls of their batch. A page of a completed batch is serialised once and kept
(:func:`~mockbatch.apis.frozen_reply`); a page of a generated batch costs the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import Call, Reply, frozen_reply
from .errors import not_found
from .render import results_body
from .request import parse_page

if TYPE_CHECKING:
    from ...context import Context
    from ...engine import Batch
    from ...provider import Provider
    from .wire import Page


def batch_results(provider: Provider, call: Call) -> Reply:
    """``GET /v1/schedules/batch/{batchId}/results``."""
    page = parse_page(call)
    batch_id = call.path_params["batchId"]
    batch = provider.ctx.poll(batch_id)
    if batch is None:
        raise not_found("Batch", "batchId", batch_id)
    return _results(provider.ctx, batch, page)


def run_results(provider: Provider, call: Call) -> Reply:
    """``GET /v1/schedules/runs/{runId}/results``: the records of the run's batch."""
    page = parse_page(call)
    run_id = call.path_params["runId"]
    ctx = provider.ctx
    found = next((b for b in ctx.batches() if b.meta.get("runId") == run_id), None)
    batch = ctx.poll(found.id) if found is not None else None
    if batch is None:
        raise not_found("Run", "runId", run_id)
    return _results(ctx, batch, page)


def _results(ctx: Context, batch: Batch, page: Page) -> Reply:
    now = ctx.now()
    key = f"results?limit={page.limit}&offset={page.offset}&status={page.status}"
    return frozen_reply(batch, key, now, lambda: results_body(batch, page, now))
