"""The response body each endpoint gives a request that succeeded: deterministic (the same
request in the same batch gets the same bytes), shaped as the SDK's own type for that endpoint
(``ChatCompletion``, ``Response``, ``CreateEmbeddingResponse``, ``Completion``,
``ModerationCreateResponse``), with the request's ``model``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

from .wire import derived

Body = dict[str, Any]
MODERATION = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
DIMENSIONS = 8  # of an embedding, unless the request asks for ``dimensions``


def _reply(custom_id: str) -> str:
    return f"Mock reply to {custom_id}."


def _tokens(value: Any) -> int:
    """A stand-in token count: about one per four characters of the value's text."""
    return max(1, len(str(value)) // 4)


def chat(request: Mapping[str, Any], seed: str, created: int) -> Body:
    body, text = request.get("body", {}), _reply(str(request.get("custom_id")))
    prompt, completion = _tokens(body.get("messages", "")), _tokens(text)
    return {
        "id": "chatcmpl-" + derived(seed, "chat")[:29],
        "object": "chat.completion",
        "created": created,
        "model": body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def responses(request: Mapping[str, Any], seed: str, created: int) -> Body:
    body, text = request.get("body", {}), _reply(str(request.get("custom_id")))
    prompt, completion = _tokens(body.get("input", "")), _tokens(text)
    message = {
        "type": "message",
        "id": "msg_" + derived(seed, "msg")[:48],
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    return {
        "id": "resp_" + derived(seed, "resp")[:48],
        "object": "response",
        "created_at": created,
        "status": "completed",
        "model": body.get("model"),
        "output": [message],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        },
    }


def embeddings(request: Mapping[str, Any], seed: str, created: int) -> Body:
    body = request.get("body", {})
    raw = body.get("input", "")
    inputs = raw if isinstance(raw, list) else [raw]
    size = body.get("dimensions")
    size = size if isinstance(size, int) and 0 < size <= 64 else DIMENSIONS
    data = [
        {"object": "embedding", "index": i, "embedding": _vector(seed, i, size)}
        for i in range(len(inputs))
    ]
    tokens = sum(_tokens(one) for one in inputs)
    return {
        "object": "list",
        "data": data,
        "model": body.get("model"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _vector(seed: str, index: int, size: int) -> list[float]:
    digest = bytes.fromhex(derived(seed, "embedding", index) * 8)
    return [round(v / 2**32 * 2 - 1, 6) for v in struct.unpack(f"<{size}I", digest[: 4 * size])]


def completions(request: Mapping[str, Any], seed: str, created: int) -> Body:
    body, text = request.get("body", {}), _reply(str(request.get("custom_id")))
    prompt, completion = _tokens(body.get("prompt", "")), _tokens(text)
    return {
        "id": "cmpl-" + derived(seed, "cmpl")[:29],
        "object": "text_completion",
        "created": created,
        "model": body.get("model"),
        "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def moderations(request: Mapping[str, Any], seed: str, created: int) -> Body:
    body = request.get("body", {})
    raw = body.get("input", "")
    inputs = raw if isinstance(raw, list) else [raw]
    result = {
        "flagged": False,
        "categories": dict.fromkeys(MODERATION, False),
        "category_scores": dict.fromkeys(MODERATION, 0.0001),
        "category_applied_input_types": {name: ["text"] for name in MODERATION},
    }
    return {
        "id": "modr-" + derived(seed, "modr")[:29],
        "model": body.get("model") or "omni-moderation-latest",
        "results": [result for _ in inputs],
    }


BODIES: dict[str, Callable[[Mapping[str, Any], str, int], Body]] = {
    "/v1/chat/completions": chat,
    "/v1/responses": responses,
    "/v1/embeddings": embeddings,
    "/v1/completions": completions,
    "/v1/moderations": moderations,
}


def usage(body: Mapping[str, Any]) -> tuple[int, int]:
    """(input, output) tokens a response body reports (0, 0 when it reports none)."""
    found = body.get("usage")
    if not isinstance(found, Mapping):
        return 0, 0
    given = found.get("input_tokens", found.get("prompt_tokens", 0))
    made = found.get("output_tokens", found.get("completion_tokens", 0))
    return (given if isinstance(given, int) else 0), (made if isinstance(made, int) else 0)
