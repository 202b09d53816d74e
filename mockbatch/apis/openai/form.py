"""``multipart/form-data`` bodies, parsed by Starlette's form parser (python-multipart).

Handlers run synchronously under the engine's lock, with the body already read, so the parser's
coroutine is run to its end here: with the spool as big as any body the server accepts, every
file part stays in memory and the parser never waits on anything.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from .wire import OpenAIError


class _InMemoryParser(MultiPartParser):
    spool_max_size = 1 << 40  # never spooled to disk: nothing to await


@dataclass(frozen=True, slots=True)
class Upload:
    """A form's text fields and its ``file`` part."""

    fields: Mapping[str, str]
    filename: str | None
    data: bytes | None


def parse_form(content_type: str, body: bytes) -> Upload:
    """The fields and file of a multipart body; OpenAI's 400 when it is not one."""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise OpenAIError(
            400,
            "Invalid Content-Type header (expected multipart/form-data).",
            param=None,
        )

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = _InMemoryParser(Headers({"content-type": content_type}), stream())
    try:
        form = _run(parser.parse())
    except MultiPartException as exc:
        raise OpenAIError(400, f"Could not parse multipart form: {exc.message}") from None
    return _upload(form)


def _upload(form: FormData) -> Upload:
    fields: dict[str, str] = {}
    filename: str | None = None
    data: bytes | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name == "file" and data is None:
                filename = value.filename
                data = value.file.read()
            value.file.close()
        elif name not in fields:
            fields[name] = value
    return Upload(fields, filename, data)


def _run(coroutine: Coroutine[Any, Any, FormData]) -> FormData:
    """Run a coroutine that never suspends to its result."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: FormData = done.value
        return result
    coroutine.close()
    raise RuntimeError("the form parser waited on I/O")
