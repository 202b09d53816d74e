"""The contract every API provider fulfils: :class:`Provider`, one subclass per API.

Providers are found through the ``mockbatch.providers`` entry-point group (the built-ins are
registered there too), so an API is one package and nothing else. Each capability below has a
documented default; generic code calls the capability and never asks whether a provider has it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .engine import Batch, ItemState
from .errors import ApiError, MethodNotAllowed

if TYPE_CHECKING:
    from datetime import datetime

    from .apis import Call, Observation, Reply
    from .callbacks import CallbackPolicy, Outgoing
    from .context import Context
    from .errors import Problem
    from .journal import Entry
    from .lifecycle import Lifecycle
    from .record.book import Recorder
    from .scenarios import Scenario
    from .specs import Spec


@dataclass(frozen=True, slots=True)
class TestProfile:
    """What the cross-cutting tests and the benchmarks need to talk to a provider.

    ``headers``: a valid key's headers; ``batch_id``: a batch of its default scenario that is
    served as complete; ``poll``: a request (method, path under the API's prefix, JSON body or
    None) that reads that batch; ``error_keys``: the top-level keys every error body of its has.
    """

    __test__ = False  # not a pytest test class, whatever its name

    headers: Mapping[str, str] = field(default_factory=dict)
    batch_id: str = ""
    poll: tuple[str, str, Any] = ("GET", "/", None)
    error_keys: frozenset[str] = frozenset()


Handler = Callable[[Any, "Call"], "Reply"]
"""A provider's method answering one operation: ``(self, call) -> Reply``."""


class Provider:
    """Base class of an API provider: wire shapes only; state lives in the engine.

    Subclasses set ``name``, ``spec_file`` and ``operations`` and implement :meth:`error` and
    the handlers ``operations`` names; everything else is optional.
    """

    name: ClassVar[str]
    """The API's name, also its path prefix (``/ivvy``) and its scenarios' ``api``."""
    spec_file: ClassVar[str]
    """Its OpenAPI document, a file in :meth:`data_dirs`' specs folder."""
    scenario_file: ClassVar[str | None] = None
    """Its default scenario, a file in :meth:`data_dirs`' scenarios folder."""
    operations: ClassVar[Mapping[str, Handler]] = {}
    """operationId -> the method ``(self, call) -> Reply`` that answers it (set it at the end
    of the class body: ``operations = {"getBatch": _get_batch}``); checked against the spec at
    start-up (a missing or extra entry refuses to start)."""
    verify_exemptions: ClassVar[Mapping[str, str]] = {}
    """schemathesis checks that cannot hold for this API, each with its reason."""
    secret_headers: ClassVar[tuple[str, ...]] = ()
    """Headers besides the usual ones (Authorization...) whose values the journal masks."""
    media_types: ClassVar[tuple[str, ...]] = ()
    """Request media types beyond JSON that ``verify`` sends to this API."""
    default_rate_limit: ClassVar[tuple[int, float] | None] = None
    """(requests, window seconds) reported per key when no scenario sets ``rate_limit``."""
    profile: ClassVar[TestProfile] = TestProfile()

    def __init__(self, ctx: Context, spec: Spec) -> None:
        self.ctx = ctx
        self.spec = spec

    @classmethod
    def data_dirs(cls) -> tuple[Path, Path]:
        """(specs folder, scenarios folder): the shipped ones; a third-party provider points
        inside its own package."""
        from .resources import default_scenarios_dir, specs_dir

        return specs_dir(), default_scenarios_dir()

    def handle(self, call: Call) -> Reply:
        """Answer a matched request with the handler ``operations`` names for it."""
        handler = self.operations.get(call.operation.id)
        if handler is None:
            raise MethodNotAllowed(405, f"{call.method} {call.path} is not served")
        return handler(self, call)

    def error(self, error: ApiError) -> Reply:
        """Render ``error`` in the provider's own format."""
        raise NotImplementedError

    def api_key(self, headers: Mapping[str, str]) -> str:
        """Who a request counts against (rate limits): its bearer token, else anonymous."""
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip() or "anonymous"
        return "anonymous"

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """What a journaled request did to a batch, for the pytest assertions (None: nothing)."""
        return None

    def callback_target(self, batch: Batch) -> str | None:
        """Where ``batch`` calls back when it completes (None: it does not)."""
        return None

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        """The message sent to :meth:`callback_target` (only asked when there is a target)."""
        raise NotImplementedError(f"{self.name} names a callback target but no message")

    def callback_policy(self) -> CallbackPolicy:
        """How callbacks are delivered: the scenarios' ``options.callbacks``."""
        return self.ctx.callback_policy()

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """Problems with a scenario of this API that the generic schema cannot see."""
        return []

    def status_word(self, batch: Batch, now: datetime) -> str:
        """``batch``'s status at ``now`` in this API's own words, as it would answer a read of
        it (``in_progress``, ``COMPLETED``...), for the dashboard. It reads, never polls.
        Default: the engine's word (:func:`engine_status`)."""
        return engine_status(batch, now)

    @classmethod
    def lifecycle(cls) -> Lifecycle | None:
        """Its client flow and lifecycle rules for ``verify --lifecycle`` (None: it has
        none, and ``verify --lifecycle`` says so)."""
        return None

    @classmethod
    def recorder(cls) -> Recorder | None:
        """How ``mockbatch record`` reads this API's answers into a scenario (None: the API
        cannot be recorded, and ``record --api`` says so)."""
        return None


def engine_status(batch: Batch, now: datetime) -> str:
    """The engine's word for ``batch`` at ``now``: paused, cancelled, completed (with
    failures), pending or in progress."""
    if batch.paused:
        return "paused"
    if batch.cancelled_at(now) is not None:
        return "cancelled"
    counts = batch.counts(now)
    if batch.completed_at(now) is not None:
        return "completed with failures" if counts[ItemState.FAILED] else "completed"
    if counts[ItemState.PENDING] == len(batch.items):
        return "pending"
    return "in progress"


def operation_problems(provider: type[Provider], spec: Spec) -> list[str]:
    """What is wrong between a provider's ``operations`` and its spec (empty: they agree)."""
    declared = set(provider.operations)
    in_spec = set(spec.operations)
    missing = [f"operation {op!r} of its spec has no handler" for op in sorted(in_spec - declared)]
    extra = [f"a handler for {op!r}, which its spec lacks" for op in sorted(declared - in_spec)]
    return missing + extra
