"""``mockbatch serve``, ``mockbatch validate`` and ``mockbatch verify``."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import quote

from . import __version__, registry
from .clock import Clock, SystemClock, VirtualClock
from .errors import LoadError, MockbatchError

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from .scenarios import Scenario
    from .verify import Report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockbatch", description="Mock and contract-testing server for batch APIs."
    )
    parser.add_argument("--version", action="version", version=f"mockbatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(
        sub.add_parser(
            "serve", help="serve the mock (all APIs under /<api>, control API under /__mockbatch)"
        )
    )
    validate = sub.add_parser("validate", help="check scenario files; one line per problem")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    _verify_parser(
        sub.add_parser(
            "verify",
            help="check that a server (the real provider, or any other) keeps an API's contract",
            description="Send the spec's generated valid and invalid requests (schemathesis) to"
            " BASE_URL and check every response against the API's OpenAPI document.",
        )
    )
    _record_parser(
        sub.add_parser(
            "record",
            help="proxy a provider and write what a client's run showed as a scenario",
            description="Serve API's routes on 127.0.0.1:PORT, forward every request to"
            " UPSTREAM and answer with its answer unchanged. On Ctrl-C, SIGTERM or"
            " POST /__mockbatch/record/stop, write the batches seen as a scenario file.",
        )
    )
    return parser


def _record_parser(record: argparse.ArgumentParser) -> None:
    record.add_argument("--api", required=True, choices=registry.names(), help="which API")
    record.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the provider's base URL, as a client would use it (e.g. https://api.ivvy.com)",
    )
    record.add_argument(
        "--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    record.add_argument("--out", metavar="FILE", help="where to write (default recorded-API.yaml)")
    record.add_argument(
        "--max-body",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="largest request or upstream answer body forwarded (default 16 MiB)",
    )


def _serve_parser(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="scenario files or folders (default: the shipped scenarios)",
    )
    serve.add_argument(
        "--with-defaults",
        action="store_true",
        help="serve the shipped scenarios too, under the given files (which win where they clash)",
    )
    serve.add_argument(
        "--watch",
        action="store_true",
        help="reload the given files when they change (an invalid one is reported, and its last"
        " good version keeps serving)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    serve.add_argument(
        "--api", choices=registry.names(), help="serve this API alone, at the root path"
    )
    serve.add_argument(
        "--clock",
        choices=["virtual", "wall"],
        default="wall",
        help="wall (default): real time; virtual: moves only via POST /__mockbatch/clock",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for generated IDs (default 0)")
    _limits(serve)


def _limits(serve: argparse.ArgumentParser) -> None:
    """``serve``'s bounds and safety options."""
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
    serve.add_argument(
        "--control-token",
        type=_token,
        default=os.environ.get("MOCKBATCH_CONTROL_TOKEN") or None,
        metavar="TOKEN",
        help="the control API answers 401 unless sent 'Authorization: Bearer TOKEN'"
        " (default: $MOCKBATCH_CONTROL_TOKEN; none: open)",
    )
    serve.add_argument(
        "--journal-secrets",
        action="store_true",
        help="journal keys, tokens and signatures as sent (default: masked)",
    )


def _verify_parser(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("--api", required=True, choices=registry.names(), help="which API")
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
    _lifecycle_options(verify)


def _lifecycle_options(verify: argparse.ArgumentParser) -> None:
    """``verify --lifecycle`` and its bounds."""
    verify.add_argument(
        "--lifecycle",
        action="store_true",
        help="run the API's own small client flow and check its lifecycle contract instead",
    )
    verify.add_argument(
        "--max-polls", type=int, default=30, metavar="N", help="polls per batch (default 30)"
    )
    verify.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="seconds the whole lifecycle run may take (default 600)",
    )
    verify.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds between polls when the clock is not moved (default 5)",
    )
    verify.add_argument(
        "--advance-clock",
        type=float,
        default=None,
        metavar="S",
        help="on a mockbatch server (found by GET /__mockbatch/health), move its clock S"
        " seconds between polls instead of waiting (default 5; 0: never move it)",
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535; 0 picks a free one)")
    return port


