"""What the documented headers on every answer cost over a socket: Check's ``x-ratelimit-*``
and Anthropic's ``request-id`` and ``anthropic-organization-id``.

    python bench/headers_cost.py [--seconds 2] [--rounds 5]

For each of the two APIs, three uvicorn servers on 127.0.0.1 answer the API's test-profile
poll, as ``bench/throughput.py`` measures it: the mock as shipped, the mock with those headers
left out (``variant_app.py`` patches the provider in its own process: not a mode of mockbatch),
and the bare Starlette app sending the same body. They are measured in turns, ``--rounds`` each,
and the median kept. It prints requests/s and the ratio to the bare app of both mocks: the
difference is what the headers cost, which is what keeps these two APIs under
``throughput.py``'s aim. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack

from throughput import AIM, HERE, Target, capture, machine, measure, server, targets

APIS = ("check", "anthropic")


VARIANTS = (("mock as shipped", False), ("mock without the headers", True))
BARE = "bare Starlette"


def start_servers(stack: ExitStack, target: Target) -> dict[str, int]:
    """The port of each server answering ``target``: both mocks and the bare app."""
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
    ports = {}
    for name, without in VARIANTS:
        env = {"PYTHONPATH": str(HERE), "MOCKBATCH_BENCH_WITHOUT": target.api if without else ""}
        ports[name] = stack.enter_context(server([*uvicorn, "variant_app:app"], env))[0]
    status, body = capture(ports[VARIANTS[0][0]], target)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        f.write(body)
    stack.callback(os.unlink, f.name)
    env = {"BARE_BODY": f.name, "BARE_STATUS": str(status), "PYTHONPATH": str(HERE)}
    ports[BARE] = stack.enter_context(server([*uvicorn, "bare_app:app"], env))[0]
    return ports


def median_rps(ports: dict[str, int], target: Target, args: argparse.Namespace) -> dict[str, float]:
    """Each server's requests/s: the median of ``args.rounds`` runs, taken in turns."""
    runs: dict[str, list[float]] = {name: [] for name in ports}
    for turn in range(args.rounds):
        for name in list(ports) if turn % 2 == 0 else list(reversed(ports)):
            runs[name].append(measure(ports[name], target, args.seconds, 16)["rps"])
    return {name: statistics.median(found) for name, found in runs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    print(f"median of {args.rounds} round(s) of {args.seconds:g} s each, in turns")
    print(f"{'api':10} {'server':28} {'rps':>7} {'ratio':>6}  (aim ≥{AIM:.2f})")
    for target in (t for t in targets() if t.api in APIS):
        with ExitStack() as stack:
            rps = median_rps(start_servers(stack, target), target, args)
        for name, value in rps.items():
            print(f"{target.api:10} {name:28} {value:7.0f} {value / rps[BARE]:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
