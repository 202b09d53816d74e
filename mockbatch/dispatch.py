"""The ASGI app of one API: journal, match, validate, hand to the adapter, render.

Every request is journaled before anything can fail. Any error becomes the provider's error
body; an unexpected exception is a mockbatch bug, answered as the provider's 500 and kept in the
journal with its traceback so a test can show it.
"""

from __future__ import annotations

import json
import traceback
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from .apis import NO_BODY, Adapter, Call, Reply
from .errors import ApiError, MethodNotAllowed, NotFound, Violation
from .journal import Entry
from .mock import Mock
from .specs import Spec

DEFAULT_MAX_BODY = 16 * 1024 * 1024


class PayloadTooLarge(ApiError):
    """The request body is over the server's limit; answered before it is read whole."""


class ApiApp:
    """Serves one adapter's routes (mounted under ``/{api}`` or at the root)."""

    def __init__(
        self,
        *,
        mock: Mock,
        adapter: Adapter,
        spec: Spec,
        check_responses: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.mock = mock
        self.adapter = adapter
        self.spec = spec
        self.check_responses = check_responses
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        path = _route_path(scope)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body, too_large = await _read_body(receive, self.max_body)
        entry = self.mock.journal.record(
            time=self.mock.clock.now(),
            api=self.adapter.name,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        try:
            if too_large:
                raise PayloadTooLarge(413, f"request body is over {self.max_body} bytes")
            reply, operation = self._answer(scope["method"], path, headers, body, entry)
        except ApiError as error:
            operation = None
            entry.unmatched = (
                isinstance(error, NotFound | MethodNotAllowed) and entry.operation is None
            )
            entry.violations.extend(error.violations)
            reply = self.adapter.error(error)
        except Exception:  # a bug: never let it reach the client as a traceback
            operation = None
            entry.error = traceback.format_exc()
            reply = self.adapter.error(ApiError(500, "internal error in mockbatch"))
        payload = reply.body if isinstance(reply.body, bytes) else _dump(reply.body)
        entry.status = reply.status
        entry.response = reply.body if not isinstance(reply.body, bytes) else None
        entry.response_headers = {k.lower(): v for k, v in reply.headers.items()}
        if self.check_responses and operation is not None and not isinstance(reply.body, bytes):
            ctype = reply.headers.get("content-type", "application/json")
            entry.violations.extend(operation.validate_response(reply.status, ctype, reply.body))
        await _send(send, reply, payload)

    def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes, entry: Entry
    ) -> tuple[Reply, Any]:
        operation, path_params = self.spec.match(method, path)
        entry.operation = operation.id
        query = parse_qs(entry.query, keep_blank_values=True)
        parsed: Any = NO_BODY
        violations: list[Violation] = []
        media = operation.media_type(headers.get("content-type")) if body else None
        if body and media is not None and (media == "application/json" or media.endswith("+json")):
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError) as exc:
                violations.append(Violation("body", "", f"not valid JSON: {exc}", "json"))
        if not violations:
            violations = operation.validate_request(
                query=query,
                headers=headers,
                path_params=path_params,
                content_type=headers.get("content-type"),
                body=parsed,
                has_body=bool(body),
            )
        call = Call(
            method=method,
            path=path,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            operation=operation,
            json=parsed,
            violations=violations,
        )
        try:
            with self.mock.engine.lock:
                return self.adapter.handle(call), operation
        finally:
            entry.violations.extend(call.violations)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, or its first ``limit`` bytes and True when it is longer (rest discarded)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:  # stop reading: the client gets its 413 without sending the rest
            chunks.append(chunk[: max(0, limit - (size - len(chunk)))])
            return b"".join(chunks), True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def _send(send: Send, reply: Reply, payload: bytes) -> None:
    headers = {"content-type": "application/json", **reply.headers}
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