def _token(text: str) -> str:
    if not text or not text.isascii() or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError("a token is printable ASCII, without spaces")
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status: 0 ok; 1 problems found, or a runtime error (a bad
    scenario, a port taken); 2 usage."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args.paths)
        if args.command == "verify":
            return _verify(args, parser)
        if args.command == "record":
            from .record.cli import record

            return record(args, _STOP_SIGNALS)
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
    from .app import create_app, load_scenarios
    from .resources import default_scenarios_dir
    from .server import ServerThread

    if args.watch and not args.paths:
        print("mockbatch: --watch reloads the scenario files you give: name them", file=sys.stderr)
        return 2
    paths = [default_scenarios_dir(), *args.paths] if args.with_defaults else args.paths
    # Serving one API, only its provider's default scenario is read (its package imported).
    scenarios = load_scenarios(paths or None, apis=[args.api] if args.api else None)
    clock: Clock = VirtualClock() if args.clock == "virtual" else SystemClock()
    app = create_app(
        scenarios=scenarios,
        clock=clock,
        root_api=args.api,
        seed=args.seed,
        allow_callback_hosts=args.allow_callback_host,
        journal_limit=args.journal_limit,
        max_body=args.max_body,
        control_token=args.control_token,
        journal_secrets=args.journal_secrets,
    )
    if not _loopback(args.host):
        print(_exposed(args.host, args.control_token is not None), file=sys.stderr)
    _reporting = ClockReport(clock)  # held while serving: the clock holds its listener weakly
    with _stop_signals() as wait_for_stop:
        try:
            server = ServerThread(app, host=args.host, port=args.port)
        except OSError as exc:
            print(f"mockbatch: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        with server, _watching(args, app):
            for line in _banner(args, scenarios, app.state.mock.loaded, server.url):
                print(line, file=sys.stderr)
            wait_for_stop()
    return 0


@contextmanager
def _stop_signals() -> Iterator[Callable[[], None]]:
    """A wait for SIGINT or SIGTERM whose handlers take no lock.

    Setting a ``threading.Event`` from the handler deadlocked when the signal came while the
    main thread, waiting on that Event, held its lock (a server stopped right after its first
    answer hung for good). Here the signal's number is written to a pipe
    (``signal.set_wakeup_fd``) and the wait reads it.
    """
    readable, writable = os.pipe()
    os.set_blocking(writable, False)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in _STOP_SIGNALS}
    old_fd = signal.set_wakeup_fd(writable)
    numbers = {int(sig) for sig in _STOP_SIGNALS}

    def wait() -> None:
        while os.read(readable, 1)[0] not in numbers:
            pass

    try:
        yield wait
    finally:
        signal.set_wakeup_fd(old_fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(readable)
        os.close(writable)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # both end the server cleanly, exit status 0


@contextmanager
def _watching(args: argparse.Namespace, app: Starlette) -> Iterator[None]:
    """With ``--watch``, the thread reloading the given files (shown by the control API and
    the dashboard) runs while serving."""
    if not args.watch:
        yield
        return
    from .watch import Watcher

    watcher = Watcher(
        app.state.mock, args.paths, serves=app.state.apis, check=app.state.check_scenario
    )
    app.state.watch = watcher.start()
    try:
        yield
    finally:
        watcher.stop()


def _banner(
    args: argparse.Namespace, given: Sequence[Scenario], served: Sequence[Scenario], url: str
) -> list[str]:
    """What was loaded and where it is served (the real URL: with --port 0, the port taken)."""
    lines = [f"mockbatch: loaded {len(served)} scenario file(s):"]
    lines += [f"  {s.source}: {s.api} scenario {s.name!r}" for s in served]
    skipped = [s for s in given if s not in served]
    if skipped:
        lines.append(
            f"mockbatch: not served (--api {args.api}): " + ", ".join(s.source for s in skipped)
        )
    names = [args.api] if args.api else registry.names()
    mounts = ", ".join(f"{url}{'' if args.api else '/' + n}" for n in names)
    token = ", token required" if args.control_token else ""
    if args.watch:
        lines.append(
            f"mockbatch: watching {', '.join(args.paths)}: a change is reloaded; an invalid file"
            " is reported here and on the dashboard, and its last good version keeps serving"
        )
    login = f"?token={quote(args.control_token, safe='')}" if args.control_token else ""
    lines.append(f"mockbatch: dashboard {url}/__mockbatch/ui{login}")
    lines.append(
        f"mockbatch: serving {mounts} (control API {url}/__mockbatch{token}, {args.clock} clock)"
    )
    return lines


class ClockReport:
    """Says in the terminal where time travel took the clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        if isinstance(clock, SystemClock | VirtualClock):
            clock.on_change(self.moved)

    def moved(self) -> None:
        offset = getattr(self.clock, "offset", None)
        where = (
            f"{offset:.0f} s ahead of real time"
            if offset is not None
            else self.clock.now().isoformat()
        )
        print(f"mockbatch: the clock is now {where}", file=sys.stderr)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _exposed(host: str, guarded: bool) -> str:
    """The warning for a server others can reach."""
    control = (
        "the control API needs the token"
        if guarded
        else "they can also reset it, load scenarios and read the journal (set --control-token)"
    )
    return (
        f"mockbatch: warning: --host {host} is not loopback: anyone who can reach this port can"
        f" use the mocked APIs; {control}"
    )


def _verify(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .verify import Contract, run

    headers = {}
    for raw in args.header:
        name, colon, value = raw.partition(":")
        if not colon or not name.strip():
            parser.error(f"--header {raw!r}: write it as 'Name: value'")
        headers[name.strip()] = value.strip()
    if args.lifecycle:
        from .lifecycle.command import verify_lifecycle

        return verify_lifecycle(
            args.api,
            args.base_url,
            headers,
            max_polls=args.max_polls,
            timeout=args.timeout,
            interval=args.interval,
            advance=args.advance_clock,
        )
    contract = Contract.of(args.api)
    spec = args.spec or str(contract.spec)
    exempt = contract.exempt
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
            media_types=contract.media_types,
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
    return _report(report)


def _report(report: Report) -> int:
    """Print what a verify run found; the exit status."""
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
