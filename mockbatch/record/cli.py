"""``mockbatch record``: run a :class:`Recording` until Ctrl-C, SIGTERM or the stop endpoint,
then write the file and say where."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

from .proxy import STOP_PATH
from .session import Recording


def record(args: argparse.Namespace, signals: Iterable[signal.Signals]) -> int:
    """Record until told to stop; the exit status (0: the file was written)."""
    out = Path(args.out or f"recorded-{args.api}.yaml")
    recording = Recording(args.api, args.upstream, port=args.port, max_body=args.max_body)
    stop = recording.proxy.stopped
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in signals}
    try:
        with recording:
            for line in _banner(args, recording.url, out):
                print(line, file=sys.stderr, flush=True)
            _wait(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    recording.write(out)
    heard = len(recording.proxy.tape.heard)
    batches = len(recording.proxy.tape.book.batches)
    print(f"mockbatch: wrote {out} ({heard} request(s), {batches} batch(es))", file=sys.stderr)
    return 0


def _wait(stop: threading.Event) -> None:
    # A bounded wait in a loop: the main thread then runs the signal handlers promptly.
    while not stop.wait(0.5):
        pass


def _banner(args: argparse.Namespace, url: str, out: Path) -> list[str]:
    return [
        f"mockbatch: recording the {args.api} API: {url} -> {args.upstream}",
        f"mockbatch: stop with Ctrl-C, SIGTERM or POST {url}{STOP_PATH}; then writes {out}",
    ]
