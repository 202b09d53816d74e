"""Files: uploads kept in the engine (one item-less batch per file), listed with the output and
error files the batches write.

An upload is a batch of this API whose ``meta`` holds the File object's fields (``kind:
file``); its bytes are kept beside it (``Batch.cache``), so the control API shows the record and
a reset forgets both. A scenario may declare a file the same way, its text in ``meta.content``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .wire import (
    EXPIRES_MAX,
    EXPIRES_MIN,
    FILE_TTL,
    MAX_BATCH_FILE,
    MAX_FILE,
    UPLOAD_PURPOSES,
    OpenAIError,
    alnum,
    epoch,
    invalid_value,
    missing,
)

if TYPE_CHECKING:
    from ...context import Context
    from ...engine import Batch
    from .form import Upload

CONTENT = "openai.content"  # the cache key of an upload's bytes


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A File object, and where its bytes come from."""

    id: str
    bytes: int | None  # None: a big batch's file whose size no one has asked for yet
    created_at: int
    filename: str
    purpose: str
    expires_at: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": self.expires_at,
            "status_details": None,
        }


def is_file(batch: Batch) -> bool:
    return batch.meta.get("kind") == "file"


def info(record: Batch) -> FileInfo:
    """The File object of an uploaded (or scenario-declared) file."""
    meta = record.meta
    created = meta.get("created_at")
    return FileInfo(
        id=record.id,
        bytes=len(content(record)),
        created_at=created if isinstance(created, int) else epoch(record.created_at),
        filename=str(meta.get("filename", "upload")),
        purpose=str(meta.get("purpose", "batch")),
        expires_at=meta.get("expires_at"),
    )


def content(record: Batch) -> bytes:
    """An uploaded file's bytes."""
    data = record.cache.get(CONTENT)
    if isinstance(data, bytes):
        return data
    text = record.meta.get("content", "")
    data = text.encode("utf-8") if isinstance(text, str) else b""
    record.cache[CONTENT] = data  # a declared file's text, encoded once
    return data


def upload(ctx: Context, form: Upload, now: datetime) -> Batch:
    """Store an uploaded file; OpenAI's 400 for a missing part or a bad purpose or size."""
    if form.data is None:
        raise missing("file")
    purpose = form.fields.get("purpose")
    if purpose is None:
        raise missing("purpose")
    if purpose not in UPLOAD_PURPOSES:
        raise invalid_value("purpose", purpose, UPLOAD_PURPOSES)
    filename = form.filename or "upload"
    if purpose == "batch" and not filename.lower().endswith(".jsonl"):
        raise OpenAIError(400, "Invalid file format for Batch API. Must be .jsonl")
    limit = MAX_BATCH_FILE if purpose == "batch" else MAX_FILE
    if len(form.data) > limit:
        raise OpenAIError(400, f"File is too large: at most {limit} bytes for purpose {purpose}.")
    created = epoch(now)
    ttl = _expires_after(form.fields) or (FILE_TTL if purpose == "batch" else None)
    meta = {
        "kind": "file",
        "filename": filename,
        "purpose": purpose,
        "created_at": created,
        "expires_at": created + ttl if ttl else None,
    }
    record = ctx.create("file-" + alnum(ctx.ids.next("file")), [], meta)
    record.cache[CONTENT] = form.data
    return record


def _expires_after(fields: dict[str, str] | Any) -> int | None:
    anchor = fields.get("expires_after[anchor]")
    seconds = fields.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise invalid_value("expires_after.anchor", anchor, ("created_at",))
    if seconds is None or not seconds.isdigit():
        raise OpenAIError(
            400,
            "Invalid type for 'expires_after.seconds': expected an integer.",
            param="expires_after.seconds",
            code="invalid_type",
        )
    value = int(seconds)
    if not EXPIRES_MIN <= value <= EXPIRES_MAX:
        raise OpenAIError(
            400,
            f"Invalid 'expires_after.seconds': {value}. It must be between {EXPIRES_MIN}"
            f" and {EXPIRES_MAX}.",
            param="expires_after.seconds",
            code="integer_out_of_range",
        )
    return value


def not_found(file_id: str) -> OpenAIError:
    return OpenAIError(404, f"No such File object: {file_id}", param="id")


def page(
    files: list[FileInfo], *, after: str | None, limit: int, ascending: bool
) -> dict[str, Any]:
    """One page of ``GET /v1/files``: ordered by ``created_at`` (then ID), after a cursor."""
    # stable sorts: files made at the same moment stay in the order they were made
    ordered = sorted(files if ascending else files[::-1], key=lambda f: f.created_at)
    if not ascending:
        ordered.sort(key=lambda f: f.created_at, reverse=True)
    if after is not None:
        ids = [f.id for f in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    shown = ordered[:limit]
    return {
        "object": "list",
        "data": [f.to_json() for f in shown],
        "first_id": shown[0].id if shown else None,
        "last_id": shown[-1].id if shown else None,
        "has_more": len(ordered) > limit,
    }
