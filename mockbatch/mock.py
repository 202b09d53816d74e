"""One running mock: its clock and engine, its journal, and the scenarios it was loaded with.

``reset()`` puts it back to the loaded scenarios; ``load()`` adds a scenario at run time;
``reload()`` swaps the loaded scenarios for new versions of their files, without a reset.
Adapters ask it which outcome a new item gets (:meth:`outcome_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from .auth import AuthSettings
from .callbacks import CallbackPolicy, Outbox
from .clock import Clock, MovableClock, VirtualClock
from .engine import Awaited, Batch, Engine, GeneratedItems, ListItems
from .faults import Fault, Faults, RateLimiter
from .journal import DEFAULT_LIMIT, DEFAULT_MAX_BYTES, Journal
from .scenarios import BatchSpec, Outcome, Scenario, outcome_for


class Clearable(Protocol):
    """A cache derived from requests or state (e.g. a ``specs.Memo``): emptied on reset."""

    def clear(self) -> None: ...


class Mock:
    """The state behind one app: what the control API shows and the adapters change."""

    def __init__(
        self,
        *,
        scenarios: Iterable[Scenario] = (),
        clock: Clock | None = None,
        seed: int = 0,
        journal_limit: int = DEFAULT_LIMIT,
        journal_bytes: int = DEFAULT_MAX_BYTES,
        allow_hosts: Iterable[str] = (),
        secret_headers: Iterable[str] = (),
        journal_secrets: bool = False,
    ) -> None:
        self.clock: Clock = clock if clock is not None else VirtualClock()
        self.engine = Engine(clock=self.clock, seed=seed)
        self.journal = Journal(
            limit=journal_limit,
            max_bytes=journal_bytes,
            secret_headers=secret_headers,
            keep_secrets=journal_secrets,
        )
        self.outbox = Outbox(
            engine=self.engine,
            journal=self.journal,
            virtual=lambda: isinstance(self.clock, VirtualClock) and self.clock.name == "virtual",
        )
        if isinstance(self.clock, VirtualClock):
            self.clock.on_change(self.outbox.poke)
        self.allow_hosts = tuple(allow_hosts)
        self.faults = Faults()
        self._settings: dict[tuple[str, str], Any] = {}
        self.rate_limits: dict[str, RateLimiter | None] = {}  # None: this API has none
        self.engine.stalls = self._stalls
        self.engine.gone = self._gone
        self.loaded: list[Scenario] = list(scenarios)
        self.added: list[Scenario] = []
        # Caches the apps and adapters keep beside the state (they register here): a reset
        # empties them, so that it gives back what a load run made them hold.
        self.caches: list[Clearable] = []
        self.reset()

    @property
    def scenarios(self) -> list[Scenario]:
        return [*self.loaded, *self.added]

    def reset(self) -> None:
        """Back to the loaded scenarios: batches rebuilt, IDs restarted, journal and caches
        emptied, scenarios added at run time dropped. A virtual clock goes back to its start, the
        wall clock back to real time (no offset).
        """
        with self.engine.lock:
            self.added.clear()
            if isinstance(self.clock, MovableClock):
                self.clock.reset()
            self.engine.clear()
            self.journal.clear()
            for cache in self.caches:
                cache.clear()
            self.outbox.clear()
            self.faults.reset(f for s in self.scenarios for f in s.faults)
            self.rate_limits = {}
            self._settings.clear()
            for scenario in self.scenarios:
                self._install(scenario)
            self.outbox.settle()
        self.outbox.wake()

    def load(self, scenario: Scenario, *, trusted: bool = False) -> None:
        """Add a scenario now; its batches replace any with the same ID.

        Unless ``trusted`` (code, not a client: the pytest handle), its
        ``options.callbacks.allow_hosts`` is ignored: a scenario uploaded at run time cannot let
        callbacks go where the command line and the start-up scenarios did not.
        """
        if not trusted:
            scenario = _without_allow_hosts(scenario)
        with self.engine.lock:
            self.added.append(scenario)
            self._settings.clear()
            self.faults.add_from_scenario(scenario.faults)
            self.rate_limits.pop(scenario.api, None)
            self._install(scenario)
            self._refresh_stalls()
            # targets may have changed (new options): settle what the scenarios hold complete
            self.outbox.settle(scenario.api, [b.id for s in self.scenarios for b in s.batches])
        self.outbox.wake()

    def reload(self, loaded: Iterable[Scenario]) -> None:
        """Serve ``loaded`` in place of the scenarios the server started with (their files
        changed: ``serve --watch``), without a reset.

        A batch the scenarios define differently now is rebuilt (its polls and progress start
        again), one they no longer define is removed, one defined as before keeps going. The
        batches clients created, the scenarios added at run time, the journal, the clock, the
        IDs and the run-time faults stay; a later :meth:`reset` goes back to ``loaded``.
        """
        with self.engine.lock:
            before, old = _defined(self.scenarios), self.scenarios
            self.loaded = list(loaded)
            after = _defined(self.scenarios)
            for key in before.keys() - after.keys():
                self.engine.remove(*key)
            fresh = {key: spec for key, spec in after.items() if before.get(key) != spec}
            now = self.clock.now()
            for (api, _), spec in fresh.items():
                self._add_batch(api, spec, now)
            self.outbox.forget(fresh)
            kept = {id(s) for s in old} & {id(s) for s in self.scenarios}
            for api in {s.api for s in (*old, *self.scenarios) if id(s) not in kept}:
                self.rate_limits.pop(api, None)
            self._settings.clear()
            self.faults.replace_scenarios(f for s in self.scenarios for f in s.faults)
            self._refresh_stalls()
            for api in {api for api, _ in fresh}:
                self.outbox.settle(api, [i for a, i in fresh if a == api])
        self.outbox.wake()

    def _install(self, scenario: Scenario) -> None:
        now = self.clock.now()
        for spec in scenario.batches:
            self._add_batch(scenario.api, spec, now)

    def _add_batch(self, api: str, spec: BatchSpec, now: datetime) -> None:
        if spec.on_create:  # recorded: the next batch a client creates becomes this one
            self.engine.await_create(api, Awaited(spec.id, spec.items, dict(spec.meta)))
            return
        created = spec.created_at or now
        items: ListItems | GeneratedItems
        if spec.generate is not None:
            items = GeneratedItems(spec.generate, created)
        else:
            items = ListItems([(item, created, 0) for item in spec.items])
        self.engine.add(
            Batch(
                api=api,
                id=spec.id,
                items=items,
                created_at=created,
                meta=dict(spec.meta),
                paused=spec.paused,
                cancel=spec.cancel,
            )
        )

    def outcome_for(self, api: str, view: Mapping[str, Any]) -> Outcome | None:
        """The first matching rule's outcome over this API's scenarios, else their default."""
        return outcome_for([s for s in self.scenarios if s.api == api], view)

    def options(self, api: str) -> dict[str, Any]:
        """This API's ``options`` merged over its scenarios (later files win)."""
        kept: dict[str, Any] | None = self._settings.get(("options", api))  # asked often
        if kept is not None:
            return kept

        def merge() -> dict[str, Any]:
            merged: dict[str, Any] = {}
            for scenario in self.scenarios:
                if scenario.api == api:
                    merged.update(scenario.options)
            return merged

        found: dict[str, Any] = self._derived("options", api, merge)
        return found

    def auth(self, api: str) -> AuthSettings:
        """This API's authentication settings (``options: {auth: ...}``)."""
        found: AuthSettings | None = self._settings.get(("auth", api))  # asked every request
        if found is None:
            found = self._derived("auth", api, lambda: AuthSettings.from_options(self.options(api)))
        return found

    def callback_policy(self, api: str) -> CallbackPolicy:
        """How this API's callbacks are delivered (its options, plus hosts allowed by flag)."""
        found: CallbackPolicy = self._derived(
            "callbacks",
            api,
            lambda: CallbackPolicy.from_options(self.options(api), allow_hosts=self.allow_hosts),
        )
        return found

    def _derived(self, kind: str, api: str, make: Callable[[], Any]) -> Any:
        """Settings computed from the scenarios once, until the scenarios change."""
        key = (kind, api)
        if key not in self._settings:
            self._settings[key] = make()
        return self._settings[key]

    def rate_limiter(
        self, api: str, default: tuple[int, float] | None = None
    ) -> RateLimiter | None:
        """This API's rate limit (``options: {rate_limit: {limit, window, enforce}}``); else,
        with a ``default`` (the provider's documented limit), one that only reports counts."""
        if api not in self.rate_limits:  # asked on every request: worked out once
            limiter = RateLimiter.from_options(self.options(api))
            if limiter is None and default is not None:
                limiter = RateLimiter(limit=default[0], window=default[1], enforce=False)
            self.rate_limits[api] = limiter
        return self.rate_limits[api]

    def add_faults(self, faults: Iterable[Fault]) -> None:
        """Activate faults now (until reset)."""
        with self.engine.lock:
            self.faults.add(faults)
            self._refresh_stalls()

    def clear_faults(self) -> None:
        """Remove the faults added at run time (the scenarios' faults stay)."""
        with self.engine.lock:
            self.faults.clear_added()
            self._refresh_stalls()

    def _refresh_stalls(self) -> None:
        now = self.clock.now()
        for batch in self.engine.batches():
            stalls = self._stalls(batch)
            if not stalls:
                batch.stalled_at = None
            elif batch.stalled_at is None:
                batch.stalled_at = now

    def _stalls(self, batch: Batch) -> bool:
        return any(f.stall for f in self.faults.for_batch(batch.api, batch.id))

    def _gone(self, batch: Batch, now: datetime) -> bool:
        if not self.faults.all:  # asked at every poll: no fault, nothing to look for
            return False
        for fault in self.faults.for_batch(batch.api, batch.id):
            if fault.vanish_after_polls is not None and batch.polls > fault.vanish_after_polls:
                return True
            if fault.expire_after is not None:
                done = batch.completed_at(now)
                if done is not None and now - done >= timedelta(seconds=fault.expire_after):
                    return True
        return False


def _defined(scenarios: Iterable[Scenario]) -> dict[tuple[str, str], BatchSpec]:
    """The batch each (API, ID) gets from ``scenarios`` (a later one wins, as when loaded)."""
    return {(s.api, spec.id): spec for s in scenarios for spec in s.batches}


def _without_allow_hosts(scenario: Scenario) -> Scenario:
    callbacks = scenario.options.get("callbacks")
    if not isinstance(callbacks, Mapping) or "allow_hosts" not in callbacks:
        return scenario
    kept = {k: v for k, v in callbacks.items() if k != "allow_hosts"}
    return replace(scenario, options={**scenario.options, "callbacks": kept})
