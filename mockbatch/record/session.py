"""One recording: the proxy on 127.0.0.1, started, stopped, and written as a scenario file.

``Recording`` refuses an API whose provider has no recorder, and an upstream it cannot reach
(probed before serving), each with a one-line :class:`RecordError`.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from .. import registry
from ..clock import Clock, SystemClock
from ..context import Context
from ..dispatch import DEFAULT_MAX_BODY
from ..errors import MockbatchError
from ..mock import Mock
from ..server import ServerThread
from .proxy import RecordingProxy
from .writer import Source, _public, scenario_text

PROBE_TIMEOUT = 10.0  # seconds the start-up probe of the upstream waits


class RecordError(MockbatchError):
    """``mockbatch record`` cannot start: an API it cannot record, an unreachable upstream."""


class Recording(ServerThread):
    """``with Recording("ivvy", upstream) as rec: ...; rec.write(path)``: the proxy at
    ``rec.url`` while the block runs (a :class:`~mockbatch.server.ServerThread` serving it)."""

    def __init__(
        self,
        api: str,
        upstream: str,
        *,
        port: int = 0,
        clock: Clock | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        probe: bool = True,
    ) -> None:
        from ..app import load_specs

        made = registry.provider(api)
        recorder = made.recorder()
        if recorder is None:
            supported = [n for n, p in registry.providers().items() if p.recorder() is not None]
            raise RecordError(
                f"record does not support the {api} API yet (it supports: {', '.join(supported)})"
            )
        if probe:
            probe_upstream(upstream)
        self.clock: Clock = clock if clock is not None else SystemClock()
        spec = load_specs([api])[api]
        provider = made(Context(Mock(clock=self.clock), api), spec)
        self.source = Source(api, upstream, self.clock.now())
        self.recorder = recorder
        self.proxy = RecordingProxy(
            provider=provider,
            recorder=recorder,
            upstream=upstream,
            clock=self.clock,
            max_body=max_body,
        )
        super().__init__(self.proxy, port=port)

    def text(self) -> str:
        """The scenario recorded so far."""
        with self.proxy.tape.lock:
            return scenario_text(self.source, self.proxy.tape, self.recorder)

    def write(self, path: str | Path) -> Path:
        """Write the scenario to ``path``; the path."""
        target = Path(path)
        target.write_text(self.text(), "utf-8")
        return target


def probe_upstream(upstream: str) -> None:
    """Raise :class:`RecordError` unless ``upstream`` answers HTTP (any status will do)."""
    try:
        httpx.get(upstream, timeout=PROBE_TIMEOUT)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        reason = " ".join((str(exc) or type(exc).__name__).split())
        raise RecordError(f"cannot reach the upstream {_public(upstream)}: {reason}") from None
