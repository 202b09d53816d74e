"""OpenAI's wire vocabulary: statuses, limits, endpoints, purposes, IDs and the error exception.

The strings are the service's own (``in_progress``, ``batch_output``, ``invalid_request_error``);
the engine's words are mapped to them in :mod:`.status` and nowhere else.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from ...engine import After
from ...errors import ApiError

WINDOW_SECONDS = 86_400  # completion_window "24h", on the mock's clock
MAX_REQUESTS = 50_000  # requests in one batch input file
MAX_BATCH_FILE = 200 * 1024 * 1024  # bytes of a batch input file
MAX_FILE = 512 * 1024 * 1024  # bytes of any file
FILE_TTL = 30 * 86_400  # batch input and output files expire after 30 days
EXPIRES_MIN, EXPIRES_MAX = 3_600, 2_592_000  # expires_after.seconds bounds
MAX_ERRORS = 10  # validation errors listed in errors.data
DEFAULT_FILES_LIMIT, MAX_FILES_LIMIT = 10_000, 10_000
DEFAULT_BATCHES_LIMIT, MAX_BATCHES_LIMIT = 20, 100

VALIDATED = After(polls=2)
"""When validation ends, from the batch's creation: the first retrieve still sees
``validating``, the second ``in_progress`` (or ``failed``)."""
NEVER = After(seconds=1e12)  # past the calendar's end: such a request never finishes

ENDPOINTS = (
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
)
UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
OUTPUT_PURPOSE = "batch_output"


class Status(str, Enum):
    """A batch's ``status``."""

    VALIDATING = "validating"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"
    FINALIZING = "finalizing"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.EXPIRED, Status.CANCELLED})


class OpenAIError(ApiError):
    """An error answered as ``{"error": {"message", "type", "param", "code"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, details={"type": type, "param": param, "code": code})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, **self.details}}


def missing(param: str) -> OpenAIError:
    return OpenAIError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def invalid_value(param: str, value: Any, valid: tuple[str, ...]) -> OpenAIError:
    supported = ", ".join(f"'{v}'" for v in valid)
    return OpenAIError(
        400,
        f"Invalid value: {value!r}. Supported values are: {supported}.",
        param=param,
        code="invalid_value",
    )


def epoch(when: datetime) -> int:
    """Unix seconds (the service's timestamps are whole seconds)."""
    return int(when.astimezone(timezone.utc).timestamp())


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def alnum(hex_digits: str, length: int = 22) -> str:
    """``length`` base-62 characters from a hex token (file IDs look like this)."""
    number = int(hex_digits, 16)
    out = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        out.append(_ALPHABET[digit])
    return "".join(out)


def derived(*parts: object) -> str:
    """A 64-hex-digit token that depends only on ``parts``."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
