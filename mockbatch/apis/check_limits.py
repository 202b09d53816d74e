"""Check's Pro-plan limits and the rate-limit headers every response carries.

The rate limit is counted, not stored: the requests an API key made in the current minute are
read back from the request journal (which :meth:`Mock.reset` empties), on the engine's clock.
Windows are whole clock minutes; ``X-RateLimit-Reset`` is when the current one ends.
Nothing is refused with 429: the headers only report the count.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..journal import Journal

MAX_ITEMS = 1000  # items per batch (Pro)
MAX_FILE_BYTES = 10 * 1024 * 1024  # upload size (Pro)
MAX_FILE_ITEMS = 100  # items per uploaded file (file-formats page)
MAX_CONTENT = 50_000  # characters per item
FILE_TTL = timedelta(hours=1)  # an uploaded file's lifetime (Pro)
RATE_LIMIT = 200  # requests per minute (Pro)
WINDOW_SECONDS = 60


def rate_headers(journal: Journal, api: str, key: str | None, now: datetime) -> dict[str, str]:
    """``X-RateLimit-*`` for a request with Authorization ``key`` (None: none sent) at ``now``.

    The request being answered is already in the journal, so it counts itself.
    """
    start = math.floor(now.timestamp() / WINDOW_SECONDS) * WINDOW_SECONDS
    used = 0
    for entry in reversed(journal.entries()):
        if entry.time.timestamp() < start:
            break
        if entry.api == api and entry.headers.get("authorization") == key:
            used += 1
    return {
        "x-ratelimit-limit": str(RATE_LIMIT),
        "x-ratelimit-remaining": str(max(0, RATE_LIMIT - used)),
        "x-ratelimit-reset": str(start + WINDOW_SECONDS),
    }
