"""``mockbatch serve``, ``mockbatch validate`` and ``mockbatch verify``."""

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
        "--journal-limit",
        type=int,
        default=10_000,
        metavar="N",
        help="keep the last N requests in the journal (default 10000; also at most 64 MiB)",
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="answer 413 to request bodies over BYTES, before reading them whole (default 16 MiB)",
    )
    serve.add_argument(
        "--allow-callback-host",
        action="append",
        default=[],
        metavar="HOST",
        help="let callbacks go to HOST too (default: loopback only); repeatable",
    )
    validate = sub.add_parser("validate", help="check scenario files; one line per problem")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    verify = sub.add_parser(
        "verify",
        help="check that a server (the real provider, or any other) keeps an API's contract",
        description="Send the spec's generated valid and invalid requests (schemathesis) to"
        " BASE_URL and check every response against the API's OpenAPI document.",
    )
    verify.add_argument("--api", required=True, choices=sorted(ADAPTERS), help="which API")
    verify.add_argument(
        "--base-url",
        required=True,
        help="where the API is served, e.g. http://127.0.0.1:8080/ivvy or the provider's URL",
    )
    verify.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for every request (repeat for more), e.g. 'Authorization: Bearer ...'",
    )
    verify.add_argument("--spec", help="an OpenAPI document to use instead of the shipped one")
    verify.add_argument(
        "--max-examples", type=int, default=25, help="generated cases per operation (default 25)"
    )
    verify.add_argument("--seed", type=int, default=1234, help="generation seed (default 1234)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 problems found, 2 usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.paths)
        if args.command == "verify":
            return _verify(args, parser)
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
        journal_limit=args.journal_limit,
        max_body=args.max_body,
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


def _verify(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .resources import specs_dir
    from .verify import exemptions, run

    headers = {}
    for raw in args.header:
        name, colon, value = raw.partition(":")
        if not colon or not name.strip():
            parser.error(f"--header {raw!r}: write it as 'Name: value'")
        headers[name.strip()] = value.strip()
    spec = args.spec or str(specs_dir() / ADAPTERS[args.api].spec_file)
    exempt = exemptions(args.api)
    print(f"mockbatch verify: the {args.api} contract ({spec}) against {args.base_url}")
    print("checks: all (as schemathesis --checks all), with the stateful phase")
    for check, reason in exempt.items():
        print(f"skipped: {check} ({reason})")
    try:
        report = run(
            spec,
            args.base_url,
            headers=headers,
            exempt=exempt,
            max_examples=args.max_examples,
            seed=args.seed,
        )
    except ModuleNotFoundError as exc:
        if exc.name != "schemathesis":
            raise
        print(
            "mockbatch: verify needs schemathesis: pip install 'mockbatch[verify]'", file=sys.stderr
        )
        return 2
    print()
    for operation in report.operations:
        found = report.failures.get(operation)
        print(f"{'FAIL' if found else 'ok  '}  {operation}")
        for failure in sorted(found or ()):
            print(f"        {failure}")
            example = report.examples.get((operation, failure), "").splitlines()
            for line in example[:12]:
                print(f"            {line}")
    failed = len(report.failures)
    total = len(report.operations)
    sent = f"{report.requests} requests sent"
    if failed:
        print(f"\n{failed} of {total} operation(s) broke the contract ({sent})")
        return 1
    if not total:
        print("\nnothing was tested: the spec has no operations")
        return 1
    print(f"\nok: {total} operation(s) kept the contract ({sent})")
    return 0
