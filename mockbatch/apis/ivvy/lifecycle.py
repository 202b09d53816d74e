"""iVvy's batch lifecycle as ``verify --lifecycle`` checks it (see README, "Verify the
lifecycle"): run a batch of ``test.ping`` jobs, ask its ``progress`` until 100, then its
``results``. iVvy has no cancel, so there is no second batch.

iVvy has no status word: the flow calls a batch ``in progress`` below 100 per cent and
``complete`` at 100. ``progress`` never decreases; ``results`` answer 24114 (not completed)
until the batch is complete and then hold every job once (a job is known by its ``params``).

Requests are signed when ``$IVVY_API_KEY`` and ``$IVVY_API_SECRET`` are set (as a real iVvy
needs); without them they go unsigned, which only a lenient server (the mock's default) serves.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from typing import Any, ClassVar

from ...lifecycle import (
    Answer,
    Cost,
    Created,
    Exchange,
    FlowError,
    Item,
    Lifecycle,
    Presence,
    Results,
    Session,
    Snapshot,
)
from .auth import sign, string_to_sign

URI = "/api/1.0/batch?action="
NOT_COMPLETED = 24114
IN_PROGRESS, COMPLETE = "in progress", "complete"


class IvvyLifecycle(Lifecycle):
    """``run``, ``progress`` and ``results`` of the batch namespace."""

    order: ClassVar[dict[str, int]] = {IN_PROGRESS: 0, COMPLETE: 1}
    results: ClassVar[dict[str, Presence]] = {
        IN_PROGRESS: Presence.ABSENT,
        COMPLETE: Presence.COMPLETE,
    }
    rising = ("progress",)
    parts = ("progress",)
    total_is_items = False  # progress is out of 100
    cost = Cost(1, 3, "1 run, 2 requests per poll (progress, results)")

    def create(self, http: Session, count: int) -> Created:
        jobs = [{"namespace": "test", "action": "ping", "params": _params(i)} for i in range(count)]
        answer = _post(http, "run", {"jobs": jobs})
        answer.expect("run a batch")
        keys = tuple(_key(job["params"]) for job in jobs)
        return Created(answer.field("asyncId", str, "run a batch"), keys, answer.exchange)

    def poll(self, http: Session, batch: Created) -> Snapshot:
        answer = _post(http, "progress", {"async": batch.id})
        answer.expect("ask the progress")
        done = answer.field("progress", (int, float), "ask the progress")
        status = COMPLETE if done >= 100 else IN_PROGRESS
        return Snapshot(status, {"progress": int(done)}, 100, done >= 100, answer.exchange)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        answer = _post(http, "results", {"async": batch.id})
        body = answer.json if isinstance(answer.json, dict) else {}
        if answer.status != 200:
            if body.get("specificCode") != NOT_COMPLETED:
                answer.expect("read the results")
            return Results(False, (), (answer.exchange,))
        jobs = answer.field("results", list, "read the results")
        items = tuple(
            Item(_key(job.get("request")), "finished", True, answer.exchange)
            for job in jobs
            if isinstance(job, dict)
        )
        return Results(True, items, (answer.exchange,))


def _params(index: int) -> dict[str, Any]:
    return {"lifecycle": index + 1}


def _key(params: Any) -> str:
    """A job's key: its params (each job of the flow has its own)."""
    if isinstance(params, dict) and isinstance(params.get("lifecycle"), int):
        return f"job {params['lifecycle']}"
    return f"job {json.dumps(params, sort_keys=True)}"


def _post(http: Session, action: str, body: dict[str, Any]) -> Answer:
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = {"content-type": "application/json"}
    key, secret = os.environ.get("IVVY_API_KEY"), os.environ.get("IVVY_API_SECRET")
    if key and secret:
        headers["content-md5"] = hashlib.md5(data).hexdigest()
        headers["ivvy-date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        signature = sign(secret, string_to_sign("POST", URI + action, headers))
        headers["x-api-authorization"] = f"IWS {key}:{signature}"
    elif key or secret:
        unsent = Exchange("POST", URI + action, 0, "(not sent)")
        raise FlowError("set both IVVY_API_KEY and IVVY_API_SECRET to sign, or neither", unsent)
    return http.request("POST", URI + action, content=data, headers=headers)
