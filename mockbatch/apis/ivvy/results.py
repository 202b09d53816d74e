"""What iVvy answers about a batch: its ``progress`` and its ``results`` body (also the callback
body), and the limits on both."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ...engine import Batch
from .wire import IvvyError

RESULTS_KEPT = timedelta(days=2)
# The most jobs one ``results`` body (or callback) holds. A run request holds at most 200 jobs,
# so only a ``generate:`` batch is bigger. 10,000 jobs make a body of about 1 MB, built in about
# 0.1 s during which the server answers no one else; a million would be 90 MB and 10 s. A bigger
# batch's results answer an error (``results_too_big``); its progress is served as any other's.
RESULTS_MAX_JOBS = 10_000


def progress(batch: Batch, now: datetime) -> int:
    """Percentage of finished jobs, rounded down: 100 only when every job finished."""
    total = len(batch.items)
    if total == 0:
        return 100
    counts = batch.counts(now)
    finished = sum(n for state, n in counts.items() if state.finished)
    return finished * 100 // total


def results_too_big(batch: Batch) -> IvvyError:
    """The 500 a ``results`` of more than ``RESULTS_MAX_JOBS`` jobs answers (mockbatch's limit)."""
    limit = f"mockbatch answers results of at most {RESULTS_MAX_JOBS:,} jobs"
    return IvvyError(23000, more=[f"{limit}; this batch has {len(batch.items):,}"])


def results_body(batch: Batch) -> dict[str, Any]:
    """The ``results`` body (also the callback body)."""
    results = []
    for i in range(len(batch.items)):
        spec = batch.items.spec(i)
        job = spec.input if isinstance(spec.input, dict) else {}
        results.append(
            {
                "namespace": job.get("namespace", ""),
                "action": job.get("action", ""),
                "request": job.get("params", {}),
                "response": spec.body if spec.body is not None else {},
            }
        )
    return {"asyncId": batch.id, "results": results}
