import httpx


def run_batch(http: httpx.Client, jobs: list[dict], sleep) -> list[dict]:
    """The client under test: run a batch, poll its progress, read its results."""

    def call(action: str, body: dict) -> dict:
        return http.post("/api/1.0/batch", params={"action": action}, json=body).json()

    batch = {"async": call("run", {"jobs": jobs})["asyncId"]}
    while call("progress", batch)["progress"] < 100:
        sleep(5)
    return call("results", batch)["results"]


def test_ivvy_client(mockbatch):
    jobs = [{"namespace": "contact", "action": "addOrUpdateContact", "params": {"name": "A"}}] * 7
    with httpx.Client(base_url=mockbatch.base_url("ivvy")) as http:
        results = run_batch(http, jobs, sleep=mockbatch.clock.advance)
    assert [r["response"].get("id") for r in results] == [0, 1, 2, 3, 4, 5, None]  # 7th fails
    mockbatch.assert_stopped_polling()
    mockbatch.assert_poll_rate(max_per_second=1)
    mockbatch.assert_results_read_once()
