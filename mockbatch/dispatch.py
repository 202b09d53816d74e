"""The ASGI app of one API: journal, match, validate, hand to the provider, render.

Every request is journaled before anything can fail. Any error becomes the provider's error
body; an unexpected exception is a mockbatch bug, answered as the provider's 500 and kept in the
journal with its traceback so a test can show it.
"""

from __future__ import annotations

import asyncio
import math
import traceback
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from . import wirejson
from .apis import NO_BODY, Call, Reply, Stream
from .errors import ApiError, MethodNotAllowed, NotFound, Violation
from .faults import Action
from .journal import Entry
from .mock import Mock
from .provider import Provider
from .specs import Memo, Operation, Spec

DEFAULT_MAX_BODY = 16 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # bytes past the limit read (and dropped) before a 413


class PayloadTooLarge(ApiError):
    """The request body is over the server's limit; the connection closes after the answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body is over {limit} bytes", headers={"connection": "close"}
        )


@dataclass(frozen=True, slots=True)
class RateLimit:
    """What the rate limit made of a request: headers for its answer, and the 429 to answer
    instead (None: allowed)."""

    headers: dict[str, str]
    refusal: ApiError | None = None


class ApiApp:
    """Serves one provider's routes (mounted under ``/{api}`` or at the root).

    A request goes through the steps of :meth:`__call__`, in this order: journal it, count it
    against the rate limit, refuse a body over ``max_body`` (413), match the route (404/405),
    apply faults (latency, drop, then the rate limit's 429, then an injected status), parse
    and validate the request, let the provider answer; any error is rendered by the provider.
    """

    def __init__(
        self,
        *,
        mock: Mock,
        provider: Provider,
        spec: Spec,
        check_responses: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.mock = mock
        self.provider = provider
        self.spec = spec
        self.check_responses = check_responses
        self.max_body = max_body
        self._validated = Memo()
        self._queries = Memo(size=512)
        mock.caches.extend((self._validated, self._queries))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body, too_large = await read_body(receive, self.max_body)
        entry = self._record(scope, headers, body)
        limit = self._rate_limit(headers)
        try:
            reply = await self._serve(scope, headers, body, entry, too_large, limit.refusal)
        except ApiError as error:
            reply = self._refused(error, entry)
        except Exception:  # a bug: never let it reach the client as a traceback
            entry.error = traceback.format_exc()
            reply = self.provider.error(ApiError(500, "internal error in mockbatch"))
        if reply is None:
            await _drop(send)
            return
        reply.headers.update(limit.headers)
        payload = self._journal_answer(reply, entry)
        self.mock.outbox.poke()  # a poll may have completed a batch that calls back
        await _send(send, reply, payload, receive)

    def _record(self, scope: Scope, headers: dict[str, str], body: bytes) -> Entry:
        """Journal the request first, so that nothing is lost whatever happens next."""
        return self.mock.journal.record(
            time=self.mock.clock.now(),
            api=self.provider.name,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )

    def _rate_limit(self, headers: dict[str, str]) -> RateLimit:
        """Count the request against its key's window (every request counts, routed or not)."""
        with self.mock.engine.lock:
            limiter = self.mock.rate_limiter(self.provider.name, self.provider.default_rate_limit)
            if limiter is None:
                return RateLimit({})
            now = self.mock.clock.now()
            allowed, remaining, reset_in = limiter.take(self.provider.api_key(headers), now)
            reset_at = limiter.reset_at(now)
        found = {
            "x-ratelimit-limit": str(limiter.limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset_at),
        }
        if allowed or not limiter.enforce:
            return RateLimit(found)
        wait = max(1, math.ceil(reset_in))
        refusal = ApiError(
            429,
            f"Rate limit exceeded. Try again in {wait} seconds.",
            details={"retry_after": wait},
            headers={"retry-after": str(wait)},
        )
        return RateLimit(found, refusal)

    async def _serve(
        self,
        scope: Scope,
        headers: dict[str, str],
        body: bytes,
        entry: Entry,
        too_large: bool,
        refusal: ApiError | None,
    ) -> Reply | None:
        """413, match, faults, the rate limit's 429, then the provider's answer (None: the
        connection is dropped)."""
        if too_large:
            raise PayloadTooLarge(self.max_body)
        path = _route_path(scope)
        operation, path_params = self.spec.match(scope["method"], path)
        entry.operation = operation.id
        query = self._queries.get(entry.query, lambda: _parse_query(entry.query), len(entry.query))
        with self.mock.engine.lock:
            action = self.mock.faults.for_request(self.provider.name, operation.id, query)
        if action is not None and not await _delay_or_drop(action, entry):
            return None
        if refusal is not None:
            raise refusal
        if action is not None and action.status:
            raise _injected(action)
        call = self._call(operation, path, path_params, query, headers, body, entry)
        return self._handle(call, entry)

    def _call(
        self,
        operation: Operation,
        route_path: str,
        path_params: dict[str, str],
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
        entry: Entry,
    ) -> Call:
        """The request parsed and checked against the spec (remembered by its bytes)."""
        content_type = headers.get("content-type")
        parsed = _parse_body(operation, content_type, body)

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
        return Call(
            method=entry.method,
            path=route_path,
            full_path=entry.path,
            raw_query=entry.query,
            path_params=path_params,
            query=query,
            headers=headers,
            body=body,
            operation=operation,
            json=NO_BODY if isinstance(parsed, Violation) else parsed,
            violations=violations,
        )

    def _handle(self, call: Call, entry: Entry) -> Reply:
        """The provider's answer, under the engine's lock; what it found wrong is journaled."""
        try:
            with self.mock.engine.lock:
                return self.provider.handle(call)
        finally:
            entry.violations.extend(call.violations)

    def _refused(self, error: ApiError, entry: Entry) -> Reply:
        """``error`` in the provider's format (an unrouted 404/405 is journaled unmatched)."""
        unrouted = entry.operation is None and isinstance(error, NotFound | MethodNotAllowed)
        entry.unmatched = unrouted
        entry.violations.extend(error.violations)
        reply = self.provider.error(error)
        reply.headers.update(error.headers)
        return reply

    def _journal_answer(self, reply: Reply, entry: Entry) -> bytes:
        """Journal the answer (and, with ``check_responses``, its contract violations); its
        bytes."""
        if reply.raw is not None:
            payload = reply.raw
        elif isinstance(reply.body, Stream):
            payload = b""  # sent in chunks by _send, never held
        else:
            payload = reply.body if isinstance(reply.body, bytes) else wirejson.dumps(reply.body)
        unparsed = isinstance(reply.body, bytes | Stream)
        entry.status = reply.status
        entry.response = reply.body if not unparsed else None
        entry.response_headers = {k.lower(): v for k, v in reply.headers.items()}
        self.mock.journal.answered(entry, _length(reply, payload) or 0)
        operation = self.spec.operations.get(entry.operation or "")
        if self.check_responses and operation is not None and not unparsed:
            ctype = reply.headers.get("content-type", "application/json")
            entry.violations.extend(operation.validate_response(reply.status, ctype, reply.body))
        return payload


def _parse_query(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)


def _parse_body(operation: Operation, content_type: str | None, body: bytes) -> Any:
    """The JSON body (NO_BODY when there is none or it is not JSON; a Violation when it
    should be JSON and is not)."""
    media = operation.media_type(content_type) if body else None
    if not body or media is None or not (media == "application/json" or media.endswith("+json")):
        return NO_BODY
    try:
        return wirejson.loads(body)
    except ValueError as exc:
        return Violation("body", "", f"not valid JSON: {exc}", "json")


async def _delay_or_drop(action: Action, entry: Entry) -> bool:
    """Apply a fault's latency and drop; False when the connection is to be dropped."""
    if action.latency:
        entry.outcome = f"delayed {action.latency:g} s (fault)"
        await asyncio.sleep(action.latency)
    if action.drop:
        dropped = "connection dropped (fault)"
        entry.outcome = f"{entry.outcome}, then {dropped}" if entry.outcome else dropped
        return False
    return True


def _injected(action: Action) -> ApiError:
    """The error a fault with a status answers."""
    retry = action.retry_after
    return ApiError(
        action.status or 500,
        action.message,
        details={"retry_after": retry} if retry is not None else {},
        headers=action.headers(),
    )


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


def _length(reply: Reply, payload: bytes) -> int | None:
    """The body's size (None: a stream of a size not known yet, sent chunked)."""
    return reply.body.length if isinstance(reply.body, Stream) else len(payload)


async def _send(send: Send, reply: Reply, payload: bytes, receive: Receive) -> None:
    headers = {"content-type": "application/json", **reply.headers}
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    length = _length(reply, payload)
    if length is not None:
        raw.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    if isinstance(reply.body, Stream):
        await reply.body.send(send, receive)  # type: ignore[arg-type]
        return
    await send({"type": "http.response.body", "body": payload})
