"""The results file: JSON Lines, one ``{custom_id, result}`` per request, no blank line.

The file of an ended batch cannot change, so it is made once and kept (batches up to
``FROZEN_MAX_ITEMS`` requests; bigger ones are written afresh on each download, in chunks).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from ... import wirejson
from ...engine import Batch
from .. import FROZEN_MAX_ITEMS, Stream, chunked
from .batches import Lifecycle, result_type
from .messages import error, message
from .wire import ResultType

_FILE = "anthropic.results"  # cache: the results file of an ended batch
_SIZE = "anthropic.results_size"  # cache: its size, for a batch too big to keep it


def results_file(
    batch: Batch, now: datetime, life: Lifecycle, lock: AbstractContextManager[Any]
) -> bytes | Stream:
    """Every request's line, in the order they were sent, each ending in ``\\n``: kept whole
    for a batch of up to ``FROZEN_MAX_ITEMS`` requests, sent as it is made (chunks under
    ``lock``) for a bigger one, whose size is counted once."""
    known = batch.cache.get(_FILE)
    if isinstance(known, bytes):
        return known
    if len(batch.items) <= FROZEN_MAX_ITEMS:
        made = b"".join(_lines(batch, now, life))
        batch.cache[_FILE] = made
        return made
    size = batch.cache.get(_SIZE)
    if not isinstance(size, int):
        size = batch.cache[_SIZE] = sum(map(len, _lines(batch, now, life)))
    return Stream(chunked(_lines(batch, now, life)), size, lock)


def _lines(batch: Batch, now: datetime, life: Lifecycle) -> Iterator[bytes]:
    for i in range(len(batch.items)):
        yield wirejson.dumps(line(batch, i, now, life)) + b"\n"


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
