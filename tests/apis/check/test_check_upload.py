"""Check file uploads: CSV and JSON per the file-formats page, bad rows, parse failures,
limits, and using a fileId (once, within the hour)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from mockbatch import VirtualClock
from mockbatch.mock import Mock

from .helpers import BATCHES, KEY, UPLOAD, results, upload


def items_of(client: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    created = client.post(BATCHES, json={"fileId": file_id}, headers=KEY)
    assert created.status_code == 202, created.text
    items: list[dict[str, Any]] = results(client, created.json()["id"])["items"]
    return items


def parse_failure(*errors: tuple[int, str]) -> dict[str, Any]:
    return {
        "error": "File parsing failed",
        "validationErrors": [{"row": row, "error": error} for row, error in errors],
    }


CSV = (
    b"Content,Idempotency_Key,Context.Source,Context.Page\r\n"
    b"The Earth orbits the Sun.,fact-1,textbook,12\r\n"
    b",fact-2,wiki,\r\n"
    b"\r\n"
    b'"A claim, with a comma\r\nand a second line",,,\r\n'
)


def test_csv_upload_skips_bad_rows_and_makes_a_batch(client: httpx.Client) -> None:
    response = upload(client, "claims.csv", CSV)

    assert response.status_code == 200
    body = response.json()
    file_id = body.pop("fileId")
    assert body == {
        "originalFileName": "claims.csv",
        "format": "csv",
        "itemCount": 2,
        "validationErrors": [{"row": 3, "error": "Content is empty, row skipped"}],
        "expiresAt": "2026-01-01T01:00:00Z",
        "message": "File uploaded with 1 validation warning(s). Items with errors were skipped.",
    }
    items = items_of(client, file_id)
    assert [(i["content"], i["idempotencyKey"], i["itemContext"]) for i in items] == [
        ("The Earth orbits the Sun.", "fact-1", {"Source": "textbook", "Page": "12"}),
        ("A claim, with a comma\r\nand a second line", None, None),
    ]


def test_json_upload_as_a_list_or_an_items_object(client: httpx.Client) -> None:
    rows = [
        {"content": "First claim.", "context": {"source": "wiki"}, "idempotencyKey": "j-1"},
        {"content": ""},
        "not an object",
        {"content": "Bad context.", "context": "wiki"},
        {"idempotencyKey": "j-5"},
        {"content": "Second claim.", "idempotency_key": "j-6"},
    ]
    as_list = upload(client, "claims.json", json.dumps(rows).encode())
    as_object = upload(client, "claims.json", json.dumps({"items": rows}).encode())

    assert (
        as_list.json()["validationErrors"]
        == as_object.json()["validationErrors"]
        == [
            {"row": 2, "error": "Content is empty, row skipped"},
            {"row": 3, "error": "Item is not an object, row skipped"},
            {"row": 4, "error": "Context is not an object, row skipped"},
            {"row": 5, "error": "Content is missing or not text, row skipped"},
        ]
    )
    assert as_list.json()["format"] == "json"
    items = items_of(client, as_object.json()["fileId"])
    assert [(i["content"], i["idempotencyKey"], i["itemContext"]) for i in items] == [
        ("First claim.", "j-1", {"source": "wiki"}),
        ("Second claim.", "j-6", None),
    ]


def test_a_clean_file_is_uploaded_successfully(client: httpx.Client) -> None:
    body = upload(client, "ok.csv", b"content\nOne.\nTwo.\n").json()
    assert (body["itemCount"], body["validationErrors"], body["message"]) == (
        2,
        [],
        "File uploaded successfully",
    )


def test_format_comes_from_the_name_else_the_content_type_else_the_content(
    client: httpx.Client,
) -> None:
    data = b'[{"content": "x"}]'
    assert upload(client, "claims.txt", data, "application/json").json()["format"] == "json"
    assert upload(client, "claims", data).json()["format"] == "json"
    assert upload(client, "claims", b"content\nx\n").json()["format"] == "csv"


def test_files_that_cannot_be_parsed(client: httpx.Client) -> None:
    too_many = "content\n" + "".join(f"claim {n}\n" for n in range(101))
    cases = {
        "no content column": (
            b"text\nhello\n",
            "claims.csv",
            [(1, "Missing required column: content")],
        ),
        "empty file": (b"", "claims.csv", [(1, "File is empty")]),
        "not UTF-8": (
            b"content\n\xff\xfe\n",
            "claims.csv",
            [(1, "File is not UTF-8 text (invalid start byte)")],
        ),
        "invalid JSON": (
            b'[\n{"content": "x"},\n]',
            "c.json",
            [(3, "Invalid JSON: Expecting value")],
        ),
        "JSON not a list": (
            b'{"rows": []}',
            "c.json",
            [(1, 'Expected an array of items or {"items": [...]}')],
        ),
        "101 items": (too_many.encode(), "claims.csv", [(102, "A file holds at most 100 items")]),
        "only bad rows": (
            b"content,idempotencyKey\n,k1\n",
            "claims.csv",
            [(2, "Content is empty, row skipped"), (1, "File contains no valid items")],
        ),
    }
    for case, (data, name, errors) in cases.items():
        response = upload(client, name, data)

        assert (response.status_code, response.json()) == (400, parse_failure(*errors)), case


def test_100_items_fit_in_a_file(client: httpx.Client) -> None:
    data = ("content\n" + "".join(f"claim {n}\n" for n in range(100))).encode()
    assert upload(client, "claims.csv", data).json()["itemCount"] == 100


def test_a_file_over_10_mb_is_413(client: httpx.Client) -> None:
    data = b"content\n" + b"x" * (10 * 1024 * 1024)

    response = upload(client, "big.csv", data)

    assert (response.status_code, response.json()) == (
        413,
        {"error": {"code": "payload_too_large", "message": "File size exceeds maximum of 10 MB"}},
    )


def test_without_a_file_field(client: httpx.Client) -> None:
    documented = {
        "error": {
            "code": "validation_error",
            "message": 'File is required. Use form field name "file".',
        }
    }
    other_field = client.post(UPLOAD, files={"upload": ("c.csv", b"content\nx\n")}, headers=KEY)
    not_multipart = client.post(UPLOAD, json={"file": "content\nx\n"}, headers=KEY)

    assert (other_field.status_code, other_field.json()) == (400, documented)
    assert (not_multipart.status_code, not_multipart.json()) == (400, documented)


def test_a_malformed_multipart_body_is_a_bad_request(client: httpx.Client) -> None:
    response = client.post(
        UPLOAD,
        content=b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\ncontent\nx\n",
        headers={**KEY, "content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (
        "bad_request",
        "Malformed multipart/form-data body: not a complete multipart/form-data body",
    )


def test_a_file_id_works_once(client: httpx.Client) -> None:
    file_id = upload(client, "c.csv", b"content\nx\n").json()["fileId"]
    first = client.post(BATCHES, json={"fileId": file_id}, headers=KEY)

    again = client.post(BATCHES, json={"fileId": file_id}, headers=KEY)

    assert first.status_code == 202
    assert (again.status_code, again.json()["error"]) == (
        409,
        {
            "code": "conflict",
            "message": f"File was already used by {first.json()['id']}; upload it again",
        },
    )


def test_a_file_id_expires_after_an_hour(client: httpx.Client, clock: VirtualClock) -> None:
    early = upload(client, "c.csv", b"content\nx\n").json()["fileId"]
    late = upload(client, "c.csv", b"content\nx\n").json()["fileId"]
    clock.advance(3599)
    assert client.post(BATCHES, json={"fileId": early}, headers=KEY).status_code == 202

    clock.advance(1)

    expired = client.post(BATCHES, json={"fileId": late}, headers=KEY)
    assert (expired.status_code, expired.json()["error"]) == (
        404,
        {"code": "not_found", "message": "File has expired (files can be used for 1 hour)"},
    )


def test_uploaded_files_are_engine_state_that_reset_clears(
    client: httpx.Client, mock: Mock
) -> None:
    file_id = upload(client, "c.csv", b"content\nx\n").json()["fileId"]
    listed = client.get("/__mockbatch/batches", params={"api": "check.files"}).json()["batches"]
    assert [(b["id"], b["item_count"], b["meta"]["format"]) for b in listed] == [
        (file_id, 1, "csv")
    ]
    assert all(b["id"] != file_id for b in client.get(BATCHES, headers=KEY).json()["data"])

    mock.reset()

    missing = client.post(BATCHES, json={"fileId": file_id}, headers=KEY)
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "File not found")
