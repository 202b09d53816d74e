"""Runtype's batch executions: submit over records, read the status, cancel, run a schedule now.

A submitted record is looked up in the scenario's ``options.records`` (or known only by its
ID); each record becomes one item whose outcome the scenario's rules give. Batch and run IDs
are UUIDs from the engine's deterministic IDs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...engine import ItemSpec
from ...scenarios import Outcome
from .. import Call, Reply, frozen_reply
from .errors import Detail, RuntypeError, not_found
from .render import status_body
from .request import valid_body
from .wire import BatchStatus, batch_status, uuid

if TYPE_CHECKING:
    from ...context import Context
    from ...engine import Batch
    from ...provider import Provider

MAX_RECORDS = 50_000
BUILTIN_OUTCOME = Outcome()  # succeeds at once, with no result


def submit(provider: Provider, call: Call) -> Reply:
    """``POST /v1/batch/flow``: a batch over ``recordIds`` and inline ``records``."""
    ctx = provider.ctx
    body = valid_body(call)
    records = [_known(ctx, rid) for rid in body.get("recordIds", [])]
    for inline in body.get("records", []):
        record_id = f"rec_{ctx.ids.next('runtype.record')[:10]}"
        records.append({**inline, "id": record_id})
    if len(records) > MAX_RECORDS:
        raise RuntypeError(
            400,
            "Too many records",
            Detail(f"{len(records)} records; at most {MAX_RECORDS} per batch", "TOO_MANY"),
        )
    flow_id, flow_name = body.get("flowId"), None
    definition = body.get("flowDefinition")
    if isinstance(definition, Mapping):
        flow_id = f"flow_{ctx.ids.next('runtype.flow')[:26]}"
        flow_name = definition.get("name") if isinstance(definition.get("name"), str) else None
    meta = {
        "flowId": flow_id,
        "flowName": flow_name or ctx.options().get("flows", {}).get(flow_id),
        "agentId": body.get("agentId"),
    }
    batch = _create(ctx, records, meta)
    return Reply(200, {"batchExecutionId": batch.id, "status": BatchStatus.QUEUED.value})


def status(provider: Provider, call: Call) -> Reply:
    """``GET /v1/batch/status/{id}``: a poll of the batch."""
    batch_id = call.path_params["id"]
    batch = provider.ctx.poll(batch_id)
    if batch is None:
        raise not_found("Batch", "id", batch_id)
    now = provider.ctx.now()  # complete, it is final (a cancel is refused): kept
    return frozen_reply(batch, "status", now, lambda: status_body(batch, now))


def cancel(provider: Provider, call: Call) -> Reply:
    """``POST /v1/batch/cancel/{id}``: cancels every unfinished record, running ones too."""
    ctx = provider.ctx
    batch_id = call.path_params["id"]
    batch = ctx.get(batch_id)
    if batch is None:
        raise not_found("Batch", "id", batch_id)
    state = batch_status(batch.counts(ctx.now()), len(batch.items))
    if state not in (BatchStatus.QUEUED, BatchStatus.RUNNING):
        message = f"Batch execution is already {state.value}"
        return Reply(200, {"success": False, "message": message})
    ctx.cancel(batch, running_too=True)
    return Reply(200, {"success": True, "message": "Batch execution cancelled"})


def run_now(provider: Provider, call: Call) -> Reply:
    """``POST /v1/schedules/{id}/run-now``: a run over the records of the target's type."""
    ctx = provider.ctx
    options = ctx.options()
    schedule_id = call.path_params["id"]
    schedule = next((s for s in options.get("schedules", ()) if s["id"] == schedule_id), None)
    if schedule is None:
        raise not_found("Schedule", "id", schedule_id)
    target: Mapping[str, Any] = schedule["target"]
    record_type = target.get("recordType")
    records = [r for r in options.get("records", ()) if r["type"] == record_type]
    flow_id = target.get("flowId")
    meta = {
        "flowId": flow_id,
        "flowName": options.get("flows", {}).get(flow_id),
        "agentId": target.get("agentId"),
        "scheduleId": schedule_id,
        "runId": uuid(ctx.ids.next("runtype.run")),
    }
    batch = _create(ctx, records, meta)
    return Reply(
        200,
        {
            "status": BatchStatus.QUEUED.value,
            "batchExecutionId": batch.id if record_type is not None else None,
            "runId": meta["runId"],
            "error": None,
        },
    )


def _create(ctx: Context, records: list[dict[str, Any]], meta: dict[str, Any]) -> Batch:
    """A new batch with one item per record; each gets the first matching rule's outcome."""
    items: list[ItemSpec] = []
    for i, record in enumerate(records):
        view = {"flowId": meta["flowId"], "agentId": meta["agentId"], "record": record}
        outcome = ctx.outcome_for(view) or BUILTIN_OUTCOME
        items.append(outcome.make(view, i, seed=ctx.ids.seed))
    batch_id = uuid(ctx.ids.next("runtype.batch"))
    return ctx.create(batch_id, items, meta)


def _known(ctx: Context, record_id: str) -> dict[str, Any]:
    """A record the scenario's ``options.records`` knows, else one known only by its ID."""
    for record in ctx.options().get("records", ()):
        if record["id"] == record_id:
            return dict(record)
    return {"id": record_id}
