"""Every refusal of the OpenAI API, with its exact status and body (in process and over a
socket, through the ``client`` fixture)."""

from __future__ import annotations

import httpx
import pytest
from conftest import assert_contract_kept

from mockbatch.mock import Mock

from .helpers import API, CHAT, KEY, batch, create, error, jsonl, upload

INVALID = "invalid_value"
NO_KEY = (
    "You didn't provide an API key. Send it in an Authorization header using Bearer auth"
    " (Authorization: Bearer YOUR_KEY)."
)


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, error(NO_KEY)),
        ({"Authorization": "Basic c2stdGVzdA=="}, error(NO_KEY)),
        (
            {"Authorization": "Bearer not-a-key"},
            error("Incorrect API key provided: not***-key.", code="invalid_api_key"),
        ),
    ],
)
def test_a_missing_or_malformed_key_is_401(
    client: httpx.Client, headers: dict[str, str], body: dict[str, object]
) -> None:
    response = client.get(f"{API}/batches", headers=headers)

    assert (response.status_code, response.json()) == (401, body)


@pytest.mark.parametrize("key", ["sk-abc", "sk-proj-abc", "sk-svcacct-abc"])
def test_every_form_of_key_is_accepted(client: httpx.Client, key: str) -> None:
    response = client.get(f"{API}/batches", headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200


def test_upload_without_a_file_or_purpose(client: httpx.Client) -> None:
    no_file = client.post(f"{API}/files", headers=KEY, data={"purpose": "batch"}, files={"x": b""})
    no_purpose = client.post(f"{API}/files", headers=KEY, files={"file": ("a.jsonl", b"{}")})

    missing = "missing_required_parameter"
    assert (no_file.status_code, no_file.json()) == (
        400,
        error("Missing required parameter: 'file'.", "file", missing),
    )
    assert (no_purpose.status_code, no_purpose.json()) == (
        400,
        error("Missing required parameter: 'purpose'.", "purpose", missing),
    )


def test_upload_with_a_bad_purpose_or_name_or_body(client: httpx.Client) -> None:
    purpose = upload(client, b"{}", purpose="bogus")
    name = upload(client, b"{}", name="in.csv")
    not_form = client.post(f"{API}/files", headers=KEY, json={"purpose": "batch"})

    valid = "'assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'"
    assert (purpose.status_code, purpose.json()) == (
        400,
        error(
            f"Invalid value: 'bogus'. Supported values are: {valid}.", "purpose", "invalid_value"
        ),
    )
    assert (name.status_code, name.json()) == (
        400,
        error("Invalid file format for Batch API. Must be .jsonl"),
    )
    assert (not_form.status_code, not_form.json()) == (
        400,
        error("Invalid Content-Type header (expected multipart/form-data)."),
    )


def test_unknown_files_and_batches_are_404(client: httpx.Client) -> None:
    for path in ("/files/file-nope", "/files/file-nope/content"):
        response = client.get(f"{API}{path}", headers=KEY)
        assert (response.status_code, response.json()) == (
            404,
            error("No such File object: file-nope", "id"),
        )
    deleted = client.delete(f"{API}/files/file-nope", headers=KEY)
    assert deleted.status_code == 404
    for response in (
        client.get(f"{API}/batches/batch_nope", headers=KEY),
        client.post(f"{API}/batches/batch_nope/cancel", headers=KEY),
    ):
        assert (response.status_code, response.json()) == (
            404,
            error("No batch found with id 'batch_nope'.", "batch_id"),
        )


def test_create_with_an_unknown_or_non_batch_file(client: httpx.Client) -> None:
    unknown = create(client, "file-nope")
    other = upload(client, b"hello", purpose="assistants", name="notes.txt").json()["id"]
    wrong = create(client, other)

    assert (unknown.status_code, unknown.json()) == (
        404,
        error("No such File object: file-nope", "id"),
    )
    message = f"File {other} has purpose 'assistants'; a batch needs a file with purpose 'batch'."
    assert (wrong.status_code, wrong.json()) == (400, error(message, "input_file_id"))


def test_create_with_a_wrong_window_or_endpoint(client: httpx.Client) -> None:
    file_id = upload(client, jsonl("a")).json()["id"]
    window = client.post(
        f"{API}/batches",
        headers=KEY,
        json={"input_file_id": file_id, "endpoint": CHAT, "completion_window": "48h"},
    )
    endpoint = create(client, file_id, "/v1/images/generations")

    assert (window.status_code, window.json()) == (
        400,
        error(
            "Invalid value: '48h'. Supported values are: '24h'.",
            "completion_window",
            "invalid_value",
        ),
    )
    assert endpoint.status_code == 400
    assert endpoint.json()["error"]["param"] == "endpoint"
    assert endpoint.json()["error"]["code"] == "invalid_value"
    assert endpoint.json()["error"]["message"].startswith(
        "Invalid value: '/v1/images/generations'. Supported values are: '/v1/chat/completions'"
    )


def test_create_with_a_missing_or_unknown_parameter_or_no_json(client: httpx.Client) -> None:
    missing = client.post(
        f"{API}/batches", headers=KEY, json={"endpoint": CHAT, "completion_window": "24h"}
    )
    unknown = client.post(
        f"{API}/batches",
        headers=KEY,
        json={"input_file_id": "f", "endpoint": CHAT, "completion_window": "24h", "x": 1},
    )
    not_json = client.post(
        f"{API}/batches", headers={**KEY, "content-type": "application/json"}, content=b"{"
    )

    assert (missing.status_code, missing.json()) == (
        400,
        error(
            "Missing required parameter: 'input_file_id'.",
            "input_file_id",
            "missing_required_parameter",
        ),
    )
    assert (unknown.status_code, unknown.json()) == (
        400,
        error("Unrecognized request argument supplied: x"),
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"]["message"].startswith("We could not parse the JSON body")


def test_list_queries_out_of_range(client: httpx.Client) -> None:
    for path in ("/batches?limit=0", "/batches?limit=101", "/files?order=up", "/files?limit=x"):
        response = client.get(f"{API}{path}", headers=KEY)
        body = response.json()["error"]
        assert response.status_code == 400, path
        assert body["type"] == "invalid_request_error" and body["param"] in ("limit", "order")


def test_cancelling_a_finished_batch_is_409_and_not_retried(client: httpx.Client) -> None:
    response = client.post(f"{API}/batches/batch_done/cancel", headers=KEY)

    assert (response.status_code, response.json()) == (
        409,
        error("Cannot cancel a batch with status 'completed'."),
    )
    assert response.headers["x-should-retry"] == "false"


def test_unknown_route_and_method(client: httpx.Client, mock: Mock) -> None:
    route = client.get(f"{API}/nothing", headers=KEY)
    method = client.put(f"{API}/batches", headers=KEY)

    assert (route.status_code, route.json()) == (404, error("Invalid URL: no such route."))
    assert (method.status_code, method.json()) == (405, error("Method not allowed for this URL."))
    assert_contract_kept(mock)


def test_a_bad_input_file_fails_the_batch_naming_each_line(client: httpx.Client) -> None:
    lines = [
        b"not json",
        jsonl("a"),
        jsonl("a"),
        jsonl("b", url="/v1/embeddings"),
        b'{"custom_id": "c", "url": "/v1/chat/completions", "body": {}}',
    ]
    created = batch(client, b"\n".join(lines))
    first = client.get(f"{API}/batches/{created['id']}", headers=KEY).json()
    second = client.get(f"{API}/batches/{created['id']}", headers=KEY).json()

    assert first["status"] == "validating"
    assert second["status"] == "failed"
    assert second["failed_at"] is not None and second["in_progress_at"] is None
    assert second["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert second["errors"] == {
        "object": "list",
        "data": [
            {"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.",
             "param": None, "line": 1},
            {"code": "duplicate_custom_id",
             "message": "The custom_id 'a' is used more than once in this file.",
             "param": "custom_id", "line": 3},
            {"code": "url_mismatch",
             "message": "The url '/v1/embeddings' does not match the batch's endpoint"
             " '/v1/chat/completions'.", "param": "url", "line": 4},
            {"code": "missing_required_parameter",
             "message": "Missing required parameter: 'method'.", "param": "method", "line": 5},
        ],
    }  # fmt: skip


def test_an_empty_file_fails_the_batch(client: httpx.Client) -> None:
    created = batch(client, b"\n")
    client.get(f"{API}/batches/{created['id']}", headers=KEY)
    failed = client.get(f"{API}/batches/{created['id']}", headers=KEY).json()

    assert failed["errors"]["data"] == [
        {"code": "empty_file", "message": "The batch input file is empty.", "param": None,
         "line": None}
    ]  # fmt: skip
