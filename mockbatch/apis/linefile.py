"""A big file of lines (a million results), sent as its lines are made, never whole in memory.

The first download is sent without a ``content-length`` (chunked), so its first lines cost
making them alone, not a pass over the whole file to count its size first. What that download
learns is kept in the batch's cache: the file's head (its first :data:`HEAD_BYTES` of whole
lines, so that a later download's first lines cost only sending them) and, once a download has
gone to the end, the file's size (a later download's ``content-length``, and what a File
object says). The lines of a file must not change while it is kept (an ended batch's results).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from . import STEP, Stream, chunked

HEAD_BYTES = 64 * 1024
FIRST_CHUNK = 2 * 1024  # the first chunk of made lines; each next one twice as big, to 16 KiB

# The file's lines from a position on (0: the start): each with the position its next line
# is made from (e.g. the index of the request after the line's).
Lines = Callable[[int], Iterable[tuple[int, bytes]]]


@dataclass(slots=True)
class Head:
    """What downloads of a file learnt: its first lines (``data``), the position the rest is
    made from, and its size."""

    data: bytes
    rest: int
    size: int | None = None


def stream(
    cache: MutableMapping[str, Any], key: str, lines: Lines, lock: AbstractContextManager[Any]
) -> Stream:
    """The file whose lines ``lines`` makes, as a :class:`Stream` (its length once known);
    what it learns is kept in ``cache[key]``."""
    head = _head(cache, key)
    size = head.size if head is not None else None
    return Stream(_chunks(cache, key, head, lines), size, lock)


def known_size(cache: MutableMapping[str, Any], key: str) -> int | None:
    """The file's size, if a download (or :func:`count`) has learnt it."""
    head = _head(cache, key)
    return head.size if head is not None else None


def count(cache: MutableMapping[str, Any], key: str, lines: Lines) -> int:
    """The file's size, counted now (a pass over its lines) if no download learnt it."""
    size = known_size(cache, key)
    if size is None:
        size = sum(map(len, _chunks(cache, key, _head(cache, key), lines)))
    return size


def _head(cache: MutableMapping[str, Any], key: str) -> Head | None:
    head = cache.get(key)
    return head if isinstance(head, Head) else None


def _chunks(
    cache: MutableMapping[str, Any], key: str, head: Head | None, lines: Lines
) -> Iterator[bytes]:
    """The file in chunks: the kept head as it is, then the lines made; the size kept."""
    if head is None:
        yield from chunked(_first(cache, key, lines), first=FIRST_CHUNK, step=STEP)
        return
    yield head.data  # in one piece, as a file small enough to keep is sent
    size = len(head.data)
    for chunk in chunked((line for _, line in lines(head.rest)), first=FIRST_CHUNK, step=STEP):
        size += len(chunk)
        yield chunk
    head.size = size


def _first(cache: MutableMapping[str, Any], key: str, lines: Lines) -> Iterator[bytes]:
    """Every line, its head and (at the end) the file's size kept as they are learnt."""
    held: list[bytes] | None = []
    held_bytes = size = rest = 0
    made = None
    for after, line in lines(0):
        if held is not None:
            if held_bytes + len(line) <= HEAD_BYTES:
                held.append(line)
                held_bytes += len(line)
                rest = after
            else:
                made = cache[key] = Head(b"".join(held), rest)
                held = None
        size += len(line)
        yield line
    if made is None:
        made = cache[key] = Head(b"".join(held or ()), rest)
    made.size = size
