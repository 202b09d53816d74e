"""The mock's app for ``bench/headers_cost.py``: as shipped, or with one API's documented
per-answer headers left out (``MOCKBATCH_BENCH_WITHOUT=check`` or ``anthropic``).

Leaving them out is a patch made here, in the benchmark's server process, to measure what the
headers cost; it is not a mode of mockbatch (real clients read these headers).
"""

from __future__ import annotations

import os

from mockbatch.app import create_app
from mockbatch.clock import VirtualClock

WITHOUT = os.environ.get("MOCKBATCH_BENCH_WITHOUT", "")

if WITHOUT == "check":  # x-ratelimit-limit, -remaining and -reset on every answer
    from mockbatch.apis.check.provider import CheckProvider

    CheckProvider.default_rate_limit = None
elif WITHOUT == "anthropic":  # request-id and anthropic-organization-id on every answer
    from mockbatch.apis.anthropic.provider import AnthropicProvider

    AnthropicProvider._headers = lambda self: {}  # type: ignore[method-assign]
elif WITHOUT:
    raise SystemExit(f"MOCKBATCH_BENCH_WITHOUT={WITHOUT!r}: check or anthropic")

app = create_app(clock=VirtualClock())
