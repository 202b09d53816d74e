import json

from openai import OpenAI


def run_batch(client: OpenAI, ids: list[str], sleep) -> list[dict]:
    """The client under test: upload, create a batch, retrieve it until it is done."""
    body = {"model": "text-embedding-3-small", "input": "Hello"}
    reqs = [{"custom_id": i, "method": "POST", "url": "/v1/embeddings", "body": body} for i in ids]
    data = "\n".join(json.dumps(r) for r in reqs).encode()
    upload = client.files.create(file=("requests.jsonl", data), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/embeddings",
                                  completion_window="24h")  # fmt: skip
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        sleep(60)
        batch = client.batches.retrieve(batch.id)
    return [json.loads(x) for x in client.files.content(batch.output_file_id).text.splitlines()]


def test_openai_client(mockbatch):
    client = OpenAI(api_key="sk-test", base_url=mockbatch.base_url("openai") + "/v1")
    lines = run_batch(client, ["q1", "q2"], sleep=mockbatch.clock.advance)
    assert [x["custom_id"] for x in lines] == ["q1", "q2"]
    mockbatch.assert_results_read_once()
