"""A short, bounded soak (bench/soak.py): concurrent clients on every API, nothing lost.

The soak here runs a fixed amount of work (a count of batches per API) and checks only
correctness; how fast it goes is for ``python bench/soak.py`` to print, never for a test to assert.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from soak import loop_for, soak

from mockbatch.registry import names

BATCHES_PER_API = 10


def test_short_soak_keeps_every_promise() -> None:
    seen = soak(clients=20, batches=BATCHES_PER_API)

    assert seen.problems == []
    assert seen.batches == BATCHES_PER_API * len(names())
    assert set(seen.statuses) <= {200, 202, 400}  # 202: Check's create; 400: iVvy's 24114
    assert seen.requests == sum(seen.statuses.values())


def test_every_served_api_has_a_soak_client() -> None:
    assert all(callable(loop_for(api)) for api in names())
