"""Strict mode: the requests of a test that broke the contract, told so a person can fix them.

A request breaks the contract when it violates its operation's spec (a query, header, path or
body rule) or when no route matches it. A request that hit a bug in mockbatch is listed too:
its answer cannot be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .assertions import describe
from .dispatch import ApiApp
from .journal import Entry

Routes = Mapping[str, list[str]]  # api -> ["POST /ivvy/api/1.0/batch (batch)", ...]


def routes_of(app: Any) -> dict[str, list[str]]:
    """Every route the app serves, per API: method, path template and operation ID."""
    from starlette.routing import Mount

    found: dict[str, list[str]] = {}
    for route in getattr(app, "routes", []):
        if isinstance(route, Mount) and isinstance(route.app, ApiApp):
            api_app = route.app
            lines = found.setdefault(api_app.provider.name, [])
            for spec_route in api_app.spec.routes:
                for method, operation in spec_route.operations.items():
                    path = route.path + spec_route.template
                    lines.append(f"{method.upper()} {path}  ({operation.id})")
    return found


def breaches(entries: Sequence[Entry]) -> list[Entry]:
    """The entries that broke the contract (request side) or hit a mockbatch bug."""
    return [
        e
        for e in entries
        if e.unmatched or e.error or any(v.location != "response" for v in e.violations)
    ]


def report(entries: Sequence[Entry], routes: Routes) -> str:
    """What each bad request was, what rule it broke, and (unmatched) which routes exist."""
    bad = breaches(entries)
    noun = "request" if len(bad) == 1 else "requests"
    lines = [f"mockbatch strict mode: {len(bad)} {noun} this test sent broke the contract", ""]
    for entry in bad:
        lines.append(f"  {describe(entry, width=300)}")
        for v in entry.violations:
            if v.location != "response":
                where = f"{v.location} {v.path}".rstrip()
                lines.append(
                    f"    broke: {where}: {v.message}" + (f" ({v.keyword})" if v.keyword else "")
                )
        if entry.unmatched:
            api = entry.api or ""
            shown = {api: routes[api]} if api in routes else routes
            lines.append("    no route matches it. The routes that exist:")
            for api, paths in shown.items():
                lines += [f"      {p}" for p in paths] if paths else [f"      ({api}: none)"]
        if entry.error:
            lines.append("    hit a bug in mockbatch (please report it):")
            lines += [f"      {line}" for line in entry.error.rstrip().splitlines()[-3:]]
        lines.append("")
    lines.append(
        "Sent on purpose (a test of the client's error handling)? Mark the test"
        " @pytest.mark.mockbatch(strict=False)."
    )
    return "\n".join(lines)
