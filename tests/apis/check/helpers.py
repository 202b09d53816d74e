"""The Check requests the tests share: create a batch, poll it, read its results, upload."""

from __future__ import annotations

from typing import Any

import httpx

BATCHES = "/check/v1/batch"
UPLOAD = "/check/v1/batch/upload"
KEY = {"Authorization": "Bearer vfy_test_key"}
DOCS = "batch_abc123def456"  # the docs' results example (shipped scenario)


def create(client: httpx.Client, *contents: str, **fields: Any) -> dict[str, Any]:
    """Create a batch of ``contents`` (and other body ``fields``): the 202's batch object."""
    items = [{"content": c} for c in contents]
    response = client.post(BATCHES, json={"items": items, **fields}, headers=KEY)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def poll(client: httpx.Client, batch_id: str) -> httpx.Response:
    """``GET /v1/batch/{id}``."""
    return client.get(f"{BATCHES}/{batch_id}", headers=KEY)


def results(client: httpx.Client, batch_id: str, **params: Any) -> dict[str, Any]:
    """A 200 results page of ``batch_id`` with the query ``params``."""
    response = client.get(f"{BATCHES}/{batch_id}/results", params=params, headers=KEY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(
    client: httpx.Client, name: str, data: bytes, ctype: str | None = None
) -> httpx.Response:
    """Upload ``data`` as the ``file`` field, named ``name`` (with ``ctype`` if given)."""
    file = (name, data, ctype) if ctype else (name, data)
    return client.post(UPLOAD, files={"file": file}, headers=KEY)
