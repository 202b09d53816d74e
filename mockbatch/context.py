"""What a provider may use of the mock: :class:`Context`, one per served API.

A provider reads and changes batches only through its context (never the whole
:class:`~mockbatch.mock.Mock`, never a ``Batch`` field directly), so the engine stays the one
owner of state and time, and a provider's reach is what this page lists.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import AuthSettings
    from .callbacks import CallbackPolicy, Delivery, Outgoing
    from .engine import After, Batch, Ids, ItemSpec
    from .mock import Clearable, Mock
    from .scenarios import Outcome, Scenario


class Context:
    """The engine's batch operations, the clock and the settings of one API (``name``)."""

    def __init__(self, mock: Mock, name: str) -> None:
        self._mock = mock
        self._engine = mock.engine
        self.name = name

    # -- time and IDs ------------------------------------------------------------------------

    def now(self) -> datetime:
        """The mock's time (virtual or wall)."""
        return self._engine.now()

    @property
    def ids(self) -> Ids:
        """The deterministic ID source (restarted by a reset)."""
        return self._engine.ids

    @property
    def lock(self) -> threading.RLock:
        """The engine's lock (requests are already handled under it)."""
        return self._engine.lock

    # -- batches -----------------------------------------------------------------------------

    def get(self, batch_id: str) -> Batch | None:
        """This API's batch ``batch_id`` (None when unknown, vanished or expired)."""
        return self._engine.get(self.name, batch_id)

    def poll(self, batch_id: str) -> Batch | None:
        """Look a batch up as a poll: the poll is counted before its state is read."""
        return self._engine.poll(self.name, batch_id)

    def batches(self) -> list[Batch]:
        """Every batch of this API."""
        return self._engine.batches(self.name)

    def create(self, batch_id: str, specs: Sequence[ItemSpec], meta: dict[str, Any]) -> Batch:
        """A new batch of this API whose items start now."""
        return self._engine.create(self.name, batch_id, specs, meta)

    def cancel(self, batch: Batch, *, running_too: bool) -> None:
        """Cancel ``batch`` now."""
        self._engine.cancel(batch, running_too=running_too)

    def schedule_cancel(self, batch: Batch, after: After, *, running_too: bool) -> None:
        """Cancel ``batch`` once ``after`` has passed (unless a cancel is already set)."""
        self._engine.schedule_cancel(batch, after, running_too=running_too)

    def pause(self, batch: Batch) -> None:
        """Hold ``batch`` until :meth:`resume`."""
        self._engine.pause(batch)

    def resume(self, batch: Batch) -> None:
        """Let a paused batch go on from now."""
        self._engine.resume(batch)

    def add_items(self, batch: Batch, specs: Sequence[ItemSpec]) -> None:
        """Append items that arrive now."""
        self._engine.add_items(batch, specs)

    def set_meta(self, batch: Batch, key: str, value: Any) -> None:
        """Record a fact of the provider's about ``batch``."""
        self._engine.set_meta(batch, key, value)

    def records(self, kind: str) -> Context:
        """A context for the provider's records of another kind (``check`` + ``files``): engine
        batches under ``<name>.<kind>``, listed by the control API, emptied by a reset."""
        return Context(self._mock, f"{self.name}.{kind}")

    # -- settings from the scenarios -----------------------------------------------------------

    def scenarios(self) -> list[Scenario]:
        """This API's scenarios, in load order."""
        return [s for s in self._mock.scenarios if s.api == self.name]

    def options(self) -> Mapping[str, Any]:
        """This API's ``options``, merged over its scenarios (later files win)."""
        return self._mock.options(self.name)

    def auth(self) -> AuthSettings:
        """This API's authentication settings."""
        return self._mock.auth(self.name)

    def callback_policy(self) -> CallbackPolicy:
        """How this API's callbacks are delivered."""
        return self._mock.callback_policy(self.name)

    def outcome_for(self, view: Mapping[str, Any]) -> Outcome | None:
        """The outcome the scenarios' rules give an item that looks like ``view``."""
        from .scenarios import outcome_for

        return outcome_for(self.scenarios(), view)

    # -- callbacks -----------------------------------------------------------------------------

    def send(self, message: Outgoing) -> list[Delivery]:
        """Queue a callback now (with this API's policy)."""
        return self._mock.outbox.send(message, self.callback_policy())

    def wake(self) -> None:
        """Tell the outbox a batch with a callback target was created."""
        self._mock.outbox.wake()

    # -- memory ------------------------------------------------------------------------------

    def remember(self, cache: Clearable) -> None:
        """Have a reset empty ``cache`` (a memo of the provider's), with the mock's own."""
        self._mock.caches.append(cache)
