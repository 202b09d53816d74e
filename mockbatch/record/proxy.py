"""The recording proxy: serves one API's routes, forwards each request to the upstream, answers
with the upstream's answer unchanged, and journals both. One change: in a JSON answer, a URL
under the upstream's base (Anthropic's ``results_url``) points at the recorder instead, so a
client that follows it (as the SDKs do) is still recorded, as a replay's own URL would be.

Every request is journaled as it arrives (secrets masked), before it is forwarded, so nothing a
client sent is lost whatever the upstream does. An upstream that fails mid-run (refused, reset,
timed out) gets the client a 502 in the API's own error format, journaled and recorded as a
fault. ``POST /__mockbatch/record/stop`` ends the recording.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.types import Receive, Scope, Send

from .. import wirejson
from ..apis import NO_BODY, Reply
from ..clock import Clock, SystemClock
from ..dispatch import DEFAULT_MAX_BODY, PayloadTooLarge, read_body
from ..errors import ApiError
from ..journal import Entry, Journal
from ..provider import Provider
from ..specs import Operation, Spec
from .book import Book, Exchange, Recorder
from .secrets import Secrets

STOP_PATH = "/__mockbatch/record/stop"
HEALTH_PATH = "/__mockbatch/health"
UPSTREAM_TIMEOUT = 120.0  # seconds: a bound for a wedged upstream, as a client's own
# Headers that belong to one connection (RFC 9110 7.6.1) or that httpx sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
        "content-encoding",
    }
)


@dataclass(frozen=True, slots=True)
class Heard:
    """What the file needs of one forwarded request beyond the book: its place among the
    requests of its kind, its status, and whether the scenario replays its answer."""

    seq: int
    operation: str
    kind: tuple[tuple[str, str], ...]  # the recorder's fault query, as pairs
    status: int
    replayed: bool
    failed: bool  # the upstream failed (the answer is the recorder's 502)


@dataclass(slots=True)
class Tape:
    """A recording's state: the book, what was heard, and the secrets seen (under ``lock``)."""

    book: Book = field(default_factory=Book)
    heard: list[Heard] = field(default_factory=list)
    secrets: Secrets = field(default_factory=Secrets)
    lock: threading.Lock = field(default_factory=threading.Lock)


