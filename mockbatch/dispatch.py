"""The ASGI app of one API: journal, match, validate, hand to the provider, render.

Every request is journaled before anything can fail. Any error becomes the provider's error
body; an unexpected exception is a mockbatch bug, answered as the provider's 500 and kept in the
journal with its traceback so a test can show it.
"""

from __future__ import annotations

import asyncio
import math
import traceback
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from . import wirejson
from .apis import NO_BODY, Call, Reply, Stream
from .errors import ApiError, MethodNotAllowed, NotFound, Violation
from .faults import Action, Header
from .journal import NO_HEADERS, Entry
from .mock import Mock
from .provider import Provider
from .specs import MISSING, Memo, Operation, Spec

DEFAULT_MAX_BODY = 16 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # bytes past the limit read (and dropped) before a 413
NAMES_KEPT = 256  # answer header names whose lower-cased forms are remembered
SHARED_BODY = 4096  # bodies up to this many bytes are parsed once and their JSON shared
PARSED_WEIGHT = 8  # what a parsed body weighs in memory, roughly, per byte of its JSON

_JSON: Header = (b"content-type", b"application/json")
_NAMES: dict[str, tuple[str, bytes]] = {}  # an answer header's name -> its lower-cased forms


class PayloadTooLarge(ApiError):
    """The request body is over the server's limit; the connection closes after the answer."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body is over {limit} bytes", headers={"connection": "close"}
        )


class RateLimit(NamedTuple):
    """What the rate limit made of a request: headers for its answer (as journaled, ``name:
    value`` lines, and as sent), and the 429 to answer instead (None: allowed)."""

    shown: str
    sent: tuple[Header, ...]
    refusal: ApiError | None = None


class Prepared(NamedTuple):
    """A request routed, parsed and checked against its operation, as remembered by its bytes
    (and the values of the headers the operation declares, which the check also read)."""

    sent: tuple[str, str, str, str, str | None, bytes]  # method, paths, query, type, body
    operation: Operation
    path_params: dict[str, str]
    query: dict[str, list[str]]
    declared: tuple[str | None, ...]
    json: Any
    violations: tuple[Violation, ...]


UNLIMITED = RateLimit("", ())  # no rate limit: nothing to add to the answer, never refused


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
        self._requests = Memo()  # a request's bytes -> its Prepared form
        self._validated = Memo()  # a big request's bytes -> its violations
        self._routes = Memo(size=512)  # (method, path) -> the operation and path parameters
        self._headers = Memo(size=256, max_key_bytes=16384)  # raw headers -> decoded
        mock.caches.extend((self._requests, self._validated, self._routes, self._headers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: the API's routes are ``scope["path"]`` under ``scope["root_path"]``."""
        await self.serve(scope, _route_path(scope), receive, send)

    async def serve(self, scope: Scope, path: str, receive: Receive, send: Send) -> None:
        """Answer an HTTP request whose path under this API's prefix is ``path``."""
        assert scope["type"] == "http"
        sent_headers, headers = self._headers_of(scope["headers"])
        body, too_large = await read_body(receive, self.max_body)
        entry = self._record(scope, sent_headers, body)
        limit = self._rate_limit(headers, entry.time)
        try:
            reply = await self._serve(path, headers, body, entry, too_large, limit.refusal)
        except ApiError as error:
            reply = self._refused(error, entry)
        except Exception:  # a bug: never let it reach the client as a traceback
            entry.error = traceback.format_exc()
            reply = self.provider.error(ApiError(500, "internal error in mockbatch"))
        if reply is None:
            await _drop(send)
            return
        payload, raw = self._journal_answer(reply, entry, limit)
        self.mock.outbox.poke()  # a poll may have completed a batch that calls back
        await _send(send, reply, payload, raw, receive)

    def _headers_of(self, raw: list[Header]) -> tuple[tuple[Header, ...], dict[str, str]]:
        """(the request's raw headers, decoded): both shared by the requests sending the same
        ones, so that the journal holds them once (providers never change them)."""
        key = tuple(raw)
        try:
            found: tuple[tuple[Header, ...], dict[str, str]] = self._headers.find(key)
        except TypeError:  # pairs as lists, which the ASGI spec allows a server to send
            key = tuple((bytes(name), bytes(value)) for name, value in raw)
            found = self._headers.find(key)
        if found is MISSING:
            size = sum(len(name) + len(value) for name, value in raw)
            found = self._headers.keep(key, (key, _decode(raw)), 2 * size)
        return found

    def _record(self, scope: Scope, headers: tuple[Header, ...], body: bytes) -> Entry:
        """Journal the request first, so that nothing is lost whatever happens next (its raw
        headers: the journal decodes and masks them when they are read)."""
        return self.mock.journal.record(
            time=self.mock.clock.now(),
            api=self.provider.name,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )

    def _rate_limit(self, headers: dict[str, str], now: datetime) -> RateLimit:
        """Count the request, which came ``now``, against its key's window (every request
        counts, routed or not)."""
        limiter = self.mock.rate_limiter(self.provider.name, self.provider.default_rate_limit)
        if limiter is None:
            return UNLIMITED
        key = self.provider.api_key(headers)
        with self.mock.engine.lock:
            allowed, remaining, reset_in, reset_at = limiter.take(key, now)
        shown, sent = limiter.headers(remaining, reset_at)
        if allowed or not limiter.enforce:
            return RateLimit(shown, sent)
        wait = max(1, math.ceil(reset_in))
        refusal = ApiError(
            429,
            f"Rate limit exceeded. Try again in {wait} seconds.",
            details={"retry_after": wait},
            headers={"retry-after": str(wait)},
        )
        return RateLimit(shown, sent, refusal)

    async def _serve(
        self,
        path: str,
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
        ready = self._prepare(entry, path, headers)
        # The journal keeps the request's parts shared with the same requests before it: a
        # polling client's entries then cost the journal little memory.
        entry.method, entry.path, _, entry.query, _, entry.body = ready.sent
        operation = ready.operation
        entry.operation = operation.id
        faults = self.mock.faults
        action = None
        if faults.all:
            with self.mock.engine.lock:
                action = faults.for_request(self.provider.name, operation.id, ready.query)
        if action is not None and not await _delay_or_drop(action, entry):
            return None
        if refusal is not None:
            raise refusal
        if action is not None and action.status:
            raise _injected(action)
        call = Call(
            method=entry.method,
            path=path,
            full_path=entry.path,
            raw_query=entry.query,
            path_params=ready.path_params,
            query=ready.query,
            headers=headers,
            body=body,
            operation=operation,
            json=ready.json,
            violations=list(ready.violations),
        )
        return self._handle(call, entry)

    def _prepare(self, entry: Entry, path: str, headers: dict[str, str]) -> Prepared:
        """The request routed, parsed and checked against the spec, all remembered by its
        bytes: a body of up to :data:`SHARED_BODY` bytes is parsed once and its JSON shared by
        every request that sends the same bytes (providers never change a request's JSON)."""
        method, raw_query, body = entry.method, entry.query, entry.body
        content_type = headers.get("content-type")
        key = (method, entry.path, path, raw_query, content_type, body)
        shared = len(body) <= SHARED_BODY
        if shared:
            kept: Prepared = self._requests.find(key)
            if kept is not MISSING and kept.declared == _declared(kept.operation, headers):
                return kept
        route = self._routes.find((method, path))
        if route is MISSING:
            route = self._routes.keep((method, path), self.spec.match(method, path), len(path))
        operation, path_params = route
        query = _parse_query(raw_query)
        declared = _declared(operation, headers)
        parsed = _parse_body(operation, content_type, body)
        if shared:  # its parsed form, kept too, weighs about PARSED_WEIGHT x its JSON
            found = self._check(operation, query, headers, path_params, content_type, body, parsed)
            ready = Prepared(key, operation, path_params, query, declared, *found)
            size = len(path) + len(raw_query) + (1 + PARSED_WEIGHT) * len(body)
            return self._requests.keep(key, ready, size)  # type: ignore[no-any-return]
        # Parsed for this request alone (the memo keeps no objects this big); its verdict is
        # remembered by the request's bytes.
        checked_key = (*key, declared)
        verdict = self._validated.find(checked_key)
        if verdict is MISSING:
            verdict = self._check(
                operation, query, headers, path_params, content_type, body, parsed
            )[1]
            self._validated.keep(checked_key, verdict, len(body) + len(raw_query))
        json = NO_BODY if isinstance(parsed, Violation) else parsed
        return Prepared(key, operation, path_params, query, declared, json, verdict)

    @staticmethod
    def _check(
        operation: Operation,
        query: dict[str, list[str]],
        headers: dict[str, str],
        path_params: dict[str, str],
        content_type: str | None,
        body: bytes,
        parsed: Any,
    ) -> tuple[Any, tuple[Violation, ...]]:
        """(the JSON to hand on, the spec's violations) of a parsed request."""
        if isinstance(parsed, Violation):
            return NO_BODY, (parsed,)
        found = operation.validate_request(
            query=query,
            headers=headers,
            path_params=path_params,
            content_type=content_type,
            body=parsed,
            has_body=bool(body),
        )
        return parsed, tuple(found)

    def _handle(self, call: Call, entry: Entry) -> Reply:
        """The provider's answer, under the engine's lock; what it found wrong is journaled."""
        try:
            with self.mock.engine.lock:
                return self.provider.handle(call)
        finally:
            entry.add_violations(call.violations)

    def _refused(self, error: ApiError, entry: Entry) -> Reply:
        """``error`` in the provider's format (an unrouted 404/405 is journaled unmatched)."""
        unrouted = entry.operation is None and isinstance(error, NotFound | MethodNotAllowed)
        entry.unmatched = unrouted
        entry.add_violations(error.violations)
        reply = self.provider.error(error)
        reply.headers.update(error.headers)
        return reply

    def _journal_answer(
        self, reply: Reply, entry: Entry, limit: RateLimit
    ) -> tuple[bytes, list[Header]]:
        """Journal the answer (and, with ``check_responses``, its contract violations); its
        bytes and its headers as sent (the rate limit's after the answer's own)."""
        body = reply.body
        unparsed = isinstance(body, (bytes, Stream))
        if reply.raw is not None:
            payload = reply.raw
        elif unparsed:
            payload = body if isinstance(body, bytes) else b""  # a Stream is sent in chunks
        else:
            payload = wirejson.dumps(body)
        length = body.length if isinstance(body, Stream) else len(payload)
        entry.status = reply.status
        if not unparsed:
            entry.answer_json = payload
        entry.answer_headers, raw = _wire_headers(reply.headers)
        if limit.sent:
            raw.extend(limit.sent)
            own = entry.answer_headers
            entry.answer_headers = f"{own}\n{limit.shown}" if own else limit.shown
        if length is not None:  # None: a stream of a size not known yet, sent chunked
            raw.append((b"content-length", str(length).encode()))
        self.mock.journal.answered(entry, length or 0)
        if self.check_responses and not unparsed:
            operation = self.spec.operations.get(entry.operation or "")
            if operation is not None:
                ctype = reply.headers.get("content-type", "application/json")
                entry.add_violations(operation.validate_response(reply.status, ctype, body))
        return payload, raw


def _decode(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """An ASGI request's headers, decoded, names lower-cased."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def _declared(operation: Operation, headers: dict[str, str]) -> tuple[str | None, ...]:
    """The values of the headers ``operation`` declares (part of what its check reads)."""
    names = operation.header_names
    return tuple(map(headers.get, names)) if names else ()


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
    message = await receive()
    more = message.get("more_body", False)
    if not more and message["type"] == "http.request":
        whole: bytes = message.get("body", b"")  # the usual request: its body in one message
        if len(whole) <= limit:
            return whole, False
    chunks: list[bytes] = []
    size = 0
    while message["type"] != "http.disconnect":
        chunk = message.get("body", b"")
        chunks.append(chunk[: max(0, limit - size)])
        size += len(chunk)
        more = message.get("more_body", False)
        if not more or size > limit:
            break
        message = await receive()
    if size <= limit:
        return b"".join(chunks), False
    while more and size <= limit + DRAIN_LIMIT:
        message = await receive()
        size += len(message.get("body", b""))
        more = message["type"] != "http.disconnect" and message.get("more_body", False)
    return b"".join(chunks), True


def _wire_headers(headers: dict[str, str]) -> tuple[Mapping[str, str] | str, list[Header]]:
    """An answer's headers as journaled (see :attr:`Entry.response_headers`: names
    lower-cased, ``name: value`` lines) and as sent (``content-type`` first, JSON unless the
    answer says otherwise; ``content-length`` is added to them)."""
    if not headers:
        return NO_HEADERS, [_JSON]
    ctype = headers.get("content-type")
    raw = [_JSON] if ctype is None else [(b"content-type", ctype.encode("latin-1"))]
    shown = []
    for name, value in headers.items():
        names = _NAMES.get(name)
        if names is None:
            names = (name.lower(), name.lower().encode("latin-1"))
            if len(_NAMES) < NAMES_KEPT:
                _NAMES[name] = names
        shown.append(f"{names[0]}: {value}")
        if name != "content-type":
            raw.append((names[1], value.encode("latin-1")))
    return "\n".join(shown), raw


async def _send(
    send: Send, reply: Reply, payload: bytes, headers: list[Header], receive: Receive
) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if isinstance(reply.body, Stream):
        await reply.body.send(send, receive)  # type: ignore[arg-type]
        return
    await send({"type": "http.response.body", "body": payload})
