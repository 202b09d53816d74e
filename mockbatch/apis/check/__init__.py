"""Check (``/check``): the verification batches of api.check.ai.

``request`` checks the key, parameters and JSON body; ``batches`` creates, lists, reads, pages
and cancels batches; ``files`` keeps uploads (``upload`` parses CSV and JSON files);
``render`` holds the wire vocabulary and the JSON of batches and items; ``errors`` the error
envelope; ``limits`` the Pro plan's limits; ``webhooks`` signed batch events; ``scenario``
checks Check scenarios; ``provider`` serves the routes.
"""

from __future__ import annotations

from .provider import CheckProvider

__all__ = ["CheckProvider"]
