"""The result of one request: a deterministic assistant ``Message``, or an error object.

A scenario's ``response`` is a partial message: a string (the reply's text) or a mapping whose
``text`` becomes the one text block and whose other keys (``content``, ``model``,
``stop_reason``, ``usage``...) replace or, for ``usage``, update the defaults. Without one the
reply echoes the request's last user message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .wire import RESULT_ERROR_TYPES, error_body, token

ECHO_CHARS = 200  # how much of the prompt the default reply repeats


def message(batch_id: str, index: int, params: Mapping[str, Any], response: Any) -> dict[str, Any]:
    """The ``Message`` of a succeeded request (``index`` in batch ``batch_id``)."""
    prompt = _prompt_text(params.get("messages"))
    text = f"Mock reply to: {prompt[:ECHO_CHARS]}" if prompt else "Mock reply."
    extra: dict[str, Any] = {}
    if isinstance(response, str):
        text = response
    elif isinstance(response, Mapping):
        extra = dict(response)
        if "text" in extra:
            text = str(extra.pop("text"))
    model = params.get("model")
    usage = {
        "input_tokens": _tokens(prompt + str(params.get("system", ""))),
        "output_tokens": _tokens(text),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "batch",
    }
    usage.update(extra.pop("usage", None) or {})
    return {
        "id": "msg_" + token(_digest("msg", batch_id, index), 24),
        "type": "message",
        "role": "assistant",
        "model": model if isinstance(model, str) else "claude-mock",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
        **extra,
    }


def error(batch_id: str, index: int, body: Any) -> dict[str, Any]:
    """The error response of an ``errored`` request: ``body`` is a message string or
    ``{type, message}`` (type ``api_error`` when not given)."""
    kind, text = "api_error", "Internal server error"
    if isinstance(body, str):
        text = body
    elif isinstance(body, Mapping):
        found = body.get("type")
        kind = found if found in RESULT_ERROR_TYPES else kind
        text = str(body.get("message", text))
    return error_body(kind, text, "req_" + token(_digest("req", batch_id, index), 24))


def _prompt_text(messages: Any) -> str:
    """The text of the last user message (its text blocks joined)."""
    if not isinstance(messages, list):
        return ""
    for entry in reversed(messages):
        if isinstance(entry, Mapping) and entry.get("role") == "user":
            content = entry.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                texts = [b.get("text") for b in content if isinstance(b, Mapping)]
                return " ".join(t for t in texts if isinstance(t, str))
    return ""


def _tokens(text: str) -> int:
    """A stable token count: about four characters a token, at least one."""
    return max(1, (len(text) + 3) // 4)


def _digest(kind: str, batch_id: str, index: int) -> str:
    return hashlib.sha256(f"{kind}:{batch_id}:{index}".encode()).hexdigest()
