"""Output and error files: their lines made from the batch's items when asked, never stored.

A request that succeeded is a line of the output file; one that failed, expired or was
cancelled is a line of the error file. Lines follow the input's order. Both files are File
objects (``purpose: batch_output``) once the batch is terminal, each only if it has a line.

A batch of up to ``FROZEN_MAX_ITEMS`` requests has its files' sizes counted once. A bigger
one's are learnt by a download that goes to the end (or counted when a File object shows
them): its files are sent without a ``content-length`` until then (see :mod:`..linefile`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ...engine import ItemState
from ...templates import has_placeholders, render
from .. import FROZEN_MAX_ITEMS, Stream, chunked, linefile
from .bodies import BODIES, usage
from .files import FileInfo
from .inputs import dumps, request
from .status import View, counts, requests
from .wire import FILE_TTL, OUTPUT_PURPOSE, Status, alnum, derived, epoch

if TYPE_CHECKING:
    from ...engine import Batch

SIZES = "openai.sizes"  # cache key: (output bytes, error bytes) of a terminal batch
USAGE = "openai.usage"  # cache key: (succeeded count, input tokens, output tokens)
UNRUN = {
    Status.EXPIRED: (
        "batch_expired",
        "This request could not be executed before the completion window expired.",
    ),
    Status.CANCELLED: ("batch_cancelled", "This request was cancelled with its batch."),
}


def file_id(batch: Batch, kind: str) -> str:
    return "file-" + alnum(derived(batch.id, kind))


def lines(batch: Batch, now: datetime, kind: str, status: Status) -> Iterator[bytes]:
    """The lines of the batch's ``output`` or ``error`` file, each ending in a newline."""
    return (text for _, text in _numbered(batch, now, kind, status, 0))


def _numbered(
    batch: Batch, now: datetime, kind: str, status: Status, start: int
) -> Iterator[tuple[int, bytes]]:
    """The file's lines of the requests from index ``start`` on, each with the index of the
    request after its own."""
    wanted = _WANTED[kind]
    for i in range(start, requests(batch)):
        state = batch.state(i, now)
        if state in wanted:
            yield i + 1, dumps(_line(batch, i, now, state, status)) + b"\n"


def _line(batch: Batch, index: int, now: datetime, state: ItemState, status: Status) -> Any:
    line = request(batch, index)
    seed = derived(batch.id, index)
    out: dict[str, Any] = {
        "id": "batch_req_" + seed[:32],
        "custom_id": line.get("custom_id"),
        "response": None,
        "error": None,
    }
    if state is ItemState.CANCELLED:
        code, message = UNRUN.get(status, UNRUN[Status.CANCELLED])
        out["error"] = {"code": code, "message": message}
        return out
    spec = batch.items.spec(index)
    template = spec.body
    if has_placeholders(template):
        template = render(template, index=index, input=line)
    request_id = "req_" + derived(seed, "request")[:32]
    if state is ItemState.FAILED:
        return {**out, **_failure(template, request_id)}
    finished = batch.finished_at(index, now) or now
    out["response"] = {
        "status_code": 200,
        "request_id": request_id,
        "body": success_body(batch, line, seed, epoch(finished), template),
    }
    return out


def success_body(
    batch: Batch, line: Mapping[str, Any], seed: str, created: int, template: Any
) -> Any:
    """The endpoint's body, with a scenario's ``response`` keys over it."""
    made = BODIES[str(batch.meta.get("endpoint"))](line, seed, created)
    if isinstance(template, Mapping):
        made.update(template)
    return made


def _failure(template: Any, request_id: str) -> dict[str, Any]:
    """A failed request: ``{status_code, body}`` is an HTTP error in ``response``; anything else
    (``{code, message}``) the line's ``error``."""
    if isinstance(template, Mapping) and "status_code" in template:
        body = template.get("body", {"error": {"message": "failed", "type": "server_error"}})
        response = {"status_code": template["status_code"], "request_id": request_id}
        return {"response": {**response, "body": body}}
    if isinstance(template, Mapping):
        return {"error": {"code": template.get("code"), "message": template.get("message")}}
    return {"error": {"code": "request_failed", "message": str(template)}}


