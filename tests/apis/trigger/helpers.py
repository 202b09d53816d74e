"""Requests the Trigger.dev tests share: what `@trigger.dev/sdk` sends, written out."""

from __future__ import annotations

import json
from typing import Any

import httpx

API = "/trigger/api"
KEY = {"Authorization": "Bearer tr_dev_mockbatch"}
NDJSON = {**KEY, "Content-Type": "application/x-ndjson"}
RUN_ID = r"run_c[0-9a-z]{24}"
BATCH_ID = r"batch_c[0-9a-z]{24}"


def line(index: int, task: str, payload: Any = None) -> str:
    """One NDJSON item as the SDK writes it (superjson payload, trailing newline)."""
    item: dict[str, Any] = {"index": index, "task": task}
    if payload is None:
        item["options"] = {"payloadType": "application/json"}
    else:
        packed = json.dumps({"json": payload}, separators=(",", ":"))
        item["payload"] = packed
        item["options"] = {
            "payloadType": "application/super+json",
            "payloadSize": len(packed.encode()),
        }
    return json.dumps(item, separators=(",", ":")) + "\n"


def create(client: httpx.Client, run_count: int, **extra: Any) -> httpx.Response:
    return client.post(f"{API}/v3/batches", headers=KEY, json={"runCount": run_count, **extra})


def stream(client: httpx.Client, batch_id: str, *lines: str) -> httpx.Response:
    return client.post(f"{API}/v3/batches/{batch_id}/items", headers=NDJSON, content="".join(lines))


def trigger(client: httpx.Client, task: str, payloads: list[Any]) -> str:
    """A two-phase batch with every item sent in one request; its ID."""
    batch_id: str = create(client, len(payloads)).json()["id"]
    sent = stream(client, batch_id, *(line(i, task, p) for i, p in enumerate(payloads)))
    assert sent.json()["sealed"] is True
    return batch_id


def retrieve(client: httpx.Client, batch_id: str, version: int = 2) -> dict[str, Any]:
    response = client.get(f"{API}/v{version}/batches/{batch_id}", headers=KEY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def results(client: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/v1/batches/{batch_id}/results", headers=KEY)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def runs(
    client: httpx.Client,
    batch: str | None = None,
    *,
    size: int | None = None,
    after: str | None = None,
    before: str | None = None,
    status: str | None = None,
    task: str | None = None,
) -> dict[str, Any]:
    """One page of ``GET /api/v1/runs`` as ``runs.list()`` asks for it."""
    query = {
        "filter[batch]": batch,
        "filter[status]": status,
        "filter[taskIdentifier]": task,
        "page[size]": size,
        "page[after]": after,
        "page[before]": before,
    }
    params = {k: v for k, v in query.items() if v is not None}
    response = client.get(f"{API}/v1/runs", headers=KEY, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
