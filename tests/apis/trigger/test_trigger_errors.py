"""Trigger.dev errors: each route's 401 bodies, 404s and their retry header, and every way a
batch or its items can be refused, in the provider's words; then scenario checks."""

from __future__ import annotations

import httpx

from mockbatch import LoadError, Scenario
from mockbatch.apis.trigger import TriggerProvider
from mockbatch.mock import Mock

from .helpers import API, KEY, NDJSON, create, line, retrieve, stream

BUILDER = ("Invalid or Missing API key", "Invalid API key")
LEGACY = ("Invalid or Missing API key", "Invalid or Missing API key")
RESULTS = ("Invalid or Missing API Key", "Invalid or Missing API Key")
ROUTES = [
    # method, path, (401 without a key, 401 with a key that is no secret key)
    ("POST", "/v3/batches", BUILDER),
    ("POST", "/v2/tasks/batch", BUILDER),
    ("POST", "/v1/tasks/batch", BUILDER),
    ("POST", "/v1/tasks/my-task/batch", LEGACY),
    ("POST", "/v3/batches/batch_1234/items", ("Invalid API Key", "Invalid API Key")),
    ("GET", "/v1/batches/batch_1234", BUILDER),
    ("GET", "/v2/batches/batch_1234", BUILDER),
    ("GET", "/v1/batches/batch_1234/results", RESULTS),
    ("GET", "/v1/runs", LEGACY),
    ("GET", "/v1/runs/run_x/result", RESULTS),
]


def test_each_route_refuses_missing_and_invalid_keys_its_own_way(client: httpx.Client) -> None:
    for method, path, (missing, invalid) in ROUTES:
        ctype = {"Content-Type": "application/x-ndjson"} if path.endswith("/items") else {}
        cases: list[tuple[str, dict[str, str]]] = [
            (missing, {}),
            (missing, {"Authorization": ""}),
            (invalid, {"Authorization": "Bearer sk_live_not_trigger"}),
        ]
        for expected, headers in cases:
            response = client.request(method, f"{API}{path}", headers={**ctype, **headers})
            assert (response.status_code, response.json()) == (401, {"error": expected}), path
        for prefix in ("tr_dev_", "tr_prod_", "tr_stg_", "tr_preview_"):
            key = {"Authorization": f"Bearer {prefix}abc"}
            accepted = client.request(method, f"{API}{path}", headers={**ctype, **key})
            assert accepted.status_code != 401, (path, prefix)


def test_unknown_batches_are_404_with_retry_only_on_retrieve(client: httpx.Client) -> None:
    for version in (1, 2):
        response = client.get(f"{API}/v{version}/batches/batch_nope", headers=KEY)
        assert (response.status_code, response.json()) == (404, {"error": "Not found"})
        assert response.headers["x-should-retry"] == "true"

    results = client.get(f"{API}/v1/batches/batch_nope/results", headers=KEY)
    assert (results.status_code, results.json()) == (404, {"error": "Batch not found"})
    assert "x-should-retry" not in results.headers

    run = client.get(f"{API}/v1/runs/run_cnope/result", headers=KEY)
    assert (run.status_code, run.json()) == (
        404,
        {"error": "Run either doesn't exist or is not finished"},
    )
    unfinished = retrieve(client, "batch_processing")["runs"][2]
    response = client.get(f"{API}/v1/runs/{unfinished}/result", headers=KEY)
    assert response.status_code == 404  # poll 2 of batch_processing: its last run finishes at 3


def test_unknown_batch_in_a_runs_filter_lists_nothing(client: httpx.Client) -> None:
    response = client.get(f"{API}/v1/runs", headers=KEY, params={"filter[batch]": "batch_nope"})
    assert response.json() == {"data": [], "pagination": {}}


# -- create -----------------------------------------------------------------------------------


CREATE_REFUSED = [
    ({"runCount": 0}, 'Validation error: 0 is less than the minimum of 1 at "runCount"'),
    ({"runCount": "2"}, "Validation error: '2' is not of type 'integer' at \"runCount\""),
    ({}, "Validation error: 'runCount' is a required property"),
    ({"runCount": 1001}, "Batch runCount of 1001 exceeds maximum allowed of 1000."),
    ([1], "Validation error: Expected object, received array"),
    (0, "Invalid JSON"),
]


def test_create_refuses_bad_bodies(client: httpx.Client) -> None:
    for body, message in CREATE_REFUSED:
        response = client.post(f"{API}/v3/batches", headers=KEY, json=body)
        assert (response.status_code, response.json()) == (400, {"error": message})


