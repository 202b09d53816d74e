"""Requests the OpenAI tests share: what the SDKs send, written out."""

from __future__ import annotations

import json
from typing import Any

import httpx

from mockbatch import VirtualClock

API = "/openai/v1"
KEY = {"Authorization": "Bearer sk-test"}
CHAT = "/v1/chat/completions"


def line(custom_id: str, url: str = CHAT, model: str = "gpt-4o-mini", **body: Any) -> str:
    """One request line of an input file."""
    payload = {"model": model, "messages": [{"role": "user", "content": custom_id}], **body}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": payload})


def jsonl(*custom_ids: str, url: str = CHAT) -> bytes:
    return "\n".join(line(c, url) for c in custom_ids).encode()


def upload(
    client: httpx.Client, data: bytes, *, purpose: str = "batch", name: str = "in.jsonl"
) -> httpx.Response:
    return client.post(
        f"{API}/files", headers=KEY, files={"file": (name, data)}, data={"purpose": purpose}
    )


def create(
    client: httpx.Client, file_id: str, endpoint: str = CHAT, **extra: Any
) -> httpx.Response:
    body = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h", **extra}
    return client.post(f"{API}/batches", headers=KEY, json=body)


def batch(client: httpx.Client, data: bytes, endpoint: str = CHAT) -> dict[str, Any]:
    """Upload ``data`` and create a batch of it; the Batch object."""
    uploaded = upload(client, data)
    assert uploaded.status_code == 200, uploaded.text
    created = create(client, uploaded.json()["id"], endpoint)
    assert created.status_code == 200, created.text
    found: dict[str, Any] = created.json()
    return found


def retrieve(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/batches/{batch_id}", headers=KEY)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def until_terminal(
    client: httpx.Client, clock: VirtualClock, batch_id: str, polls: int = 10
) -> list[dict[str, Any]]:
    """Retrieve every 2 seconds (of the virtual clock) until the batch is terminal; every
    answer seen."""
    seen = []
    for _ in range(polls):
        seen.append(retrieve(client, batch_id))
        if seen[-1]["status"] in ("completed", "failed", "expired", "cancelled"):
            return seen
        clock.advance(2)
    raise AssertionError(f"{batch_id} never finished: {seen[-1]}")


def content(client: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/files/{file_id}/content", headers=KEY)
    assert response.status_code == 200, response.text
    return [json.loads(x) for x in response.content.splitlines()]


def error(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    """An error body of ``invalid_request_error`` type."""
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }
