"""What the Runtype tests share: the key, the shipped schedules, a generated batch, and one
function per request they send."""

from __future__ import annotations

import httpx

API = "/runtype/v1"
KEY = {"Authorization": "Bearer rt_test"}
USERS_SCHEDULE = "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
AGENT_SCHEDULE = "0f9e8d7c-6b5a-4493-8281-706f5e4d3c2b"

# 250 records, one finishing per second; every 7th (1-based) fails.
GENERATED = """
api: runtype
batches:
  - id: gen-250
    meta: {flowId: flow_1, flowName: Generated}
    generate:
      count: 250
      input: {record: {id: "rec_{index}", name: "R{position}", type: user}}
      response: {result: {n: "{index}"}}
      fail_every: 7
      error: "boom {position}"
      stagger: {seconds: 1}
"""


def results(client: httpx.Client, batch_id: str, **params: str) -> httpx.Response:
    """``GET /v1/schedules/batch/{batch_id}/results`` with ``params`` as the query."""
    return client.get(f"{API}/schedules/batch/{batch_id}/results", params=params, headers=KEY)


def run_results(client: httpx.Client, run_id: str) -> httpx.Response:
    """``GET /v1/schedules/runs/{run_id}/results``."""
    return client.get(f"{API}/schedules/runs/{run_id}/results", headers=KEY)


def every_page(client: httpx.Client, batch_id: str, **params: str) -> tuple[list[str], int]:
    """The record IDs of every page, in order, and the total the first page announced."""
    seen: list[str] = []
    offset, total = 0, None
    while True:
        page = results(client, batch_id, offset=str(offset), **params).json()
        total = page["pagination"]["total"] if total is None else total
        seen += [r["recordId"] for r in page["data"]]
        if not page["pagination"]["hasMore"]:
            return seen, total
        offset += page["pagination"]["limit"]


def submit(client: httpx.Client, body: object) -> httpx.Response:
    """``POST /v1/batch/flow`` with ``body`` as JSON."""
    return client.post(f"{API}/batch/flow", json=body, headers=KEY)


def status(client: httpx.Client, batch_id: str) -> dict[str, object]:
    """The body of ``GET /v1/batch/status/{batch_id}``."""
    body: dict[str, object] = client.get(f"{API}/batch/status/{batch_id}", headers=KEY).json()
    return body


def cancel(client: httpx.Client, batch_id: str) -> httpx.Response:
    """``POST /v1/batch/cancel/{batch_id}``."""
    return client.post(f"{API}/batch/cancel/{batch_id}", headers=KEY)


def run_now(client: httpx.Client, schedule_id: str) -> httpx.Response:
    """``POST /v1/schedules/{schedule_id}/run-now``."""
    return client.post(f"{API}/schedules/{schedule_id}/run-now", headers=KEY)
