"""The Trigger.dev client loop of the soak (``bench/soak.py``): wire it in with

from soak_trigger import trigger
LOOPS["trigger"] = trigger
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from soak import Findings

AUTH = {"authorization": "Bearer tr_dev_soak"}
RANK = {"PENDING": 0, "PROCESSING": 1, "COMPLETED": 2, "PARTIAL_FAILED": 2, "ABORTED": 2}


def _line(index: int) -> str:
    payload = json.dumps({"json": {"n": index}})
    item = {"index": index, "task": "flaky-soak", "payload": payload,
            "options": {"payloadType": "application/super+json"}}  # fmt: skip
    return json.dumps(item) + "\n"


async def trigger(client: httpx.AsyncClient, seen: Findings) -> None:
    """Create a two-phase batch, send its items in two NDJSON requests, retrieve it until it is
    terminal (its status never goes back), then check results and every runs page agree."""
    count = 6
    created = seen.answer(
        await client.post("/trigger/api/v3/batches", json={"runCount": count}, headers=AUTH)
    )
    batch_id = created.json()["id"]
    seen.batches += 1
    ndjson = {**AUTH, "content-type": "application/x-ndjson"}
    for part in (range(3), range(3, count)):
        sent = seen.answer(
            await client.post(
                f"/trigger/api/v3/batches/{batch_id}/items",
                content="".join(_line(i) for i in part),
                headers=ndjson,
            )
        )
    if sent.json().get("sealed") is not True:
        seen.problems.append(f"trigger {batch_id}: not sealed after every item: {sent.text}")
    rank, runs = -1, []
    for _ in range(50):
        body = seen.answer(
            await client.get(f"/trigger/api/v2/batches/{batch_id}", headers=AUTH)
        ).json()
        runs = body["runs"]
        if RANK[body["status"]] < rank or body["runCount"] != count or len(runs) != count:
            seen.problems.append(f"trigger {batch_id}: went back or miscounted: {body}")
        rank = RANK[body["status"]]
        if rank == 2:
            break
    else:
        seen.problems.append(f"trigger {batch_id}: never finished")
    items = seen.answer(
        await client.get(f"/trigger/api/v1/batches/{batch_id}/results", headers=AUTH)
    ).json()["items"]
    if [item["id"] for item in items] != runs or sum(not item["ok"] for item in items) != 3:
        seen.problems.append(f"trigger {batch_id}: results disagree with the batch: {items}")
    listed: list[str] = []
    params = {"filter[batch]": batch_id, "page[size]": "4"}
    while True:
        page = seen.answer(
            await client.get("/trigger/api/v1/runs", params=params, headers=AUTH)
        ).json()
        listed += [run["id"] for run in page["data"]]
        if "next" not in page["pagination"] or len(listed) > count:
            break
        params["page[after]"] = page["pagination"]["next"]
    if listed != runs:
        seen.problems.append(f"trigger {batch_id}: runs pages {listed} != {runs}")
