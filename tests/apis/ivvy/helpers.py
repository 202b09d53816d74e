"""The iVvy requests the tests share: one call of the batch namespace, and a job."""

from __future__ import annotations

import httpx

from mockbatch import VirtualClock

BATCH = "/ivvy/api/1.0/batch"
DOCS_DONE = "e35e06ee592d17a42dc9e6252a058617"
DOCS_RUNNING = "a7ec88af7d710bf51b188004bb532d77"


def call(client: httpx.Client, action: str, body: object) -> httpx.Response:
    """``POST /ivvy/api/1.0/batch?action=<action>`` with ``body`` as JSON."""
    return client.post(BATCH, params={"action": action}, json=body)


def job(namespace: str = "test", action: str = "ping", **params: object) -> dict[str, object]:
    """One job of a ``run`` body."""
    return {"namespace": namespace, "action": action, "params": params}


SHIPPED_SECONDS = 5
"""The shipped rules finish a created batch's jobs at its third poll, 5 seconds after its run."""


def ready(client: httpx.Client, clock: VirtualClock, async_id: str) -> None:
    """Take a created batch through the shipped timing, seeing it in progress: two ``progress``
    polls at 0, then the clock 5 seconds on, so the next poll (``results``) finds it complete."""
    __tracebackhide__ = True
    for _ in range(2):
        assert call(client, "progress", {"async": async_id}).json() == {"progress": 0}
    clock.advance(SHIPPED_SECONDS)
