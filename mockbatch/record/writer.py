"""A recording as a scenario file: the batches the client created or read, and faults for the
answers the scenario cannot express, with comments saying where each came from.

Batches the client created are written ``on_create: true``: they exist once a client creates a
batch again, the n-th create getting the n-th of them (engine.Awaited). Batches it only read
exist from the start. Secrets are scrubbed from everything written (see :mod:`.secrets`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from .book import RecordedBatch, RecordedItem, Recorder
from .proxy import Heard, Tape


@dataclass(frozen=True, slots=True)
class Source:
    """Where a recording came from, for the file's header."""

    api: str
    upstream: str
    started: datetime


def scenario_text(source: Source, tape: Tape, recorder: Recorder) -> str:
    """The scenario file of a recording (YAML with comments)."""
    secrets = tape.secrets
    batches = [_batch_block(b, recorder) for b in tape.book.batches.values()]
    scrubbed = [(c, secrets.scrub(d)) for c, d in batches]
    faults, unreplayed = _faults(tape.heard)
    options = secrets.scrub(recorder.options(tape.book))
    head = {"api": source.api, "name": f"recorded-{source.api}"}
    secret_lines = [f"# Secrets: {line}." for line in secrets.summary()]
    text = [*_header(source, tape, unreplayed), *secret_lines, _dump(head)]
    if options:
        text.append(_dump({"options": options}))
    text.append(_block("batches", scrubbed))
    if faults:
        text.append(_block("faults", faults))
    return "\n".join(text).rstrip("\n") + "\n"


def _header(source: Source, tape: Tape, unreplayed: list[str]) -> list[str]:
    created = sum(1 for b in tape.book.batches.values() if b.created)
    read = len(tape.book.batches) - created
    lines = [
        f"# Recorded by `mockbatch record --api {source.api}` from {_public(source.upstream)}",
        f"# on {source.started.isoformat(timespec='seconds')}: {len(tape.heard)} request(s);"
        f" {created} batch(es) the client created, {read} it only read.",
        "# Replay: mockbatch serve THIS_FILE (check it: mockbatch validate THIS_FILE).",
        "# Created batches are `on_create: true`: the n-th batch a client creates is the n-th",
        "# of them (its ID, its items' IDs, inputs and outcomes). Each item finishes at the poll",
        "# of its batch, and the whole seconds since the batch was created, at which the",
        "# provider first showed it finished.",
        *[f"# Not replayed: {line}" for line in unreplayed],
    ]
    return lines


def _public(url: str) -> str:
    """``url`` without credentials or query (either may hold a key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _batch_block(batch: RecordedBatch, recorder: Recorder) -> tuple[list[str], dict[str, Any]]:
    comments = [
        f"{'created' if batch.created else 'read'} by the client; polled {batch.polls} time(s)",
        *batch.notes,
    ]
    data: dict[str, Any] = {"id": batch.id}
    if batch.created:
        data["on_create"] = True
    data.update(recorder.batch_entry(batch))
    unfinished = [i for i, item in enumerate(batch.items) if item.after is None]
    if unfinished:
        comments.append(
            f"items {', '.join(map(str, unfinished))} had not finished when the recording"
            " stopped: they finish after one more poll than the client made"
        )
    data["items"] = [_item(item, batch.polls) for item in batch.items]
    return comments, data


def _item(item: RecordedItem, polls: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if item.key is not None:
        data["id"] = item.key
    data["input"] = item.input
    if item.ok is False:
        data["error"] = item.body if item.body is not None else {}
    elif item.body is not None:
        data["response"] = item.body
    after = item.after if item.after is not None else (polls + 1, 0.0)
    if item.start is not None and item.start != (0, 0.0):
        data["start"] = _after(item.start)
    if after != (0, 0.0):
        data["after"] = _after(after)
    return data


def _after(moment: tuple[int, float]) -> dict[str, Any]:
    polls, seconds = moment
    found: dict[str, Any] = {}
    if polls:
        found["polls"] = polls
    if seconds:
        found["seconds"] = int(seconds) if seconds == int(seconds) else seconds
    return found or {"polls": 0}


def _faults(heard: Sequence[Heard]) -> tuple[list[tuple[list[str], dict[str, Any]]], list[str]]:
    """Faults for the answers the scenario does not replay, numbered as the mock counts the
    requests of their kind; the ones no fault can answer (not an error status), described."""
    seen: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
    merged: dict[tuple[Any, ...], tuple[list[str], dict[str, Any]]] = {}
    unreplayed: list[str] = []
    for h in heard:
        seen[(h.operation, h.kind)] += 1
        if h.replayed:
            continue
        if not 400 <= h.status <= 599:
            unreplayed.append(f"request #{h.seq} ({h.operation}) answered {h.status}")
            continue
        key = (h.operation, h.kind, h.status)
        if key not in merged:
            fault: dict[str, Any] = {"operation": h.operation}
            if h.kind:
                fault["query"] = dict(h.kind)
            fault["on"] = []
            fault["status"] = h.status
            merged[key] = ([], fault)
        comments, fault = merged[key]
        fault["on"].append(seen[(h.operation, h.kind)])
        why = (
            "the upstream failed, the client got this 502"
            if h.failed
            else f"the provider answered {h.status}, which the batches above do not replay"
        )
        comments.append(f"request #{h.seq}: {why}")
    return list(merged.values()), unreplayed


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _block(key: str, entries: Sequence[tuple[list[str], dict[str, Any]]]) -> str:
    """``key:`` and a list of mappings, each preceded by its comment lines."""
    lines = [f"{key}:" if entries else f"{key}: []"]
    for comments, data in entries:
        lines.extend(f"  # {c}" for c in comments)
        lines.extend("  " + line for line in _dump_list(data).splitlines())
    return "\n".join(lines) + "\n"


def _dump_list(data: dict[str, Any]) -> str:
    return yaml.safe_dump([data], sort_keys=False, allow_unicode=True, width=100)
