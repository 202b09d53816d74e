"""``mockbatch record``: a proxy that turns a client's run against a provider into a scenario.

``proxy`` forwards and journals; ``book`` is what the answers showed, read by each provider's
``recorder()``; ``writer`` makes the scenario file; ``secrets`` keeps credentials out of it;
``session`` ties them together for the CLI and the tests.
"""

from __future__ import annotations

from .book import Book, Exchange, RecordedBatch, Recorder
from .session import RecordError, Recording

__all__ = ["Book", "Exchange", "RecordError", "RecordedBatch", "Recorder", "Recording"]
