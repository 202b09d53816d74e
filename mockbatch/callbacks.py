"""Callback and webhook delivery: in the background, on the mock's clock, every attempt journaled.

When a batch whose adapter names a callback target completes, one delivery is queued (plus any
duplicates the policy asks for). A daemon thread runs only while there is something to watch or
deliver: it notices completions, makes the attempts that are due, and retries failures with
exponential backoff measured on the mock's clock, so a test with a virtual clock sees exactly
the backoff it asked for. Targets off loopback are refused unless allowed.

One ``httpx.Client`` serves every attempt while the thread runs, and is closed when it stops
(building one per attempt cost 25 times the CPU of the attempt). Any exception while sending is
a failed attempt. A reset (:meth:`Outbox.clear`) ends every delivery of the state it discards:
pending ones are never tried again, and an attempt in flight is dropped when it returns (its
generation is no longer the outbox's), so nothing from before a reset is journaled after it.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import urlsplit

from .engine import Batch, Engine
from .journal import Journal

if TYPE_CHECKING:
    import httpx

TICK = 0.01  # seconds between looks at the clock while something is pending
IDLE_WAIT = 5.0
"""Seconds a thread that only watches (no delivery pending) waits for a poke before it goes;
on a virtual clock batches move only when the clock or a request moves them, and each pokes."""


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """How deliveries behave; from a scenario's ``options: {callbacks: {...}}``."""

    timeout: float = 5.0
    max_attempts: int = 5
    backoff: float = 1.0
    factor: float = 2.0
    delay: float = 0.0
    duplicates: int = 0
    allow_hosts: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], *, allow_hosts: Iterable[str] = ()
    ) -> CallbackPolicy:
        raw = options.get("callbacks", {}) if isinstance(options, Mapping) else {}
        base = cls()
        return cls(
            timeout=float(raw.get("timeout", base.timeout)),
            max_attempts=int(raw.get("max_attempts", base.max_attempts)),
            backoff=float(raw.get("backoff", base.backoff)),
            factor=float(raw.get("factor", base.factor)),
            delay=float(raw.get("delay", base.delay)),
            duplicates=int(raw.get("duplicates", base.duplicates)),
            allow_hosts=(*allow_hosts, *raw.get("allow_hosts", ())),
        )

    def wait_before(self, attempt: int) -> float:
        """Seconds between attempt ``attempt - 1`` and ``attempt`` (2, 3, ...)."""
        return self.backoff * self.factor ** (attempt - 2)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message an adapter wants sent: to ``url``, this body and headers."""

    api: str
    batch_id: str
    event: str
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Attempt:
    """One try at a delivery, at a moment on the mock's clock."""

    number: int
    time: datetime
    status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "time": self.time.isoformat(),
            "status": self.status,
            "error": self.error,
        }


@dataclass(slots=True)
class Delivery:
    """A message and its attempts; ``state`` is pending, delivered, failed, refused, or
    discarded (by a reset)."""

    id: int
    message: Outgoing
    policy: CallbackPolicy
    due: datetime | None
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "pending"
    reason: str | None = None
    in_flight: bool = False
    generation: int = 0  # the outbox's generation when queued: a reset starts a new one

    def to_json(self) -> dict[str, Any]:
        m = self.message
        return {
            "id": self.id,
            "api": m.api,
            "batch": m.batch_id,
            "event": m.event,
            "url": m.url,
            "body": m.body.decode("utf-8", errors="replace"),
            "headers": dict(m.headers),
            "state": self.state,
            "reason": self.reason,
            "attempts": [a.to_json() for a in self.attempts],
        }


def malformed(url: str) -> str | None:
    """Why ``url`` cannot be a request's URL at all (None when it can): a control character
    (CR/LF would split the request line), or no parse."""
    for position, char in enumerate(url):
        if char < " " or char == "\x7f":
            return (
                f"control character {char!r} at position {position}"
                " (a URL may not hold CR, LF, NUL or other control characters)"
            )
    try:
        urlsplit(url).port  # noqa: B018 (parsing the port is what raises)
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    return None


def refusal(url: str, allow_hosts: Iterable[str]) -> str | None:
    """Why ``url`` may not be called (None when it may): only loopback, unless allowed."""
    problem = malformed(url)
    if problem is not None:
        return problem
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    host = parts.hostname
    if host in allow_hosts or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"host {host!r} is not loopback (allow it with --allow-callback-host, or with"
        " options.callbacks.allow_hosts in a scenario loaded at start-up, not uploaded)"
    )


