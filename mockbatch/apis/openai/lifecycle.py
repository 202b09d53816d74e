"""OpenAI's batch lifecycle as ``verify --lifecycle`` checks it (see README, "Verify the
lifecycle"): upload a JSONL file of chat requests, create a batch on it, retrieve it until it
is terminal, download its output and error files; cancel a second batch at once.

States (docs): validating -> in_progress -> finalizing -> completed; failed (validation),
expired (the 24 h window), cancelling -> cancelled. Output and error files are named only once
the batch is terminal: a completed batch's files hold every request once; a cancelled or
expired one's may be partial.
"""

from __future__ import annotations

import json
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

MODEL = "gpt-4o-mini"
ENDPOINT = "/v1/chat/completions"
TERMINAL = ("completed", "failed", "expired", "cancelled")
SHOWN = pick("id", "status", "request_counts", "in_progress_at", "output_file_id", "error_file_id")


class OpenaiLifecycle(Lifecycle):
    """The flow of the official SDK's calls: files.create, batches.create/retrieve/cancel,
    files.content."""

    order: ClassVar[dict[str, int]] = {
        "validating": 0,
        "in_progress": 1,
        "finalizing": 2,
        "cancelling": 3,
        **{status: 4 for status in TERMINAL},
    }
    results: ClassVar[dict[str, Presence]] = {
        "validating": Presence.ABSENT,
        "in_progress": Presence.ABSENT,
        "finalizing": Presence.ABSENT,
        "cancelling": Presence.ABSENT,
        "failed": Presence.ABSENT,
        "completed": Presence.COMPLETE,
    }
    rising = ("completed", "failed")
    parts = ("completed", "failed")
    cancel_states = frozenset({"succeeded", "failed", "batch_cancelled"})
    cost = Cost(2, 5, "2 uploads, 2 creates, 1 cancel, a retrieve per poll, 1-2 downloads")
    status_read = StatusRead(
        "/v1/batches/{id}",
        "retrieve the batch",
        frozenset(TERMINAL),
        within="request_counts",
        total="total",
        cancelled="cancelled",
        show=SHOWN,
    )

    def create(self, http: Session, count: int) -> Created:
        keys = numbered(count)
        lines = [_line(key) for key in keys]
        uploaded = http.request(
            "POST",
            "/v1/files",
            files={"file": ("mockbatch-lifecycle.jsonl", "\n".join(lines).encode())},
            data={"purpose": "batch"},
        )
        uploaded.expect("upload the input file")
        file_id = uploaded.field("id", str, "upload the input file")
        body = {"input_file_id": file_id, "endpoint": ENDPOINT, "completion_window": "24h"}
        created = http.request("POST", "/v1/batches", json=body, show=SHOWN)
        created.expect("create a batch")
        return Created(created.field("id", str, "create a batch"), keys, created.exchange)

    def poll(self, http: Session, batch: Created) -> Snapshot:
        """As ``status_read`` says; no total before the batch started (it is 0 until then)."""
        seen = super().poll(http, batch)
        return seen if seen.body.get("in_progress_at") is not None else replace(seen, total=None)

    def read_results(self, http: Session, batch: Created, seen: Snapshot) -> Results:
        files = [seen.body.get(name) for name in ("output_file_id", "error_file_id")]
        items: list[Item] = []
        exchanges = []
        for file_id in (f for f in files if isinstance(f, str) and f):
            answer = http.request("GET", f"/v1/files/{file_id}/content")
            answer.expect("download a results file")
            exchanges.append(answer.exchange)
            for text in answer.text.splitlines():
                items.append(_item(text, answer.exchange))
        return Results(bool(exchanges), tuple(items), tuple(exchanges))

    def cancel(self, http: Session, batch: Created) -> Cancel:
        return post_cancel(http, f"/v1/batches/{batch.id}/cancel")


def _line(key: str) -> str:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 5}
    return json.dumps({"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body})


def _item(text: str, exchange: Any) -> Item:
    """One line of an output or error file: its custom_id and what it came to."""
    line = json_line(text, exchange)
    if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
        raise FlowError(f"a results line has no custom_id: {text[:100]}", exchange)
    error = line.get("error")
    response = line.get("response")
    if isinstance(error, dict):
        state = str(error.get("code") or "failed")
    elif isinstance(response, dict) and response.get("status_code", 200) < 400:
        state = "succeeded"
    else:
        state = "failed"
    return Item(line["custom_id"], state, True, exchange)
