"""The ASGI app of one API: journal, match, validate, hand to the adapter, render.

Every request is journaled before anything can fail. Any error becomes the provider's error
body; an unexpected exception is a mockbatch bug, answered as the provider's 500 and kept in the
journal with its traceback so a test can show it.
"""

from __future__ import annotations

import asyncio
import math
import traceback
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from . import wirejson
from .apis import NO_BODY, Adapter, Call, Reply
from .errors import ApiError, MethodNotAllowed, NotFound, Violation
from .journal import Entry
from .mock import Mock
from .specs import Memo, Operation, Spec

DEFAULT_MAX_BODY = 16 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # bytes past the limit read (and dropped) before a 413


class PayloadTooLarge(ApiError):
    """The request body is over the server's limit; the connection closes after the answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body is over {limit} bytes", headers={"connection": "close"}
        )


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
        self._validated = Memo()
        self._queries = Memo(size=512)
        mock.caches.extend((self._validated, self._queries))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        path = _route_path(scope)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body, too_large = await read_body(receive, self.max_body)
        entry = self.mock.journal.record(
            time=self.mock.clock.now(),
            api=self.adapter.name,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        operation: Operation | None = None
        extra: dict[str, str] = {}
        try:
            with self.mock.engine.lock:  # every request counts, routed or not
                refusal = self._rate_limit(headers, extra)
            if too_large:
                raise PayloadTooLarge(self.max_body)
            operation, path_params = self.spec.match(scope["method"], path)
            entry.operation = operation.id
            query = self._queries.get(
                entry.query, lambda: _parse_query(entry.query), len(entry.query)
            )
            with self.mock.engine.lock:
                action = self.mock.faults.for_request(self.adapter.name, operation.id, query)
            if action is not None and action.latency:
                entry.outcome = f"delayed {action.latency:g} s (fault)"
                await asyncio.sleep(action.latency)
            if action is not None and action.drop:
                dropped = "connection dropped (fault)"
                entry.outcome = f"{entry.outcome}, then {dropped}" if entry.outcome else dropped
                await _drop(send)
                return
            if refusal is not None:
                raise refusal
            if action is not None and action.status:
                retry = action.retry_after
                raise ApiError(
                    action.status,
                    action.message,
                    details={"retry_after": retry} if retry is not None else {},
                    headers=action.headers(),
                )
            reply = self._answer(operation, path, path_params, query, headers, body, entry)
        except ApiError as error:
            entry.unmatched = operation is None and isinstance(error, NotFound | MethodNotAllowed)
            entry.violations.extend(error.violations)
            reply = self.adapter.error(error)
            reply.headers.update(error.headers)
        except Exception:  # a bug: never let it reach the client as a traceback
            entry.error = traceback.format_exc()
            reply = self.adapter.error(ApiError(500, "internal error in mockbatch"))
        reply.headers.update(extra)
        if reply.raw is not None:
            payload = reply.raw
        else:
            payload = reply.body if isinstance(reply.body, bytes) else wirejson.dumps(reply.body)
        entry.status = reply.status
        entry.response = reply.body if not isinstance(reply.body, bytes) else None
        entry.response_headers = {k.lower(): v for k, v in reply.headers.items()}
        self.mock.journal.answered(entry, len(payload))
        if self.check_responses and operation is not None and not isinstance(reply.body, bytes):
            ctype = reply.headers.get("content-type", "application/json")
            entry.violations.extend(operation.validate_response(reply.status, ctype, reply.body))
        self.mock.outbox.poke()  # a poll may have completed a batch that calls back
        await _send(send, reply, payload)

    def _answer(
        self,
        operation: Operation,
        route_path: str,
        path_params: dict[str, str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        entry: Entry,
    ) -> Reply:
        parsed: Any = NO_BODY
        content_type = headers.get("content-type")
        media = operation.media_type(content_type) if body else None
        if body and media is not None and (media == "application/json" or media.endswith("+json")):
            try:
                parsed = wirejson.loads(body)
            except ValueError as exc:
                parsed = Violation("body", "", f"not valid JSON: {exc}", "json")

        def validate() -> tuple[Violation, ...]:
            if isinstance(parsed, Violation):
                return (parsed,)
            return tuple(
                operation.validate_request(
                    query=query,
                    headers=headers,
                    path_params=path_params,
                    content_type=content_type,
                    body=parsed,
                    has_body=bool(body),
                )
            )

        key = (
            operation.id,
            entry.query,
            content_type,
            body,
            tuple(path_params.items()),
            tuple(headers.get(name) for name in operation.header_names),
        )
        violations = list(self._validated.get(key, validate, len(body) + len(entry.query)))
        if isinstance(parsed, Violation):
            parsed = NO_BODY
        call = Call(
            method=entry.method,
            path=route_path,
            full_path=entry.path,
            raw_query=entry.query,
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
                return self.adapter.handle(call)
        finally:
            entry.violations.extend(call.violations)

    def _rate_limit(self, headers: dict[str, str], extra: dict[str, str]) -> ApiError | None:
        """Count the request against its key's window; the 429 to answer when over the limit."""
        default = getattr(self.adapter, "default_rate_limit", None)
        limiter = self.mock.rate_limiter(self.adapter.name, default)
        if limiter is None:
            return None
        now = self.mock.clock.now()
        allowed, remaining, reset_in = limiter.take(_api_key(headers), now)
        extra.update(
            {
                "x-ratelimit-limit": str(limiter.limit),
                "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": str(limiter.reset_at(now)),
            }
        )
        if allowed or not limiter.enforce:
            return None
        wait = max(1, math.ceil(reset_in))
        return ApiError(
            429,
            f"Rate limit exceeded. Try again in {wait} seconds.",
            details={"retry_after": wait},
            headers={"retry-after": str(wait)},
        )


def _parse_query(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)


def _api_key(headers: dict[str, str]) -> str:
    """Who a request counts against: its bearer token or iVvy key, else anonymous."""
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    iws = headers.get("x-api-authorization", "")
    if iws.startswith("IWS ") and ":" in iws:
        return iws[4:].split(":", 1)[0]
    return "anonymous"


async def _drop(send: Send) -> None:
    """Start a response and never finish it: the client sees the connection drop."""
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
    )


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path


async def read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The body, or its first ``limit`` bytes and True when it is longer.

    The rest of a longer body is read and thrown away (up to :data:`DRAIN_LIMIT` bytes): a
    server that closes a connection with unread bytes resets it, and the client, still
    sending, may never see the 413 it was answered.
    """
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        chunks.append(chunk[: max(0, limit - size)])
        size += len(chunk)
        more = message.get("more_body", False)
    if size <= limit:
        return b"".join(chunks), False
    while more and size <= limit + DRAIN_LIMIT:
        message = await receive()
        size += len(message.get("body", b""))
        more = message["type"] != "http.disconnect" and message.get("more_body", False)
    return b"".join(chunks), True


async def _send(send: Send, reply: Reply, payload: bytes) -> None:
    headers = {"content-type": "application/json", **reply.headers}
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