class CallbackSource(Protocol):
    """What an adapter provides to have completions called back (see ``apis.ivvy``)."""

    name: ClassVar[str]

    def callback_target(self, batch: Batch) -> str | None:
        """Where ``batch`` reports when it completes (cheap: no state evaluation)."""
        ...

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        """The message for ``event`` (e.g. "completed", "repost") of a completed batch."""
        ...

    def callback_policy(self) -> CallbackPolicy:
        """Delivery settings for this API (from its scenarios' options)."""
        ...


def _client() -> httpx.Client:
    """The client the attempts share (httpx is imported only when a callback is made)."""
    import httpx

    return httpx.Client(trust_env=False)  # targets are loopback: no proxy from the environment


class Outbox:
    """Deliveries of one mock, and the background thread that makes them."""

    def __init__(
        self, *, engine: Engine, journal: Journal, virtual: Callable[[], bool] = lambda: False
    ) -> None:
        self.engine = engine
        self.journal = journal
        self.virtual = virtual  # True while time moves only when told (no need to tick)
        self._watching = False  # some batch with a target has not completed yet
        self.deliveries: list[Delivery] = []
        self.sources: list[CallbackSource] = []
        self.generation = 0  # one more at each clear(): older deliveries are discarded
        self.in_flight = 0  # attempts under way, of any generation (each holds the client)
        self._notified: set[tuple[str, str]] = set()
        self._thread: threading.Thread | None = None
        self._woken = False
        self._changed = threading.Condition()
        # On a virtual clock, with every wake seen: the thread waits for a poke (a request, a
        # move of the clock) to look at the running batches again.
        self.resting = False

    @property
    def idle(self) -> bool:
        """No thread running: nothing pending, watched or in flight."""
        return self._thread is None

    def send(self, message: Outgoing, policy: CallbackPolicy) -> list[Delivery]:
        """Queue ``message`` (and its duplicates); refused targets are journaled at once."""
        with self.engine.lock:
            now = self.engine.now()
            made = []
            for _ in range(1 + policy.duplicates):
                delivery = Delivery(
                    id=len(self.deliveries) + 1,
                    message=message,
                    policy=policy,
                    due=now + timedelta(seconds=policy.delay),
                    generation=self.generation,
                )
                reason = refusal(message.url, policy.allow_hosts)
                if reason is not None:
                    delivery.state, delivery.reason, delivery.due = "refused", reason, None
                    self._journal(delivery, None)
                self.deliveries.append(delivery)
                made.append(delivery)
        self.wake()
        return made

    def settle(self, api: str | None = None, batch_ids: Iterable[str] | None = None) -> None:
        """Batches already complete now (e.g. a scenario's finished ones) never call back:
        they finished before the mock's time began."""
        with self.engine.lock:
            now = self.engine.now()
            wanted = set(batch_ids) if batch_ids is not None else None
            for source in self.sources:
                if api is not None and source.name != api:
                    continue
                for batch in self.engine.batches(source.name):
                    if wanted is not None and batch.id not in wanted:
                        continue
                    if source.callback_target(batch) and batch.completed_at(now) is not None:
                        self._notified.add((source.name, batch.id))

    def forget(self, batches: Iterable[tuple[str, str]]) -> None:
        """These (API, ID) batches were rebuilt (their scenario changed): each calls back when
        it completes, as a new batch does."""
        with self.engine.lock:
            self._notified.difference_update(batches)

    def wake(self) -> None:
        """Make sure the thread runs (it stops by itself when nothing is left to do)."""
        with self._changed:
            self._woken = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="mockbatch-callbacks", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def poke(self) -> None:
        """Something may have moved a batch on (a request, the clock): look again if any
        batch with a target is still running. Cheap when none is."""
        if self._watching:
            self.wake()

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate()`` holds after some delivery progress (for tests)."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def clear(self) -> None:
        """Forget every delivery (a reset): none is tried again, none in flight is journaled."""
        with self.engine.lock:
            self.generation += 1
            for delivery in self.deliveries:
                if delivery.state == "pending":
                    delivery.state, delivery.due = "discarded", None
                    delivery.reason = "the mock was reset"
            self.deliveries.clear()
            self._notified.clear()

    def _run(self) -> None:
        client: httpx.Client | None = None  # built at the first attempt: most runs only watch
        try:
            while True:
                with self._changed:
                    self._woken = False
                due, busy, watching = self._look()
                if due and client is None:
                    client = _client()
                for delivery in due:
                    threading.Thread(
                        target=self._attempt,
                        args=(delivery, client),
                        name="mockbatch-callback",
                        daemon=True,
                    ).start()
                if not self._rest(busy, watching):
                    return
        finally:
            if client is not None:
                client.close()
            with self._changed:
                if self._thread is threading.current_thread():  # it failed: the next wake()
                    self._thread = None  # starts another
                self._changed.notify_all()

    def _look(self) -> tuple[list[Delivery], bool, bool]:
        """Queue completions; the deliveries now due (marked in flight), whether any delivery
        is still pending or in flight, and whether a batch with a target is still running."""
        with self.engine.lock:
            now = self.engine.now()
            self._watching = watching = self._watch(now)
            due = [
                d for d in self.deliveries if d.due is not None and not d.in_flight and d.due <= now
            ]
            for delivery in due:
                delivery.in_flight = True
            self.in_flight += len(due)
            pending = any(d.state == "pending" for d in self.deliveries)
            return due, pending or self.in_flight > 0, watching

    def _rest(self, busy: bool, watching: bool) -> bool:
        """Wait until the next look; False (the thread stops) when there is nothing to do.

        Pending deliveries and, on a wall clock, running batches are looked at every tick. On a
        virtual clock a running batch moves only when poked (a request, the clock), so the thread
        sleeps until then, and goes after ``IDLE_WAIT`` seconds of quiet (a poke brings it back).
        """
        with self._changed:
            if self._woken:
                return True
            if busy or (watching and not self.virtual()):
                self._changed.wait(TICK)
                return True
            if watching:
                self.resting = True  # until poked: a test can wait for this (see ``wait``)
                self._changed.notify_all()
                poked = self._changed.wait(IDLE_WAIT)
                self.resting = False
                if poked:
                    return True
            self._thread = None
            return False

    def _watch(self, now: datetime) -> bool:
        """Queue a delivery for each newly completed batch with a target; True while some wait."""
        waiting = False
        for source in self.sources:
            for batch in self.engine.batches(source.name):
                key = (source.name, batch.id)
                if key in self._notified or source.callback_target(batch) is None:
                    continue
                if batch.completed_at(now) is None:
                    waiting = True
                    continue
                self._notified.add(key)
                self.send(source.callback_message(batch, "completed"), source.callback_policy())
        return waiting

    def _attempt(self, delivery: Delivery, client: httpx.Client) -> None:
        with self.engine.lock:
            live = delivery.generation == self.generation
            attempt = Attempt(number=len(delivery.attempts) + 1, time=self.engine.now())
        if live:  # a reset since it fell due: never sent
            self._post(client, delivery, attempt)
        with self.engine.lock:
            self.in_flight -= 1
            delivery.in_flight = False
            if live:
                delivery.attempts.append(attempt)
            if delivery.generation == self.generation:
                self._settle(delivery, attempt)
                self._journal(delivery, attempt)
        with self._changed:
            self._changed.notify_all()

    @staticmethod
    def _post(client: httpx.Client, delivery: Delivery, attempt: Attempt) -> None:
        message = delivery.message
        try:
            response = client.post(
                message.url,
                content=message.body,
                headers={"content-type": "application/json", **message.headers},
                timeout=delivery.policy.timeout,
            )
            attempt.status = response.status_code
        except Exception as exc:  # whatever it is (a bad URL too), the attempt failed
            attempt.error = f"{type(exc).__name__}: {exc}"

    @staticmethod
    def _settle(delivery: Delivery, attempt: Attempt) -> None:
        """Delivered, given up, or due again after the policy's backoff."""
        if attempt.status is not None and 200 <= attempt.status < 300:
            delivery.state, delivery.due = "delivered", None
        elif attempt.number >= delivery.policy.max_attempts:
            delivery.state, delivery.due = "failed", None
            delivery.reason = f"gave up after {attempt.number} attempts"
        else:
            wait = delivery.policy.wait_before(attempt.number + 1)
            delivery.due = attempt.time + timedelta(seconds=wait)

    def _journal(self, delivery: Delivery, attempt: Attempt | None) -> None:
        message = delivery.message
        entry = self.journal.record(
            time=attempt.time if attempt else self.engine.now(),
            api=message.api,
            method="POST",
            path=message.url,
            query="",
            headers=dict(message.headers),
            body=message.body,
        )
        entry.kind = "callback"
        entry.status = attempt.status if attempt else None
        if attempt is None:
            entry.outcome = f"refused: {delivery.reason}"
        elif attempt.error:
            entry.outcome = f"attempt {attempt.number}: {attempt.error}"
        else:
            entry.outcome = f"attempt {attempt.number}: HTTP {attempt.status}"
        if delivery.due is not None and attempt is not None:
            entry.outcome += f"; next attempt at {delivery.due.isoformat()}"
