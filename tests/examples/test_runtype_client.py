import httpx


def process(http: httpx.Client, record_ids: list[str], sleep) -> list[dict]:
    """The client under test: submit a batch, wait for it, page through its results."""
    flow = {"flowId": "flow_12345abcde", "recordIds": record_ids}
    batch = http.post("/v1/batch/flow", json=flow).json()["batchExecutionId"]
    while http.get(f"/v1/batch/status/{batch}").json()["status"] == "running":
        sleep(5)
    records, more = [], True
    while more:
        page = http.get(f"/v1/schedules/batch/{batch}/results?limit=2&offset={len(records)}")
        records, more = records + page.json()["data"], page.json()["pagination"]["hasMore"]
    return records


def test_runtype_client(mockbatch):
    auth = {"Authorization": "Bearer rt_test"}
    with httpx.Client(base_url=mockbatch.base_url("runtype"), headers=auth) as http:
        records = process(http, ["rec_98765zyxwv", "rec_13579fghij"], mockbatch.clock.advance)
    assert [r["status"] for r in records] == ["completed", "failed"]
    mockbatch.assert_stopped_polling()
    mockbatch.assert_results_read_once()
