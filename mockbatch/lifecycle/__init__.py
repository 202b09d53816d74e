"""``mockbatch verify --lifecycle``: run an API's own small client flow against any server
and check its lifecycle contract (statuses move forward, counts add up and never shrink,
results appear only as the status allows, every item once, a cancelled batch ends cancelled).

A provider declares its flow and rules by returning a :class:`Lifecycle` from
``Provider.lifecycle()``; :func:`run` and the rules (:mod:`.rules`) name no API.
"""

from __future__ import annotations

from .contract import (
    Breach,
    Cancel,
    Cost,
    Created,
    FlowError,
    Item,
    Lifecycle,
    Presence,
    Results,
    Snapshot,
)
from .runner import Bounds, Flow, Report, run
from .session import Answer, Exchange, Pace, Session, mockbatch_control

__all__ = [
    "Answer",
    "Bounds",
    "Breach",
    "Cancel",
    "Cost",
    "Created",
    "Exchange",
    "Flow",
    "FlowError",
    "Item",
    "Lifecycle",
    "Pace",
    "Presence",
    "Report",
    "Results",
    "Session",
    "Snapshot",
    "mockbatch_control",
    "run",
]
