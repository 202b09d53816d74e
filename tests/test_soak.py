"""A short, bounded soak (bench/soak.py): concurrent clients on every API, nothing lost."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from soak import LOOPS, soak


def test_short_soak_keeps_every_promise() -> None:
    seen = soak(clients=20, seconds=2)

    assert seen.problems == []
    assert seen.batches >= 20 * len(LOOPS) // 2
    assert set(seen.statuses) <= {200, 202, 400}  # 202: Check's create; 400: iVvy's 24114
    assert seen.requests == sum(seen.statuses.values())


def test_every_served_api_has_a_soak_client() -> None:
    from mockbatch.apis.registry import ADAPTERS

    assert set(ADAPTERS) <= set(LOOPS)
