"""What ``verify --lifecycle`` prints, and its exit status: 0 when the lifecycle kept its
contract, 1 on any breach, 3 when a flow hit its bounds (and nothing else broke)."""

from __future__ import annotations

from .contract import Lifecycle
from .runner import Flow, Report

BREACH, BOUNDED = 1, 3


def heading(api: str, life: Lifecycle, base_url: str, pace: str) -> list[str]:
    """The run's first lines: what it checks, where, what it costs, how it paces polls."""
    cancel = (
        "cancels a second batch at once" if life.cancel_states else "no cancel (none in the API)"
    )
    cost = life.cost
    return [
        f"mockbatch verify --lifecycle: the {api} flow against {base_url}",
        f"flow: {cost.batches} batch(es), {cost.items} item(s): {cost.requests}; {cancel}",
        f"pace: {pace}",
        "",
    ]


def outcome(api: str, report: Report) -> tuple[list[str], int]:
    """The flows, each breach with the answers that show it, the verdict; the exit status."""
    lines = [_flow(flow) for flow in report.flows]
    for breach in report.breaches:
        lines.append(f"BREACH [{breach.rule}] {breach.message}")
        lines.extend(f"    {exchange}" for exchange in breach.exchanges)
    for bounded in report.bounded:
        lines.append(f"BOUNDS {bounded}")
    sent = f"{report.requests} requests"
    lines.append("")
    if report.breaches:
        count = len(report.breaches)
        lines.append(f"{count} breach(es) of the {api} lifecycle contract ({sent})")
        return lines, BREACH
    if report.bounded:
        lines.append(
            f"not finished within the bounds: the {api} lifecycle was not fully checked ({sent})"
        )
        return lines, BOUNDED
    lines.append(f"ok: the {api} lifecycle kept its contract ({sent})")
    return lines, 0


def _flow(flow: Flow) -> str:
    if flow.created is None:
        return f"{flow.name}: not created"
    made = f"{flow.name} {flow.created.id} ({len(flow.created.keys)} items)"
    statuses = " -> ".join(flow.statuses) or "never polled"
    read = flow.last_read
    served = ""
    if read is not None:
        pages = len(read.exchanges)
        served = f"; results: {len(read.items)} item(s) in {pages} answer(s)"
    return f"{made}: {statuses} in {flow.polls} poll(s){served}"
