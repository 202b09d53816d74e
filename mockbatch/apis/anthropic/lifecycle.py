"""Anthropic's Message Batches lifecycle as ``verify --lifecycle`` checks it (see README,
"Verify the lifecycle"): create a batch of short Messages requests, retrieve it until it has
ended, read its results; cancel a second batch at once.

States (docs): in_progress -> canceling -> ended. ``request_counts`` always add up to the
number of requests; every request stays ``processing`` until the whole batch ends. Results
exist only once the batch has ended, one line per request; a canceled batch ends ``ended``
with ``cancel_initiated_at`` set.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from ...lifecycle import (
    Cancel,
    Cost,
    Created,
    FlowError,
    Item,
    Lifecycle,
    Presence,
    Results,
    Session,
    Snapshot,
)
from ...lifecycle.pages import json_line
from ...lifecycle.session import pick
from ...lifecycle.steps import StatusRead, numbered, post_cancel
from .wire import ResultType

MODEL = "claude-haiku-4-5"
API = "/v1/messages/batches"
KINDS = tuple(kind.value for kind in ResultType)  # succeeded errored canceled expired
SHOWN = pick("id", "processing_status", "request_counts", "cancel_initiated_at", "results_url")


class AnthropicLifecycle(Lifecycle):
    """The flow of the official SDK's calls: batches.create/retrieve/cancel/results (the
    results read at the documented path, under the base URL)."""

    order: ClassVar[dict[str, int]] = {"in_progress": 0, "canceling": 1, "ended": 2}
    results: ClassVar[dict[str, Presence]] = {
        "in_progress": Presence.ABSENT,
        "canceling": Presence.ABSENT,
        "ended": Presence.COMPLETE,
    }
    rising = KINDS
    parts = KINDS
    sums: ClassVar[dict[str, tuple[str, ...]]] = {"total": ("processing", *KINDS)}
    cancel_states = frozenset(KINDS)
    cost = Cost(2, 5, "2 creates, 1 cancel, 2 requests per poll (retrieve, results)")
    status_read = StatusRead(
        API + "/{id}",
        "retrieve the batch",
        frozenset({"ended"}),
        within="request_counts",
        status="processing_status",
        show=SHOWN,
    )

    def create(self, http: Session, count: int) -> Created:
        keys = numbered(count)
        params = {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "OK?"}]}
        body = {"requests": [{"custom_id": key, "params": params} for key in keys]}
        answer = http.request("POST", API, json=body, show=SHOWN)
        answer.expect("create a batch")
        return Created(answer.field("id", str, "create a batch"), keys, answer.exchange)

    def poll(self, http: Session, batch: Created) -> Snapshot:
        """As ``status_read`` says; the total is the number of requests, and an ended batch was
        cancelled when its cancel was initiated."""
        seen = super().poll(http, batch)
        cancelled = seen.terminal and seen.body.get("cancel_initiated_at") is not None
        return replace(seen, total=len(batch.keys), cancelled=cancelled)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        answer = http.request("GET", f"{API}/{batch.id}/results")
        if answer.status != 200:
            if answer.status >= 500 or answer.status in (401, 403):
                answer.expect("read the results", 200)
            return Results(False, (), (answer.exchange,))
        items = tuple(_item(text, answer.exchange) for text in answer.text.splitlines() if text)
        return Results(True, items, (answer.exchange,))

    def cancel(self, http: Session, batch: Created) -> Cancel:
        return post_cancel(http, f"{API}/{batch.id}/cancel", show=SHOWN)


def _item(text: str, exchange: Any) -> Item:
    """One results line: its custom_id and its result type."""
    line = json_line(text, exchange)
    result = line.get("result") if isinstance(line, dict) else None
    if not isinstance(result, dict) or not isinstance(line.get("custom_id"), str):
        raise FlowError(f"a results line has no custom_id or result: {text[:100]}", exchange)
    return Item(line["custom_id"], str(result.get("type")), True, exchange)
