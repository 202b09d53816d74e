"""The request journal: every request a client sent, what it got, and what it broke.

Entries are recorded when a request arrives (so nothing is lost if handling fails) and completed
when the response is known. The journal is bounded, by entries and by the bytes of the bodies it
keeps; the oldest entries are dropped and counted.

An entry keeps a request's headers as they came (an API request's raw ASGI pairs, so recording
costs no decoding) and shows them only through :attr:`Entry.headers`: decoded and with secrets
masked (unless the journal is told to keep them), worked out on the first read and kept masked.
Masked are the values of the headers in :data:`SECRET_HEADERS`, of any header whose name holds
one of :data:`SECRET_WORDS`, and of the headers an adapter names in its ``secret_headers``.
Authentication and rate limiting read the request's own headers, not the journal.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeAlias

from .errors import Violation

DEFAULT_LIMIT = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # bodies kept; the oldest entries go first past it
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
SECRET_WORDS = ("authorization", "signature", "secret", "token", "api-key", "apikey", "password")
SHOWN = 4  # leading characters of a credential kept when masked ...
SHOWN_FROM = 16  # ... if it is at least this long (so at most a quarter of it shows)
# What masking learnt, kept for the next request (clients send the same headers every time),
# up to this many header names and masked values each; past it, worked out afresh.
MASKS_KEPT = 256


def mask(value: str) -> str:
    """``value`` with its secret hidden, keeping what tells one credential from another.

    An auth scheme stays (``Bearer``, ``IWS``). A ``key:signature`` pair after a scheme keeps the
    key, which names the client (``IWS key:***``). Any other credential keeps its first four
    characters when it is 16 or longer, then ``…#`` and the first six hex digits of its SHA-256:
    ``Bearer vfy_SECRET_KEY_123`` becomes ``Bearer vfy_…#ee9892``.
    """
    if not value:
        return value
    scheme, space, credential = value.partition(" ")
    if space and scheme.isalpha() and credential.strip():
        scheme, credential = scheme + " ", credential.strip()
    else:
        scheme, credential = "", value
    key, colon, secret = credential.partition(":")
    if scheme and colon and key and secret:
        return f"{scheme}{key}:***"
    shown = credential[:SHOWN] if len(credential) >= SHOWN_FROM else ""
    digest = hashlib.sha256(credential.encode("utf-8", "replace")).hexdigest()[:6]
    return f"{scheme}{shown}…#{digest}"


# A request's headers as recorded: decoded, or an ASGI request's raw (name, value) pairs.
SentHeaders: TypeAlias = Mapping[str, str] | Sequence[tuple[bytes, bytes]]


class Masker(Protocol):
    def shown(self, headers: Mapping[str, str]) -> dict[str, str]: ...


class _NoHeaders(Mapping[str, str]):
    """An empty mapping that is hashable, so that a dataclass takes it as a default."""

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0


NO_HEADERS: Mapping[str, str] = _NoHeaders()  # an answer's, when it adds none


@dataclass(slots=True)
class Entry:
    """One request and its response; its headers are read through :attr:`headers`."""

    seq: int
    time: datetime
    api: str | None
    method: str
    path: str
    query: str
    sent_headers: SentHeaders  # as recorded: never shown, see ``headers``
    body: bytes
    operation: str | None = None
    status: int | None = None
    answer: Any = None  # the answer's body as set (see ``response``)
    answer_json: bytes | None = None  # ... or as sent, JSON (see ``response``)
    answer_headers: Mapping[str, str] | str = NO_HEADERS  # see ``response_headers``
    broken: tuple[Violation, ...] = ()  # see ``violations``
    unmatched: bool = False
    error: str | None = None
    kind: str = "request"  # or "callback": a delivery attempt the mock made
    size: int = 0  # bytes of request and response body this entry holds
    outcome: str | None = None
    masker: Masker | None = None  # the journal that masks the headers shown (None: as sent)
    shown_headers: dict[str, str] | None = None  # ``headers``, once worked out

    @property
    def headers(self) -> dict[str, str]:
        """The request's headers, decoded (an ASGI request's names lower-cased) and with their
        secrets masked by the journal (see :meth:`Journal.masked`)."""
        shown = self.shown_headers
        if shown is None:
            sent = self.sent_headers
            decoded = (
                sent
                if isinstance(sent, Mapping)
                else {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in sent}
            )
            shown = dict(decoded) if self.masker is None else self.masker.shown(decoded)
            self.shown_headers = shown
        return shown

    @property
    def response_headers(self) -> dict[str, str]:
        """The answer's own headers (names lower-cased; not ``content-length``, nor the
        ``content-type`` of a JSON answer that did not set one). An answer the server sent
        keeps them as one string of ``name: value`` lines, read into a mapping when asked."""
        found = self.answer_headers
        if isinstance(found, str):
            return dict(line.split(": ", 1) for line in found.split("\n"))
        return dict(found)

    @response_headers.setter
    def response_headers(self, value: Mapping[str, str]) -> None:
        self.answer_headers = value

    @property
    def response(self) -> Any:
        """The answer's body (None when it was not JSON: a file, a stream). An answer the
        server sent is kept as its bytes and parsed on each read, so that the journal holds no
        tree of objects per entry."""
        sent = self.answer_json
        return self.answer if sent is None else json.loads(sent)

    @response.setter
    def response(self, value: Any) -> None:
        self.answer, self.answer_json = value, None

    def add_violations(self, found: Iterable[Violation]) -> None:
        """Add what the request or its answer broke (an entry that broke nothing, the usual
        one, holds no list of its own)."""
        more = tuple(found)
        if more:
            self.broken = (*self.broken, *more)

    @property
    def violations(self) -> list[Violation]:
        """What the request or its answer broke, in a new list (add with
        :meth:`add_violations`)."""
        return list(self.broken)

    @violations.setter
    def violations(self, value: Iterable[Violation]) -> None:
        self.broken = tuple(value)

    def body_json(self) -> dict[str, Any]:
        try:
            return {"body": self.body.decode("utf-8")}
        except UnicodeDecodeError:
            return {"body": None, "body_base64": base64.b64encode(self.body).decode()}

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time.isoformat(),
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            **self.body_json(),
            "operation": self.operation,
            "status": self.status,
            "response": self.response,
            "response_headers": self.response_headers,
            "violations": [v.to_json() for v in self.violations],
            "unmatched": self.unmatched,
            "error": self.error,
            "kind": self.kind,
            "outcome": self.outcome,
        }


def _kept(memo: dict[str, Any], key: str, value: Any) -> Any:
    """``value``, remembered under ``key`` while ``memo`` holds fewer than MASKS_KEPT."""
    if len(memo) < MASKS_KEPT:
        memo[key] = value
    return value


class Journal:
    """A bounded, thread-safe list of :class:`Entry`, oldest first."""

    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        secret_headers: Iterable[str] = (),
        keep_secrets: bool = False,
    ) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.secret_headers = SECRET_HEADERS | {name.lower() for name in secret_headers}
        self.keep_secrets = keep_secrets
        self.dropped = 0
        self._secret_names: dict[str, bool] = {}
        self._masks: dict[str, str] = {}
        self._entries: deque[Entry] = deque()
        self._bytes = 0  # request and response bodies held, roughly what the journal weighs
        self._seq = 0
        self._lock = threading.Lock()

    def record(
        self,
        *,
        time: datetime,
        api: str | None,
        method: str,
        path: str,
        query: str,
        headers: SentHeaders,
        body: bytes,
    ) -> Entry:
        """Add a request as it arrives; complete the returned entry when it is answered.

        ``headers`` are kept as they are (decoded, or an ASGI request's raw pairs; the caller
        does not change them afterwards) and shown decoded and masked (see :func:`mask`)
        when the entry's :attr:`~Entry.headers` are first read."""
        with self._lock:
            self._seq += 1
            entry = Entry(self._seq, time, api, method, path, query, headers, body, masker=self)
            entry.size = len(body)
            self._entries.append(entry)
            self._bytes += entry.size
            if len(self._entries) > self.limit or self._bytes > self.max_bytes:
                self._trim()
            return entry

    def answered(self, entry: Entry, response_bytes: int) -> None:
        """Count the response's size against the bound (the entry keeps the response)."""
        with self._lock:
            entry.size += response_bytes
            self._bytes += response_bytes
            if self._bytes > self.max_bytes:
                self._trim()

    def shown(self, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` as an entry shows them: masked, unless the journal keeps secrets."""
        return dict(headers) if self.keep_secrets else self.masked(headers)

    def masked(self, headers: Mapping[str, str]) -> dict[str, str]:
        """``headers`` with the value of every secret one masked."""
        out = {}
        for name, value in headers.items():
            secret = self._secret_names.get(name)
            if secret is None:
                secret = _kept(self._secret_names, name, self.is_secret(name))
            if secret:
                shown = self._masks.get(value)
                out[name] = shown if shown is not None else _kept(self._masks, value, mask(value))
            else:
                out[name] = value
        return out

    def is_secret(self, name: str) -> bool:
        """Whether header ``name`` carries a secret (a key, a token, a signature)."""
        lower = name.lower()
        return lower in self.secret_headers or any(word in lower for word in SECRET_WORDS)

    def _trim(self) -> None:
        while self._entries and (len(self._entries) > self.limit or self._bytes > self.max_bytes):
            old = self._entries.popleft()
            self._bytes -= old.size
            self.dropped += 1

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.dropped = 0
            self._seq = 0
