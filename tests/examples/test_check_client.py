import httpx


def verify_claims(http: httpx.Client, claims: list[str], sleep) -> list[dict]:
    """The client under test: create a batch, poll its results until it is done."""
    batch = http.post("/v1/batch", json={"items": [{"content": c} for c in claims]}).json()
    while True:
        page = http.get(f"/v1/batch/{batch['id']}/results", params={"limit": 100}).json()
        if page["batch"]["status"] in ("completed", "failed", "cancelled"):
            return page["items"]
        sleep(5)


def test_check_client(mockbatch):
    claims = ["The Moon orbits the Earth.", "A myth: goldfish forget in 3 seconds."]
    auth = {"Authorization": "Bearer vfy_test"}
    with httpx.Client(base_url=mockbatch.base_url("check"), headers=auth) as http:
        items = verify_claims(http, claims, sleep=mockbatch.clock.advance)
    assert [i["decision"] for i in items] == ["accept", "reject"]
    mockbatch.assert_stopped_polling()
    mockbatch.assert_poll_rate(max_per_second=1)
