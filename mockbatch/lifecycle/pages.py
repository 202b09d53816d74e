"""Reading results pages and lines the common ways, for the providers' flows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .contract import FlowError, Item, Results
from .session import Exchange, Session, Shown

MAX_PAGES = 100  # a server that always says there is more is stopped somewhere


def offset_pages(
    http: Session,
    path: str,
    *,
    items: str,
    limit: int,
    item: Callable[[dict[str, Any], Exchange], Item],
    show: Shown | None = None,
) -> Results:
    """Every page of ``path?limit=&offset=``: the page's list is its ``items`` key, and its
    ``pagination.hasMore`` says whether another follows."""
    found: list[Item] = []
    exchanges: list[Exchange] = []
    offset = 0
    while len(exchanges) < MAX_PAGES:
        answer = http.request("GET", path, params={"limit": limit, "offset": offset}, show=show)
        answer.expect("read a results page")
        exchanges.append(answer.exchange)
        shown = answer.field(items, list, "read a results page")
        found.extend(item(each, answer.exchange) for each in shown if isinstance(each, dict))
        more = answer.field("pagination", dict, "read a results page").get("hasMore")
        if not more or not shown:
            break
        offset += len(shown)
    return Results(True, tuple(found), tuple(exchanges))


def json_line(text: str, exchange: Exchange) -> Any:
    """One line of a JSONL results file, parsed; a :class:`FlowError` when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        raise FlowError(f"a results line is not JSON: {text[:100]}", exchange) from None
