"""iVvy's wire vocabulary: the batch actions, the ``specificCode`` table, :class:`IvvyError` and
how any error renders (``{"errorCode", "message", "specificCode", "additionalMessages"?}``, the
HTTP status equal to ``errorCode``).

iVvy documents the specific codes but not their HTTP statuses, nor any code for malformed
requests: those are mockbatch's choices, listed in the README ("iVvy").
"""

from __future__ import annotations

from typing import Any

from ...errors import ApiError, MethodNotAllowed, NotFound
from ...faults import STATUS_TEXT
from .. import Reply

ACTIONS = ("run", "progress", "results", "restart", "repost")
"""The values of the ``action`` query parameter, in the order the errors list them."""

# specificCode -> (HTTP status = errorCode, message)
CODES: dict[int, tuple[int, str]] = {
    23000: (500, "Internal Server Error"),
    23005: (401, "Request is stale"),
    23016: (400, "does not validate"),
    23017: (400, "is required"),
    24091: (500, "The information was not saved"),
    24092: (400, "Incorrect Job Format"),
    24093: (400, "Empty job parameter found"),
    24105: (404, "Could not find batch"),
    24114: (400, "Batch job not completed"),
    24115: (404, "Could not find batch"),
    24448: (400, "The maximum number of jobs can be put on a single request is 200"),
}


class IvvyError(ApiError):
    """An iVvy error with its ``specificCode``."""

    def __init__(
        self, code: int, *, param: str = "", more: list[str] | None = None, status: int = 0
    ) -> None:
        default_status, text = CODES[code]
        message = f"'{param}' {text}" if param else text
        super().__init__(status or default_status, message)
        self.code = code
        self.additional = more or []


def as_ivvy(error: ApiError) -> tuple[IvvyError, dict[str, str]]:
    """Any error as the iVvy error that answers it, with the headers that go with it."""
    if isinstance(error, IvvyError):
        return error, {}
    if isinstance(error, MethodNotAllowed):
        more = ["Every iVvy API call is a POST"]
        return IvvyError(23016, param="method", more=more, status=405), {"allow": "POST"}
    if isinstance(error, NotFound):
        where = "mockbatch serves the batch namespace: POST /api/1.0/batch"
        return IvvyError(23016, param="namespace", more=[where], status=404), {}
    if error.status == 413:
        return IvvyError(23016, param="body", more=[error.message], status=413), {}
    # injected faults (429, 5xx) and mockbatch's own bugs
    found = IvvyError(23000, status=error.status if error.status >= 400 else 500)
    found.message = STATUS_TEXT.get(found.status, found.message)
    return found, {}


def render_error(error: ApiError) -> Reply:
    """``error`` in iVvy's format."""
    found, headers = as_ivvy(error)
    body: dict[str, Any] = {
        "errorCode": found.status,
        "message": found.message,
        "specificCode": found.code,
    }
    if found.additional:
        body["additionalMessages"] = found.additional
    return Reply(found.status, body, headers)