def test_create_refuses_empty_broken_and_oversized_bodies(client: httpx.Client) -> None:
    url = f"{API}/v3/batches"
    json_type = {**KEY, "Content-Type": "application/json"}
    empty = client.post(url, headers=json_type, content=b"")
    assert (empty.status_code, empty.json()) == (400, {"error": "Request body is empty"})
    broken = client.post(url, headers=json_type, content=b'{"runCount": ')
    assert (broken.status_code, broken.json()) == (400, {"error": "Invalid JSON"})
    padded = b'{"runCount": 1, "pad": "' + b"x" * 131_072 + b'"}'
    big = client.post(url, headers=json_type, content=padded)
    assert (big.status_code, big.json()) == (413, {"error": "Request body too large"})


def test_create_reads_json_whatever_its_content_type(client: httpx.Client, mock: Mock) -> None:
    response = client.post(
        f"{API}/v3/batches",
        headers={**KEY, "Content-Type": "text/plain"},
        content=b'{"runCount": 1}',
    )
    assert response.status_code == 202  # as the provider; the journal notes the content type
    entry = mock.journal.entries()[-1]
    assert [v.keyword for v in entry.violations] == ["contentType"]


# -- items ------------------------------------------------------------------------------------


def test_items_need_ndjson_before_anything_else(client: httpx.Client) -> None:
    for headers in ({}, {**KEY, "Content-Type": "application/json"}):
        response = client.post(f"{API}/v3/batches/batch_pending/items", headers=headers, json=[])
        assert response.status_code == 415
        assert response.json() == {
            "error": "Content-Type must be application/x-ndjson or application/ndjson"
        }
    plain_ndjson = {**KEY, "Content-Type": "application/ndjson"}
    accepted = client.post(
        f"{API}/v3/batches/batch_pending/items", headers=plain_ndjson, content=line(1, "my-task")
    )
    assert accepted.status_code == 200


def test_items_refused_in_the_providers_words(client: httpx.Client) -> None:
    batch_id = create(client, 2).json()["id"]
    cases = [
        ("batch_nope", line(0, "t"), 422, "Batch batch_nope not found"),
        (batch_id, line(2, "t"), 422, "Item index 2 exceeds batch runCount 2"),
        (batch_id, '{"index": -1, "task": "t"}\n', 422,
         "Invalid item at index 0: -1 is less than the minimum of 0 at index"),
        (batch_id, '{"task": "t"}\n', 422,
         "Invalid item at index 0: 'index' is a required property"),
        (batch_id, line(0, "t") + "{oops\n", 400,
         "Invalid JSON at line 2: Expecting property name enclosed in double quotes"),
        (batch_id, "", 400, "Request body is required"),
        ("batch_1234", line(0, "t"), 422,
         "Batch batch_1234 is already sealed and cannot accept more items"),
    ]  # fmt: skip
    for target, body, status, message in cases:
        response = client.post(f"{API}/v3/batches/{target}/items", headers=NDJSON, content=body)
        assert (response.status_code, response.json()) == (status, {"error": message}), body
    # items before a bad line stay, as the provider streams them
    assert len(retrieve(client, batch_id)["runs"]) == 1


def test_items_refused_once_a_pending_batch_is_aborted(client: httpx.Client) -> None:
    batch_id = create(client, 2).json()["id"]
    stream(client, batch_id, line(0, "abort-task"))
    assert retrieve(client, batch_id)["status"] == "PENDING"  # aborted at the second poll
    assert retrieve(client, batch_id)["status"] == "ABORTED"

    late = stream(client, batch_id, line(1, "my-task"))

    assert (late.status_code, late.json()) == (
        422,
        {"error": f"Batch {batch_id} is not in PENDING status (current: ABORTED)"},
    )


# -- one-shot routes --------------------------------------------------------------------------


