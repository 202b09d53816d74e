"""``action=run``: a batch of jobs made from a checked ``RunRequest`` body, each job's outcome
from the scenarios' rules (or the built-in ``{"success": true}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...callbacks import malformed
from ...scenarios import Outcome
from .wire import IvvyError

if TYPE_CHECKING:
    from ...context import Context
    from ...engine import ItemSpec

BUILTIN_OUTCOME = Outcome(response={"success": True})
ASYNC_ID_LENGTH = 32


def create_batch(ctx: Context, body: dict[str, Any]) -> str:
    """Make the batch ``body`` asks for; its asyncId. A ``callbackUrl`` that could never be
    called back is refused now (23016)."""
    url = body.get("callbackUrl")
    problem = malformed(url) if isinstance(url, str) else None
    if problem is not None:
        raise IvvyError(23016, param="callbackUrl", more=[f"callbackUrl: {problem}"])
    jobs: list[dict[str, Any]] = body["jobs"]
    items = [_item(ctx, job, i) for i, job in enumerate(jobs)]
    batch_id = ctx.ids.next("ivvy.batch")[:ASYNC_ID_LENGTH]
    batch = ctx.create(batch_id, items, {"callbackUrl": url, "reposts": 0})
    if url:
        ctx.wake()
    return batch.id  # a recorded batch (on_create) keeps its own


def _item(ctx: Context, job: dict[str, Any], index: int) -> ItemSpec:
    job_input = {"namespace": job["namespace"], "action": job["action"], "params": job["params"]}
    outcome = ctx.outcome_for(job_input) or BUILTIN_OUTCOME
    return outcome.make(job_input, index, seed=ctx.ids.seed)
