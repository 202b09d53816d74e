"""The results file: JSON Lines, one ``{custom_id, result}`` per request, no blank line.

The file of an ended batch cannot change, so it is made once and kept (batches up to
``FROZEN_MAX_ITEMS`` requests); a bigger one is made as it is sent, in chunks, its head and
size kept once a download has made them (see :mod:`..linefile`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from functools import partial
from typing import Any

from ... import wirejson
from ...engine import Batch
from .. import FROZEN_MAX_ITEMS, Stream, linefile
from .batches import Lifecycle, result_type
from .messages import error, message
from .wire import ResultType

_FILE = "anthropic.results"  # cache: the results file of an ended batch
_HEAD = "anthropic.results_head"  # cache: its head and size, for a batch too big to keep it


def results_file(
    batch: Batch, now: datetime, life: Lifecycle, lock: AbstractContextManager[Any]
) -> bytes | Stream:
    """Every request's line, in the order they were sent, each ending in ``\\n``: kept whole
    for a batch of up to ``FROZEN_MAX_ITEMS`` requests, sent as it is made (chunks under
    ``lock``) for a bigger one."""
    known = batch.cache.get(_FILE)
    if isinstance(known, bytes):
        return known
    if len(batch.items) <= FROZEN_MAX_ITEMS:
        made = b"".join(_lines(batch, now, life))
        batch.cache[_FILE] = made
        return made
    numbered = partial(_numbered, batch, now, life)
    return linefile.stream(batch.cache, _HEAD, numbered, lock)


def _lines(batch: Batch, now: datetime, life: Lifecycle) -> Iterator[bytes]:
    return (text for _, text in _numbered(batch, now, life, 0))


def _numbered(
    batch: Batch, now: datetime, life: Lifecycle, start: int
) -> Iterator[tuple[int, bytes]]:
    """The lines from request ``start`` on, each with the index of the request after it."""
    for i in range(start, len(batch.items)):
        yield i + 1, wirejson.dumps(line(batch, i, now, life)) + b"\n"


def line(batch: Batch, index: int, now: datetime, life: Lifecycle) -> dict[str, Any]:
    """``{custom_id, result}`` of request ``index``."""
    spec = batch.items.spec(index)
    request = spec.input if isinstance(spec.input, Mapping) else {}
    params = request.get("params")
    params = params if isinstance(params, Mapping) else {}
    kind = result_type(batch, index, now, life)
    result: dict[str, Any] = {"type": kind.value}
    if kind is ResultType.SUCCEEDED:
        result["message"] = message(batch.id, index, params, spec.body)
    elif kind is ResultType.ERRORED:
        result["error"] = error(batch.id, index, spec.body)
    return {"custom_id": str(request.get("custom_id", f"request-{index}")), "result": result}
