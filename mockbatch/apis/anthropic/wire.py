"""Anthropic's wire vocabulary: statuses, result and error types, limits, IDs and times.

The strings are the service's own (``in_progress``, ``canceling``, ``not_found_error``); the
engine's words are mapped to them in ``batches`` and nowhere else. Limits are the documented
ones (see README, "Anthropic Message Batches").
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from ...errors import ApiError

MAX_REQUESTS = 100_000  # requests in one batch
MAX_BATCH_BYTES = 256 * 1024 * 1024  # a create body (the mock's own --max-body comes first)
EXPIRY = timedelta(hours=24)  # a batch not ended by then expires what is left
ARCHIVE = timedelta(days=29)  # results can be downloaded until then
DEFAULT_LIMIT, MAX_LIMIT = 20, 1000  # list page sizes
KEY_PREFIX = "sk-ant-"
VERSIONS = frozenset({"2023-01-01", "2023-06-01", "2026-10-21"})  # documented versions
REMOVED_IN_2026 = ("temperature", "top_p", "top_k")  # refused by the 2026-10-21 Messages API
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class Status(str, Enum):
    """``processing_status`` of a MessageBatch."""

    IN_PROGRESS = "in_progress"
    CANCELING = "canceling"
    ENDED = "ended"


class ResultType(str, Enum):
    """``result.type`` of one line of the results file (and a key of ``request_counts``)."""

    SUCCEEDED = "succeeded"
    ERRORED = "errored"
    CANCELED = "canceled"
    EXPIRED = "expired"


ERROR_TYPES = {  # status -> the documented error type
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
RESULT_ERROR_TYPES = tuple(t for t in ERROR_TYPES.values() if t != "conflict_error")


def error_type(status: int) -> str:
    """The documented type for ``status``; unlisted 4xx are ``invalid_request_error`` and
    unlisted 5xx ``api_error``."""
    return ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


class AnthropicError(ApiError):
    """An error answered as ``{"type": "error", "error": {"type", "message"}, ...}``."""

    def __init__(self, status: int, message: str, *, kind: str | None = None) -> None:
        super().__init__(status, message, details={"type": kind or error_type(status)})


def token(hexdigest: str, length: int) -> str:
    """``01`` and ``length - 2`` base-62 characters from an engine ID (the service's shape)."""
    number = int(hexdigest, 16)
    chars = []
    for _ in range(length - 2):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return "01" + "".join(chars)


@functools.lru_cache(maxsize=8)
def request_stem(seed: int) -> str:
    """12 base-62 characters that a seed's request IDs start with."""
    return token(hashlib.sha256(f"{seed}:request".encode()).hexdigest(), 14)[2:]


def request_id(seed: int, number: int) -> str:
    """The ``number``-th ``request-id`` of a server started with ``seed``: ``req_01`` and 22
    base-62 characters (the service's shape), the seed's stem then ``number`` in ten decimal
    digits. As deterministic as the engine's IDs, and a few string operations instead of a
    SHA-256 and 22 divisions of a 256-bit number on every answer."""
    return f"req_01{request_stem(seed)}{number:010d}"


def iso(when: datetime) -> str:
    """RFC 3339 in UTC with microseconds and ``Z``, as the service's timestamps."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def error_body(kind: str, message: str, request_id: str) -> dict[str, Any]:
    """The error envelope, used for HTTP errors and for ``errored`` results alike."""
    return {
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": request_id,
    }
