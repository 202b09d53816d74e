"""``mockbatch verify --lifecycle``: the registered API's flow against a base URL, printed."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from ..registry import provider
from .report import heading, outcome
from .runner import Bounds, run
from .session import Pace, Session, mockbatch_control

DEFAULT_ADVANCE = 5.0  # seconds a mockbatch server's clock moves between two polls


def verify_lifecycle(
    api: str,
    base_url: str,
    headers: Mapping[str, str],
    *,
    max_polls: int = 30,
    timeout: float = 600.0,
    interval: float = 5.0,
    advance: float | None = None,
) -> int:
    """Run ``api``'s lifecycle flow against ``base_url`` and print what it found; the exit
    status (see :mod:`.report`). ``advance`` None: move a mockbatch server's clock
    ``DEFAULT_ADVANCE`` seconds between polls, if ``base_url`` is one; 0: never."""
    life = provider(api).lifecycle()
    if life is None:
        print(f"mockbatch: the {api} provider declares no lifecycle flow", file=sys.stderr)
        return 2
    pace = _pace(base_url, interval, DEFAULT_ADVANCE if advance is None else advance)
    for line in heading(api, life, base_url, pace.describe()):
        print(line)
    http = Session(base_url, headers)
    try:
        report = run(life, http, pace, Bounds(max_polls, timeout))
    finally:
        http.close()
    lines, status = outcome(api, report)
    for line in lines:
        print(line)
    return status


def _pace(base_url: str, interval: float, advance: float) -> Pace:
    if advance <= 0:
        return Pace(interval)
    token = os.environ.get("MOCKBATCH_CONTROL_TOKEN") or None
    control = mockbatch_control(base_url, token=token)
    if control is None:
        return Pace(interval)
    return Pace(interval, advance, control, token=token)
