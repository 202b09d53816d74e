"""Check's Pro-plan limits. The rate limit is counted per API key by the shared
:class:`~mockbatch.faults.RateLimiter` (``CheckProvider.default_rate_limit``): every response
carries ``X-RateLimit-*``; nothing is refused unless a scenario sets ``options.rate_limit``."""

from __future__ import annotations

from datetime import timedelta

MAX_ITEMS = 1000  # items per batch (Pro)
MAX_FILE_BYTES = 10 * 1024 * 1024  # upload size (Pro)
MAX_FILE_ITEMS = 100  # items per uploaded file (file-formats page)
MAX_CONTENT = 50_000  # characters per item
FILE_TTL = timedelta(hours=1)  # an uploaded file's lifetime (Pro)
RATE_LIMIT = 200  # requests per minute (Pro)
WINDOW_SECONDS = 60.0  # the rate limit counts per whole clock minute
