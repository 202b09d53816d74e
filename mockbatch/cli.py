"""``mockbatch serve`` and ``mockbatch validate``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .apis.registry import ADAPTERS
from .clock import Clock, SystemClock, VirtualClock
from .errors import LoadError, MockbatchError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockbatch", description="Mock and contract-testing server for batch APIs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="serve the mock (all APIs under /<api>, control API under /__mockbatch)"
    )
    serve.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="scenario files or folders (default: the shipped scenarios)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    serve.add_argument(
        "--api", choices=sorted(ADAPTERS), help="serve this API alone, at the root path"
    )
    serve.add_argument(
        "--clock",
        choices=["virtual", "wall"],
        default="wall",
        help="wall (default): real time; virtual: moves only via POST /__mockbatch/clock",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for generated IDs (default 0)")
    serve.add_argument(
        "--allow-callback-host",
        action="append",
        default=[],
        metavar="HOST",
        help="let callbacks go to HOST too (default: loopback only); repeatable",
    )
    validate = sub.add_parser("validate", help="check scenario files; one line per problem")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 problems found, 2 usage)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.paths)
        return _serve(args)
    except LoadError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except MockbatchError as exc:
        print(f"mockbatch: {exc}", file=sys.stderr)
        return 1


def _validate(paths: Sequence[str]) -> int:
    from .app import load_scenarios

    scenarios = load_scenarios(paths)
    print(f"ok: {len(scenarios)} scenario file(s)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app, load_scenarios

    scenarios = load_scenarios(args.paths or None)
    clock: Clock = VirtualClock() if args.clock == "virtual" else SystemClock()
    app = create_app(
        scenarios=scenarios,
        clock=clock,
        root_api=args.api,
        seed=args.seed,
        allow_callback_hosts=args.allow_callback_host,
    )
    where = f"http://{args.host}:{args.port}"
    served = [args.api] if args.api else sorted(ADAPTERS)
    mounts = ", ".join(f"{where}{'' if args.api else '/' + n}" for n in served)
    print(
        f"mockbatch: serving {mounts} (control API {where}/__mockbatch, {args.clock} clock)",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    return 0
