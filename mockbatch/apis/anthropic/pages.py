"""``GET /v1/messages/batches``: newest first, cursor pages by ``after_id`` / ``before_id``.

``after_id`` pages towards older batches (the SDK sends the previous page's ``last_id``),
``before_id`` towards newer ones (its ``first_id``). A cursor naming no listed batch gives an
empty last page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...engine import Batch
from .. import Call
from .batches import DELETED
from .wire import DEFAULT_LIMIT, MAX_LIMIT, AnthropicError


def page_limit(call: Call) -> int:
    """``limit``: 1 to 1000, 20 when not sent."""
    raw = call.arg("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise AnthropicError(400, "limit: Input should be a valid integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise AnthropicError(400, f"limit: Input should be between 1 and {MAX_LIMIT}")
    return limit


def list_page(
    call: Call, batches: list[Batch], render: Callable[[Batch], dict[str, Any]]
) -> dict[str, Any]:
    """The page ``call`` asks for: ``{data, has_more, first_id, last_id}``."""
    limit = page_limit(call)
    after, before = call.arg("after_id") or None, call.arg("before_id") or None  # "": not sent
    if after is not None and before is not None:
        raise AnthropicError(400, "before_id and after_id cannot both be given")
    visible = [b for b in batches if not b.meta.get(DELETED)]
    positions = sorted(  # newest first; at equal times (a still clock) the later created
        range(len(visible)), key=lambda i: (visible[i].created_at, i), reverse=True
    )
    order = [visible[i] for i in positions]
    ids = [b.id for b in order]
    if after is not None:
        start = ids.index(after) + 1 if after in ids else len(ids)
        chosen, has_more = order[start : start + limit], start + limit < len(order)
    elif before is not None:
        end = ids.index(before) if before in ids else 0
        chosen, has_more = order[max(0, end - limit) : end], end - limit > 0
    else:
        chosen, has_more = order[:limit], limit < len(order)
    data = [render(b) for b in chosen]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
