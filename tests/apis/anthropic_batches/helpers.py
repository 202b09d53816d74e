"""Requests and clients the Anthropic tests share: what the SDKs send, written out, and the
official Python SDK pointed at an app in process or over a socket."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import httpx2

from mockbatch.transport import InProcessTransport

API = "/anthropic/v1/messages/batches"
KEY = "sk-ant-mockbatch"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
BEARER = {"authorization": f"Bearer {KEY}", "anthropic-version": "2026-10-21"}
BATCH_ID = r"msgbatch_01[0-9A-Za-z]{22}"
HOST = "http://mockbatch.test"


def params(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    """A valid Messages request's ``params``."""
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def requests(*custom_ids: str) -> list[dict[str, Any]]:
    return [{"custom_id": c, "params": params(f"prompt {c}")} for c in custom_ids]


def create(client: httpx.Client, *custom_ids: str, **headers: str) -> dict[str, Any]:
    """A batch of valid requests, one per ``custom_id``; its MessageBatch."""
    response = client.post(API, json={"requests": requests(*custom_ids)}, headers=HEADERS)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def retrieve(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    response = client.get(f"{API}/{batch_id}", headers=HEADERS)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Bridge(httpx2.BaseTransport):
    """The SDK's client (httpx2) on mockbatch's in-process transport (httpx)."""

    def __init__(self, app: Any) -> None:
        self.inner = InProcessTransport(app)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        sent = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.raw),
            content=request.read(),
        )
        answer = self.inner.handle_request(sent)
        content = answer.read()
        return httpx2.Response(
            answer.status_code, headers=answer.headers.raw, content=content, request=request
        )


def sdk(base_url: str, app: Any = None, **options: Any) -> anthropic.Anthropic:
    """The official client, strict, no retries; in process when ``app`` is given."""
    http = httpx2.Client(transport=Bridge(app)) if app is not None else None
    return anthropic.Anthropic(
        api_key=KEY,
        base_url=base_url,
        http_client=http,
        max_retries=options.pop("max_retries", 0),
        _strict_response_validation=True,
        **options,
    )
