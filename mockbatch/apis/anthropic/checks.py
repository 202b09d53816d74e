"""The create request's checks: what the service refuses with a 400 at once, and what it
reports later as an ``errored`` result.

A batch's shape (``requests``, each ``custom_id`` and that ``params`` is an object) is checked
when the batch is created: a 400 names the first problem. What is inside ``params`` is checked
per request, as the service does it asynchronously: a malformed Messages request becomes an
``errored`` result with an ``invalid_request_error``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import NO_BODY, Call
from .wire import MAX_BATCH_BYTES, MAX_REQUESTS, REMOVED_IN_2026, AnthropicError

CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
ROLES = ("user", "assistant")


def create_requests(call: Call) -> list[dict[str, Any]]:
    """The batch's requests, each ``{custom_id, params}``; a 400 (or 413) names what is wrong."""
    if len(call.body) > MAX_BATCH_BYTES:
        raise AnthropicError(413, f"Request exceeds the maximum size of {MAX_BATCH_BYTES} bytes")
    body = call.json
    unreadable = [v.message for v in call.violations if v.keyword == "json"]
    if body is NO_BODY and unreadable:
        raise AnthropicError(400, unreadable[0])
    if not isinstance(body, dict):
        raise AnthropicError(400, "Request body must be a JSON object")
    requests = body.get("requests")
    if not isinstance(requests, list):
        wrong = "Field required" if requests is None else "Input should be a valid list"
        raise AnthropicError(400, f"requests: {wrong}")
    if not requests:
        raise AnthropicError(400, "requests: List should have at least 1 item")
    if len(requests) > MAX_REQUESTS:
        raise AnthropicError(400, f"requests: List should have at most {MAX_REQUESTS} items")
    unknown = sorted(set(body) - {"requests"})
    if unknown:
        raise AnthropicError(400, f"{unknown[0]}: Extra inputs are not permitted")
    seen: set[str] = set()
    for i, request in enumerate(requests):
        _check_request(i, request, seen)
    return requests


def _check_request(i: int, request: Any, seen: set[str]) -> None:
    where = f"requests.{i}"
    if not isinstance(request, dict):
        raise AnthropicError(400, f"{where}: Input should be an object")
    custom_id, params = request.get("custom_id"), request.get("params")
    if custom_id is None:
        raise AnthropicError(400, f"{where}.custom_id: Field required")
    if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
        raise AnthropicError(
            400, f"{where}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
        )
    if custom_id in seen:
        raise AnthropicError(400, f"{where}.custom_id: duplicate custom_id {custom_id!r}")
    seen.add(custom_id)
    if params is None:
        raise AnthropicError(400, f"{where}.params: Field required")
    if not isinstance(params, dict):
        raise AnthropicError(400, f"{where}.params: Input should be an object")
    unknown = sorted(set(request) - {"custom_id", "params"})
    if unknown:
        raise AnthropicError(400, f"{where}.{unknown[0]}: Extra inputs are not permitted")


def params_problem(params: Mapping[str, Any], version: str) -> str | None:
    """Why the Messages API would refuse ``params`` (None: it would not): the ``errored``
    result's message."""
    model = params.get("model")
    if not isinstance(model, str) or not model:
        return "model: Field required" if model is None else "model: Input should be a string"
    tokens = params.get("max_tokens")
    if tokens is None:
        return "max_tokens: Field required"
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens < 1:
        return "max_tokens: Input should be an integer greater than or equal to 1"
    if params.get("stream") is True:
        return "stream: streaming is not supported in the Message Batches API"
    if version >= "2026-10-21":
        removed = [name for name in REMOVED_IN_2026 if name in params]
        if removed:
            return f"{removed[0]}: Extra inputs are not permitted"
    return _messages_problem(params.get("messages"))


def _messages_problem(messages: Any) -> str | None:
    if messages is None:
        return "messages: Field required"
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        content = message.get("content")
        if not isinstance(content, (str, list)):
            return f"messages.{i}.content: Input should be a string or a list of content blocks"
    return None
