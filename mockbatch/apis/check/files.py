"""Check's uploaded files: ``POST /v1/batch/upload`` keeps one, a create with ``fileId`` uses it.

A file is an engine batch under its own API name (``check.files``), its rows as items and its
facts (``originalFileName``, ``format``, ``usedBy``) as meta, so that it is engine state: the
control API lists it and a reset clears it; the provider holds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...context import Context
from ...engine import Batch, ItemSpec
from .. import Call, Reply
from .errors import CheckError, not_found
from .limits import FILE_TTL, MAX_FILE_BYTES
from .render import iso
from .request import bad_request
from .upload import MalformedBody, Parsed, ParseFailed, file_part, item_input, parse

if TYPE_CHECKING:
    from .upload import FilePart

FILES = "check.files"  # the engine API name uploaded files are kept under (ctx.records("files"))


class Files:
    """The uploaded files of one Check API, in the engine under :data:`FILES`."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.records("files")  # the engine API name FILES

    def upload(self, call: Call) -> Reply:
        """Keep the request's ``file`` field's usable rows; answer what was kept."""
        part = self._part(call)
        try:
            parsed = parse(part)
        except ParseFailed as exc:
            failure = {"error": "File parsing failed", "validationErrors": exc.errors}
            raise CheckError(400, "parse_failed", "File parsing failed", body=failure) from exc
        token = self.ctx.ids.next("check.file")
        file_id = f"{token[:8]}-{token[8:12]}-4{token[13:16]}-a{token[17:20]}-{token[20:32]}"
        now = self.ctx.now()
        meta = {"originalFileName": part.filename, "format": parsed.format, "usedBy": None}
        self.store.create(file_id, [ItemSpec(input=item_input(i)) for i in parsed.items], meta)
        body: dict[str, Any] = {
            "fileId": file_id,
            "originalFileName": part.filename,
            "format": parsed.format,
            "itemCount": len(parsed.items),
            "validationErrors": parsed.warnings,
            "expiresAt": iso(now + FILE_TTL),
            "message": _message(parsed),
        }
        return Reply(200, body)

    def _part(self, call: Call) -> FilePart:
        try:
            part = file_part(call.headers.get("content-type"), call.body)
        except MalformedBody as exc:
            raise bad_request(self.ctx, f"Malformed multipart/form-data body: {exc}") from exc
        if part is None:
            message = 'File is required. Use form field name "file".'
            raise CheckError(400, "validation_error", message)
        if len(part.data) > MAX_FILE_BYTES:
            raise CheckError(413, "payload_too_large", "File size exceeds maximum of 10 MB")
        return part

    def usable(self, file_id: Any) -> Batch:
        """File ``file_id`` if a batch may still be made of it: 404 when unknown or past its
        hour, 409 when a batch was already made of it."""
        file = self.store.get(str(file_id))
        if file is None:
            raise not_found("File")
        if self.ctx.now() >= file.created_at + FILE_TTL:
            raise CheckError(404, "not_found", "File has expired (files can be used for 1 hour)")
        used = file.meta.get("usedBy")
        if used:
            raise CheckError(409, "conflict", f"File was already used by {used}; upload it again")
        return file

    def rows(self, file: Batch) -> list[Any]:
        """The inputs of ``file``'s items."""
        return [file.items.spec(i).input for i in range(len(file.items))]

    def use(self, file: Batch, batch_id: str) -> None:
        """Mark ``file`` as used by batch ``batch_id`` (the ID its create gave back)."""
        self.store.set_meta(file, "usedBy", batch_id)


def _message(parsed: Parsed) -> str:
    if not parsed.skipped:
        return "File uploaded successfully"
    return (
        f"File uploaded with {parsed.skipped} validation warning(s). "
        "Items with errors were skipped."
    )
