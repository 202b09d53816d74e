import json

import httpx

KEY = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}


def run_batch(http: httpx.Client, prompts: dict, sleep) -> dict:  # the client under test
    requests = [{"custom_id": c, "params": {"model": "claude-sonnet-4-5", "max_tokens": 64,
                 "messages": [{"role": "user", "content": p}]}}
                for c, p in prompts.items()]  # fmt: skip
    batch = http.post("/v1/messages/batches", json={"requests": requests}).json()
    while batch["processing_status"] != "ended":
        sleep(5)
        batch = http.get(f"/v1/messages/batches/{batch['id']}").json()
    lines = http.get(batch["results_url"]).text.splitlines()  # an absolute URL on the mock
    return {r["custom_id"]: r["result"]["type"] for r in map(json.loads, lines)}


def test_anthropic_client(mockbatch):
    with httpx.Client(base_url=mockbatch.base_url("anthropic"), headers=KEY) as http:
        got = run_batch(http, {"a": "Hi", "fail-b": "Hey"}, mockbatch.clock.advance)
    assert got == {"a": "succeeded", "fail-b": "errored"}  # fail-...: the magic prefix
    mockbatch.assert_stopped_polling()
    mockbatch.assert_results_read_once()