def test_one_shot_routes_refuse_empty_and_oversized_batches(client: httpx.Client) -> None:
    many = {"items": [{"task": "t"}] * 501}
    for path in ("/v2/tasks/batch", "/v1/tasks/batch"):
        empty = client.post(f"{API}{path}", headers=KEY, json={"items": []})
        assert empty.json() == {"error": "Batch cannot be triggered with no items"}
        big = client.post(f"{API}{path}", headers=KEY, json=many)
        assert big.json() == {
            "error": "Batch size of 501 is too large. Maximum allowed batch size is 500."
        }
        untyped = client.post(f"{API}{path}", headers=KEY, json={"items": [{"payload": 1}]})
        assert untyped.status_code == 400
        assert untyped.json()["error"].startswith("Validation error: 'task' is a required")

    long_key = {**KEY, "idempotency-key": "k" * 2049}
    headers = client.post(
        f"{API}/v1/tasks/batch", headers=long_key, json={"items": [{"task": "t"}]}
    )
    assert headers.status_code == 400
    assert headers.json()["error"] == "Headers Error"
    assert headers.json()["details"][0]["path"] == ["idempotency-key"]

    task_route = f"{API}/v1/tasks/my-task/batch"
    cases = [
        ({"items": []}, "No items to trigger"),
        ({"items": [{}] * 101}, "Too many items. Maximum allowed batch size is 100."),
        ({"items": "nope"}, "Invalid request body"),
    ]
    for body, message in cases:
        response = client.post(task_route, headers=KEY, json=body)
        assert (response.status_code, response.json()) == (400, {"error": message})


# -- runs list --------------------------------------------------------------------------------


def test_runs_list_refuses_bad_queries(client: httpx.Client) -> None:
    cases = [
        ("page[size]", "0", "0 is less than the minimum of 1"),
        ("page[size]", "101", "101 is greater than the maximum of 100"),
        ("filter[status]", "COMPLETED,DONE", "does not match"),
    ]
    for name, value, message in cases:
        response = client.get(f"{API}/v1/runs", headers=KEY, params={name: value})
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "Query Error"
        assert message in body["details"][0]["message"]
        assert body["details"][0]["path"] == [name]


def test_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.delete(f"{API}/v2/batches/batch_1234", headers=KEY)
    assert (response.status_code, response.json()) == (405, {"error": "Method not allowed"})
    assert response.headers["allow"] == "GET"


# -- scenarios ----------------------------------------------------------------------------------


def problems(text: str) -> list[str]:
    try:
        scenario = Scenario.from_text("api: trigger\n" + text, source="t.yaml")
    except LoadError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in TriggerProvider.check_scenario(scenario)]


def test_scenario_checks_ids_tasks_and_errors() -> None:
    found = problems(
        "batches:\n"
        "  - id: job_1\n"
        "    items:\n"
        "      - id: r1\n"
        "        input: {payload: 1}\n"
        "        error: {type: BUILT_IN_ERROR, message: no name}\n"
    )
    assert found == [
        "t.yaml:3: batches[0].id: 'job_1' is not a Trigger.dev batch ID"
        " (valid: batch_ and letters or digits, e.g. batch_1234)",
        "t.yaml:5: batches[0].items[0].id: 'r1' is not a run ID"
        " (valid: run_ and letters or digits)",
        "t.yaml:6: batches[0].items[0].input: an item's input needs its task identifier"
        " (valid: {task: my-task, payload: ..., options: ...})",
        "t.yaml:7: batches[0].items[0].error: not a Trigger.dev TaskRunError (valid: a string,"
        " or {type: BUILT_IN_ERROR, name, message, stackTrace} | {type: CUSTOM_ERROR, raw}"
        " | {type: STRING_ERROR, raw} | {type: INTERNAL_ERROR, code, message?})",
    ]


def test_scenario_checks_rules_meta_and_options() -> None:
    found = problems(
        "batches:\n"
        "  - id: batch_1\n"
        "    meta: {runCount: 0, owner: me}\n"
        "    items:\n"
        "      - input: {task: t}\n"
        "rules:\n"
        "  - match: {namespace: x}\n"
        "    error: {type: INTERNAL_ERROR, code: NOT_A_CODE}\n"
        "options:\n"
        "  abort: [{match: {task: a}, cancel: {polls: -1}}]\n"
        "  retries: 3\n"
    )
    assert [p.split(": ", 2)[1] for p in found] == [
        "batches[0].meta.runCount",
        "batches[0].meta.owner",
        "rules[0].error",
        "rules[0].match.namespace",
        "options.retries",
        "options.abort[0].cancel.polls",
    ]


def test_shipped_scenario_and_strings_as_errors_pass() -> None:
    assert problems("rules:\n  - match: {task: x}\n    error: just a string\n") == []


def test_a_json_payload_too_deep_to_decode_stays_the_string_it_is(client: httpx.Client) -> None:
    # The mock decodes payloads only to match scenario rules; Trigger.dev stores them as sent.
    deep = "[" * 100_000 + "]" * 100_000
    item = {"task": "my-task", "payload": deep, "options": {"payloadType": "application/json"}}

    response = client.post(f"{API}/v2/tasks/batch", headers=KEY, json={"items": [item]})

    assert response.status_code == 202, response.text
    assert response.json() == {"id": response.json()["id"], "runCount": 1}
