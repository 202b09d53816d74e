"""The flow's HTTP client: every request and its answer kept as an :class:`Exchange` (what a
breach is shown with), and :class:`Pace`, what happens between two polls (a wait, or a move of
a mockbatch server's clock, so that a run against the mock never waits in real time).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import sleep
from typing import Any
from urllib.parse import urlsplit

import httpx

from .contract import FlowError

EXCERPT = 300  # characters of an answer's body shown with a breach
BOUND = 120.0  # seconds one request may take: a bound for a wedged server, not a speed check


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its answer, as a breach shows them."""

    method: str
    path: str
    status: int
    excerpt: str

    def __str__(self) -> str:
        answer = f"{self.status}" if self.status else "no answer"
        return f"{self.method} {self.path} -> {answer} {self.excerpt}".rstrip()


@dataclass(frozen=True, slots=True)
class Answer:
    """A response: its status, headers, body (JSON when it parses, else None) and text."""

    status: int
    headers: Mapping[str, str]
    json: Any
    text: str
    exchange: Exchange

    def expect(self, what: str, *codes: int) -> Any:
        """The JSON body, if the status is one of ``codes`` (default 200); else a
        :class:`FlowError` naming ``what`` was asked."""
        if self.status not in (codes or (200,)):
            raise FlowError(f"{what}: unexpected answer {self.status}", self.exchange)
        return self.json

    def field(self, name: str, kind: type | tuple[type, ...], what: str) -> Any:
        """The body's ``name``, of type ``kind``; a :class:`FlowError` without it."""
        body = self.json if isinstance(self.json, dict) else {}
        value = body.get(name)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise FlowError(f"{what}: the answer has no usable {name!r}", self.exchange)
        return value


class Session:
    """Requests to one API's base URL, with the given headers, each one journaled."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, transport: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.exchanges: list[Exchange] = []
        self._client = httpx.Client(headers=dict(headers), timeout=BOUND, transport=transport)

    def close(self) -> None:
        self._client.close()

    def request(
        self, method: str, path: str, *, show: Shown | None = None, **options: Any
    ) -> Answer:
        """Send ``method path`` (under the base URL) with httpx's ``options`` (json, content,
        files, data, params, headers); a :class:`FlowError` when no answer came. ``show``
        picks what of a JSON answer a breach shows (default: its start)."""
        url = self.base_url + path
        try:
            response = self._client.request(method, url, **options)
        except httpx.HTTPError as exc:
            shown = Exchange(method, _path(url), 0, f"({type(exc).__name__}: {exc})")
            self.exchanges.append(shown)
            raise FlowError(f"{method} {_path(url)}: no answer", shown) from None
        text = response.text
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        excerpt = _excerpt(text, body, show if response.is_success else None)
        shown = Exchange(method, _path(str(response.url)), response.status_code, excerpt)
        self.exchanges.append(shown)
        return Answer(response.status_code, response.headers, body, text, shown)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


Shown = Callable[[Any], Any]
"""What of a JSON answer a breach shows: the body -> a smaller JSON value."""


def pick(*names: str, items: str = "", each: tuple[str, ...] = ()) -> Shown:
    """Show the body's ``names`` and, of each element of its ``items`` list, the ``each``
    keys (a results page: which items, in which state)."""

    def shown(body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        found = {name: body[name] for name in names if name in body}
        listed = body.get(items) if items else None
        if isinstance(listed, list):
            found[items] = [
                {k: v for k, v in element.items() if k in each}
                if isinstance(element, dict)
                else element
                for element in listed
            ]
        return found

    return shown


def _excerpt(text: str, body: Any, show: Shown | None) -> str:
    if body is not None:
        text = json.dumps(show(body) if show else body, separators=(",", ":"))
    else:
        text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."


@dataclass(frozen=True, slots=True)
class Pace:
    """Between two polls: ``advance`` seconds of a mockbatch server's clock (``control``: its
    control API's URL, ``token`` its control token if any), else a wait of ``interval``
    seconds."""

    interval: float
    advance: float = 0.0
    control: str = ""
    token: str | None = None

    def between_polls(self) -> None:
        if self.advance and self.control:
            headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
            response = httpx.post(
                f"{self.control}/clock",
                json={"advance": self.advance},
                headers=headers,
                timeout=BOUND,
            )
            if response.status_code != 200:
                raise FlowError(
                    f"the mockbatch server did not move its clock: {response.text[:200]}",
                    Exchange("POST", "/__mockbatch/clock", response.status_code, response.text),
                )
        elif self.interval > 0:
            sleep(self.interval)

    def describe(self) -> str:
        if self.advance and self.control:
            return f"a mockbatch server: its clock moves {self.advance:g} s between polls"
        return f"waits {self.interval:g} s between polls"


def mockbatch_control(base_url: str, *, token: str | None = None) -> str | None:
    """The control API's URL if ``base_url`` is served by mockbatch (it answers
    ``GET /__mockbatch/health`` as mockbatch does), else None."""
    parts = urlsplit(base_url)
    control = f"{parts.scheme}://{parts.netloc}/__mockbatch"
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{control}/health", headers=headers, timeout=BOUND)
        body = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    healthy = response.status_code == 200 and isinstance(body, dict)
    return control if healthy and body.get("status") == "ok" and "apis" in body else None