def files(
    batch: Batch, now: datetime, view: View, *, sized: Collection[str] = ("output", "error")
) -> dict[str, FileInfo]:
    """The batch's output and error files (by kind), once it is terminal. A big batch's file
    of a kind not in ``sized`` may have ``bytes`` None (not known yet)."""
    if not view.status.terminal or view.status is Status.FAILED:
        return {}
    sizes = _sizes(batch, now, view.status, sized)
    created = max(t for t in view.times.values() if t is not None)
    ttl = batch.meta.get("output_ttl") or FILE_TTL
    deleted = batch.meta.get("deleted", ())
    found = {}
    for kind, size in zip(KINDS, sizes, strict=True):
        fid = file_id(batch, kind)
        if size != 0 and fid not in deleted:
            name = f"{batch.id}_{kind}.jsonl"
            found[kind] = FileInfo(fid, size, created, name, OUTPUT_PURPOSE, created + ttl)
    return found


KINDS = ("output", "error")
_WANTED = {"output": (ItemState.SUCCEEDED,), "error": (ItemState.FAILED, ItemState.CANCELLED)}


def _sizes(
    batch: Batch, now: datetime, status: Status, sized: Collection[str]
) -> tuple[int | None, ...]:
    """Each file's bytes: 0 for a file with no line; None for a big batch's file whose size
    is not known yet (and not asked for: its kind not in ``sized``)."""
    if requests(batch) <= FROZEN_MAX_ITEMS:
        sizes = batch.cache.get(SIZES)
        if sizes is None:
            sizes = tuple(sum(map(len, lines(batch, now, k, status))) for k in KINDS)
            batch.cache[SIZES] = sizes
        return tuple(sizes)
    found = counts(batch, now)
    out: list[int | None] = []
    for kind in KINDS:
        if not any(found[state] for state in _WANTED[kind]):
            out.append(0)
        elif kind in sized:
            out.append(linefile.count(batch.cache, _head(kind), _from(batch, now, kind, status)))
        else:
            out.append(linefile.known_size(batch.cache, _head(kind)))
    return tuple(out)


def download(
    batch: Batch, now: datetime, kind: str, status: Status, lock: AbstractContextManager[Any]
) -> Stream:
    """The ``output`` or ``error`` file, sent as its lines are made."""
    if requests(batch) <= FROZEN_MAX_ITEMS:
        size = _sizes(batch, now, status, KINDS)[KINDS.index(kind)]
        return Stream(chunked(lines(batch, now, kind, status)), size, lock)
    return linefile.stream(batch.cache, _head(kind), _from(batch, now, kind, status), lock)


def _head(kind: str) -> str:
    return f"openai.{kind}_head"  # cache key: a big batch's file's head and size


def _from(batch: Batch, now: datetime, kind: str, status: Status) -> linefile.Lines:
    return partial(_numbered, batch, now, kind, status)


def usage_json(batch: Batch, now: datetime, succeeded: int) -> dict[str, Any] | None:
    """Tokens over the requests that succeeded so far (None before the first one)."""
    if not succeeded:
        return None
    known = batch.cache.get(USAGE)
    if known is None or known[0] != succeeded:  # the succeeded set only grows: same count,
        given = made = 0  # same set
        count = requests(batch)
        _, done = batch.select(now, (ItemState.SUCCEEDED,), 0, len(batch.items))
        for i in (i for i in done if i < count):  # the finalizer left out
            body = success_body(batch, request(batch, i), "", 0, batch.items.spec(i).body)
            tokens = usage(body)
            given, made = given + tokens[0], made + tokens[1]
        known = (succeeded, given, made)
        batch.cache[USAGE] = known
    return {
        "input_tokens": known[1],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": known[2],
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": known[1] + known[2],
    }
