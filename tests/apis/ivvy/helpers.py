"""The iVvy requests the tests share: one call of the batch namespace, and a job."""

from __future__ import annotations

import httpx

BATCH = "/ivvy/api/1.0/batch"
DOCS_DONE = "e35e06ee592d17a42dc9e6252a058617"
DOCS_RUNNING = "a7ec88af7d710bf51b188004bb532d77"


def call(client: httpx.Client, action: str, body: object) -> httpx.Response:
    """``POST /ivvy/api/1.0/batch?action=<action>`` with ``body`` as JSON."""
    return client.post(BATCH, params={"action": action}, json=body)


def job(namespace: str = "test", action: str = "ping", **params: object) -> dict[str, object]:
    """One job of a ``run`` body."""
    return {"namespace": namespace, "action": action, "params": params}