class RecordingProxy:
    """The ASGI app of ``mockbatch record``: the API's routes at the root, like ``serve --api``."""

    def __init__(
        self,
        *,
        provider: Provider,
        recorder: Recorder,
        upstream: str,
        clock: Clock | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        journal: Journal | None = None,
    ) -> None:
        self.provider = provider
        self.recorder = recorder
        self.spec: Spec = provider.spec
        self.upstream = upstream.rstrip("/")
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.max_body = max_body
        self.journal = journal or Journal(secret_headers=provider.secret_headers)
        self.tape = Tape()
        self.stopped = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        if scope["path"].startswith("/__mockbatch/"):
            await _send(send, self._control(scope["method"], scope["path"]))
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lower = {k.lower(): v for k, v in headers}
        body, too_large = await read_body(receive, self.max_body)
        entry = self.journal.record(
            time=self.clock.now(),
            api=self.provider.name,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=lower,
            body=body,
        )
        with self.tape.lock:
            self.tape.secrets.note_headers(lower, self.journal.is_secret)
        try:
            if too_large:
                raise PayloadTooLarge(self.max_body)
            operation, path_params = self.spec.match(entry.method, entry.path)
            entry.operation = operation.id
        except ApiError as error:  # not forwarded: the mock answers these the same
            await self._refuse(send, error, entry)
            return
        status, answer_headers, payload, failed = await self._forward(
            entry.method, scope, headers, body
        )
        payload = self._own_urls(payload, answer_headers, lower.get("host"))
        entry.status, entry.response = status, _json(payload)
        entry.response_headers = self.journal.masked(dict(answer_headers))
        entry.error = failed
        self.journal.answered(entry, len(payload))
        self._read(
            entry.seq,
            operation,
            path_params,
            entry.query,
            body,
            status,
            payload,
            failed,
            lower.get("content-type", ""),
        )
        await _send_raw(send, status, answer_headers, payload)

    async def _refuse(self, send: Send, error: ApiError, entry: Entry) -> None:
        """Answer (and journal) a request the recorder does not forward: too big, unrouted."""
        entry.unmatched = entry.operation is None
        reply = self.provider.error(error)
        reply.headers.update(error.headers)
        payload = _payload(reply)
        entry.status, entry.response = reply.status, reply.body
        self.journal.answered(entry, len(payload))
        await _send(send, reply, payload)

    def _control(self, method: str, path: str) -> Reply:
        """The recorder's own two routes (its answers in the control API's format)."""
        if path == STOP_PATH and method == "POST":
            self.stopped.set()
            return Reply(200, {"stopped": True, "requests": len(self.tape.heard)})
        if path == HEALTH_PATH and method == "GET":
            return Reply(200, {"status": "ok", "recording": self.provider.name})
        return Reply(404, {"error": f"{method} {path}: the recorder serves POST {STOP_PATH}"})

    async def _forward(
        self, method: str, scope: Scope, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes, str | None]:
        """(status, headers, body, why the upstream failed or None) of the upstream's answer."""
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        sent = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
        try:
            async with (
                httpx.AsyncClient(timeout=UPSTREAM_TIMEOUT) as client,
                client.stream(method, url, headers=sent, content=body) as answer,
            ):
                payload = await self._read_answer(answer)
                kept = [(k, v) for k, v in answer.headers.multi_items() if k not in HOP_BY_HOP]
                return answer.status_code, kept, payload, None
        except (httpx.HTTPError, AnswerTooLarge) as exc:
            why = f"the upstream {self.upstream} failed: {_reason(exc)}"
            reply = self.provider.error(ApiError(502, f"mockbatch record: {why}"))
            kept = [(k, v) for k, v in reply.headers.items()]
            kept.append(("content-type", "application/json"))
            return reply.status, kept, _payload(reply), why

    def _own_urls(self, payload: bytes, headers: list[tuple[str, str]], host: str | None) -> bytes:
        """A JSON answer with the upstream's base URL replaced by the recorder's own (the
        ``Host`` the client sent)."""
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not host or kind.split(";")[0].strip().lower() != "application/json":
            return payload
        return payload.replace(self.upstream.encode(), f"http://{host}".encode())

    async def _read_answer(self, answer: httpx.Response) -> bytes:
        """The upstream's body, read as it streams in, refused past the server's body limit."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in answer.aiter_bytes():
            size += len(chunk)
            if size > self.max_body:
                raise AnswerTooLarge(f"its answer is over {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _read(
        self,
        seq: int,
        operation: Operation,
        path_params: dict[str, str],
        query: str,
        body: bytes,
        status: int,
        payload: bytes,
        failed: str | None,
        content_type: str = "",
    ) -> None:
        """Let the provider's recorder read the exchange into the book (under the lock)."""
        exchange = Exchange(
            seq=seq,
            time=self.clock.now(),
            method=operation.method.upper(),
            path=operation.path,
            operation=operation.id,
            path_params=path_params,
            query=parse_qs(query, keep_blank_values=True),
            body=_json(body, NO_BODY),
            raw=body,
            status=status,
            answer=_json(payload, NO_BODY),
            upstream_failed=failed is not None,
            content_type=content_type,
            answer_raw=payload,
        )
        with self.tape.lock:
            self.tape.book.now = exchange.time
            replayed = failed is None and self.recorder.read(exchange, self.tape.book)
            kind = tuple(sorted(self.recorder.fault_query(exchange).items()))
            self.tape.heard.append(
                Heard(seq, operation.id, kind, status, replayed, failed is not None)
            )
            self.tape.secrets.note_body(exchange.body)


class AnswerTooLarge(Exception):
    """The upstream's answer is over the recorder's body limit."""


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _json(raw: bytes, missing: Any = None) -> Any:
    if not raw:
        return missing
    try:
        return wirejson.loads(raw)
    except ValueError:
        return missing


def _payload(reply: Reply) -> bytes:
    if reply.raw is not None:
        return reply.raw
    return reply.body if isinstance(reply.body, bytes) else wirejson.dumps(reply.body)


async def _send(send: Send, reply: Reply, payload: bytes | None = None) -> None:
    headers = {"content-type": "application/json", **reply.headers}
    await _send_raw(send, reply.status, list(headers.items()), payload or _payload(reply))


async def _send_raw(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
