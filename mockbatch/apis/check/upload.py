"""Check's batch files: the multipart ``file`` field, then CSV or JSON rows as items.

Formats (Check's file-formats page): CSV with a header row (names case-insensitive), a
required ``content`` column, an optional ``idempotencyKey`` or ``idempotency_key`` column and
``context.*`` columns folded into ``context``; JSON as ``[items]`` or ``{"items": [...]}``.
Rows are numbered as records from 1 (a CSV header is row 1, its first data row row 2; a JSON
file's first item is row 1). A bad row is skipped with a warning; a file that cannot be read at
all raises :class:`ParseFailed`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ... import wirejson
from .limits import MAX_CONTENT, MAX_FILE_ITEMS

RowError = dict[str, Any]
MAX_WARNINGS = 100


class MalformedBody(Exception):
    """The body says multipart/form-data but is not."""


class ParseFailed(Exception):
    """The file cannot be used; ``errors`` are its row errors."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors[0]["error"])
        self.errors = errors


@dataclass(frozen=True, slots=True)
class FilePart:
    """The ``file`` field of a form."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class Parsed:
    """The usable items of a file and the rows that were skipped."""

    format: str
    items: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # the first MAX_WARNINGS
    skipped: int = 0


def file_part(content_type: str | None, body: bytes) -> FilePart | None:
    """The ``file`` field of a multipart/form-data body, or None when there is none."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "multipart/form-data" or content_type is None:
        return None
    import email.parser  # (about 4 ms of imports: an upload's, not every start-up's)
    import email.policy

    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise MalformedBody("not a complete multipart/form-data body")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            data = part.get_payload(decode=True)
            ctype = part.get_content_type() if "content-type" in part else None
            return FilePart(part.get_filename(), ctype, data if isinstance(data, bytes) else b"")
    return None


def file_format(part: FilePart) -> str:
    """``csv`` or ``json``: by file name, else content type, else the first character."""
    name = (part.filename or "").lower()
    for fmt in ("csv", "json"):
        if name.endswith(f".{fmt}") or (part.content_type or "").endswith(f"/{fmt}"):
            return fmt
    return "json" if part.data.lstrip()[:1] in (b"[", b"{") else "csv"


def parse(part: FilePart) -> Parsed:
    """The file's items, or :class:`ParseFailed`."""
    fmt = file_format(part)
    try:
        text = part.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseFailed([{"row": 1, "error": f"File is not UTF-8 text ({exc.reason})"}]) from exc
    parsed = Parsed(fmt)
    rows = _csv_rows(text) if fmt == "csv" else _json_rows(text)
    for row, item in rows:
        problem = _problem(item)
        if problem:
            parsed.skipped += 1
            if len(parsed.warnings) < MAX_WARNINGS:
                parsed.warnings.append({"row": row, "error": f"{problem}, row skipped"})
            continue
        if len(parsed.items) == MAX_FILE_ITEMS:
            raise ParseFailed(
                [{"row": row, "error": f"A file holds at most {MAX_FILE_ITEMS} items"}]
            )
        parsed.items.append(item)
    if not parsed.items:
        raise ParseFailed([*parsed.warnings, {"row": 1, "error": "File contains no valid items"}])
    return parsed


def _csv_rows(text: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ParseFailed([{"row": 1, "error": "File is empty"}]) from None
    except csv.Error as exc:
        raise ParseFailed([{"row": 1, "error": f"Unreadable CSV: {exc}"}]) from exc
    names = [h.lower() for h in header]
    if "content" not in names:
        raise ParseFailed([{"row": 1, "error": "Missing required column: content"}])
    row = 1
    try:
        for cells in reader:
            row += 1
            if any(c.strip() for c in cells):  # blank lines are not rows with errors
                yield row, _csv_item(header, names, cells)
    except csv.Error as exc:
        raise ParseFailed([{"row": row + 1, "error": f"Unreadable CSV: {exc}"}]) from exc


def _csv_item(header: list[str], names: list[str], cells: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {}
    context: dict[str, str] = {}
    for name, lower, value in zip(header, names, cells, strict=False):
        if lower == "content":
            item["content"] = value
        elif lower in ("idempotencykey", "idempotency_key") and value.strip():
            item["idempotencyKey"] = value.strip()
        elif lower.startswith("context.") and len(name) > 8 and value != "":
            context[name[8:]] = value
    item.setdefault("content", "")
    if context:
        item["context"] = context
    return item


def _json_rows(text: str) -> Iterator[tuple[int, Any]]:
    try:
        data = wirejson.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseFailed([{"row": exc.lineno, "error": f"Invalid JSON: {exc.msg}"}]) from exc
    except ValueError as exc:  # too deep, NaN, a lone surrogate
        raise ParseFailed([{"row": 1, "error": f"Invalid JSON: {exc}"}]) from exc
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        message = 'Expected an array of items or {"items": [...]}'
        raise ParseFailed([{"row": 1, "error": message}])
    yield from enumerate(items, 1)


def _problem(item: Any) -> str | None:
    """Why a row cannot be an item, or None."""
    if not isinstance(item, dict):
        return "Item is not an object"
    content = item.get("content")
    if not isinstance(content, str):
        return "Content is missing or not text"
    if not content.strip():
        return "Content is empty"
    if len(content) > MAX_CONTENT:
        return f"Content is longer than {MAX_CONTENT:,} characters"
    if item.get("context") is not None and not isinstance(item["context"], dict):
        return "Context is not an object"
    key = item.get("idempotencyKey", item.get("idempotency_key"))
    if key is not None and not isinstance(key, str):
        return "idempotencyKey is not text"
    return None


def item_input(item: dict[str, Any]) -> dict[str, Any]:
    """A parsed row as a batch item's input: ``content``, then ``context``, ``idempotencyKey``."""
    out: dict[str, Any] = {"content": item["content"]}
    if isinstance(item.get("context"), dict):
        out["context"] = item["context"]
    key = item.get("idempotencyKey", item.get("idempotency_key"))
    if isinstance(key, str) and key:
        out["idempotencyKey"] = key
    return out
