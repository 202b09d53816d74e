"""iVvy API 1.0, ``batch`` namespace: ``POST /api/1.0/batch?action=...``.

Wire facts come from the iVvy docs and SDKs (see README, "iVvy"). Where iVvy documents no code
(HTTP status per specific code, malformed JSON, wrong method), the choices are mockbatch's and
listed in the README. The spec has one operation (``batch``); what it does depends on the
``action`` query parameter, so the provider keeps a second table, action -> handler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import parse_qs

from ...callbacks import Outgoing
from ...engine import Batch
from ...errors import ApiError, Problem
from ...provider import Handler, Provider, TestProfile
from .. import Call, Observation, Reply, frozen_reply
from .auth import authenticate, key_of
from .checks import BodyChecks, action_of, json_object
from .create import create_batch
from .results import (
    RESULTS_KEPT,
    RESULTS_MAX_JOBS,
    progress,
    results_body,
    results_too_big,
)
from .scenario import scenario_problems
from .wire import ACTIONS, IvvyError, render_error

if TYPE_CHECKING:
    from datetime import datetime

    from ...context import Context
    from ...journal import Entry
    from ...lifecycle import Lifecycle
    from ...scenarios import Scenario
    from ...specs import Spec
    from .record import IvvyRecorder

DOCS_DONE = "e35e06ee592d17a42dc9e6252a058617"  # the shipped scenario's finished batch


class IvvyProvider(Provider):
    """Serves the five batch actions from the engine's state."""

    name: ClassVar[str] = "ivvy"
    spec_file: ClassVar[str] = "ivvy.yaml"
    scenario_file: ClassVar[str | None] = "ivvy.yaml"
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # OpenAPI cannot tie the body schema to the `action` query parameter: a body valid for
        # one action (the spec's body is any action's) is rightly refused for another.
        "positive_data_acceptance": "the body's schema depends on the action query parameter",
    }
    secret_headers: ClassVar[tuple[str, ...]] = ("X-Api-Authorization",)  # IWS key:signature
    profile: ClassVar[TestProfile] = TestProfile(
        headers={},  # the default auth mode (lenient) serves an unsigned request
        batch_id=DOCS_DONE,
        poll=("POST", "/api/1.0/batch?action=results", {"async": DOCS_DONE}),
        error_keys=frozenset({"errorCode", "message", "specificCode"}),
    )

    def __init__(self, ctx: Context, spec: Spec) -> None:
        super().__init__(ctx, spec)
        self.bodies = BodyChecks(spec)
        self._checked = self.bodies.memo
        ctx.remember(self._checked)  # a reset empties it

    def api_key(self, headers: Mapping[str, str]) -> str:
        """A bearer token, else the key of ``X-Api-Authorization: IWS key:signature``."""
        if headers.get("authorization", "").lower().startswith("bearer "):
            return super().api_key(headers)
        found = key_of(headers)
        return found if found is not None else super().api_key(headers)

    # -- the one operation, and its actions ---------------------------------------------------

    def _batch(self, call: Call) -> Reply:
        """The signature, the ``action``, the body (a JSON object), then the action."""
        authenticate(self.ctx, call)
        action = action_of(call)
        json_object(call)
        return self.actions[action](self, call)

    def _run(self, call: Call) -> Reply:
        return Reply(200, {"asyncId": create_batch(self.ctx, self.bodies.run(call))})

    def _progress(self, call: Call) -> Reply:
        batch = self.ctx.poll(self.bodies.async_id(call))
        if batch is None:
            raise IvvyError(24105)
        return Reply(200, {"progress": progress(batch, self.ctx.now())})

    def _results(self, call: Call) -> Reply:
        batch = self.ctx.poll(self.bodies.async_id(call))
        if batch is None:
            raise IvvyError(24115)
        now = self.ctx.now()
        done = batch.completed_at(now)
        if done is None:
            raise IvvyError(24114)
        if now - done >= RESULTS_KEPT:
            raise IvvyError(24115, more=["Results are kept for 2 days after a batch completes"])
        if len(batch.items) > RESULTS_MAX_JOBS:
            raise results_too_big(batch)
        return frozen_reply(batch, "results", now, lambda: results_body(batch))

    def _restart(self, call: Call) -> Reply:
        self.ctx.resume(self._find(self.bodies.async_id(call)))
        return Reply(200, {"restarted": True})

    def _repost(self, call: Call) -> Reply:
        batch = self._find(self.bodies.async_id(call))
        self.ctx.set_meta(batch, "reposts", batch.meta.get("reposts", 0) + 1)
        complete = batch.completed_at(self.ctx.now()) is not None
        if complete and self.callback_target(batch):
            self.ctx.send(self.callback_message(batch, "repost"))
        return Reply(200, {"reposted": True})

    def _find(self, batch_id: str) -> Batch:
        batch = self.ctx.get(batch_id)
        if batch is None:
            raise IvvyError(24105)
        return batch

    # -- callbacks (see mockbatch.callbacks) ------------------------------------------------

    def callback_target(self, batch: Batch) -> str | None:
        """The batch's ``callbackUrl``, if its run sent one."""
        url = batch.meta.get("callbackUrl")
        return url if isinstance(url, str) and url else None

    def callback_message(self, batch: Batch, event: str) -> Outgoing:
        """The callback body is the results body (the docs' run page says so); for a batch too
        big for one, the error ``results`` answers."""
        url = self.callback_target(batch) or ""
        if len(batch.items) > RESULTS_MAX_JOBS:
            message = self.error(results_too_big(batch)).body
        else:
            message = results_body(batch)
        body = json.dumps(message, separators=(",", ":")).encode()
        return Outgoing(self.name, batch.id, event, url, body)

    # -- errors, assertions and scenarios ---------------------------------------------------

    def error(self, error: ApiError) -> Reply:
        """``error`` in iVvy's format (see :mod:`.wire`)."""
        return render_error(error)

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        """``progress`` is a poll (terminal at 100); ``results`` is a poll while it answers
        24114 and the batch's one results page once it answers 200."""
        action = (parse_qs(entry.query).get("action") or [""])[0]
        try:
            body = json.loads(entry.body)
        except ValueError:
            return None
        response = entry.response if isinstance(entry.response, dict) else {}
        if action == "run":
            created = response.get("asyncId")
            return Observation("create", created if isinstance(created, str) else None)
        batch_id = body.get("async") if isinstance(body, dict) else None
        if not isinstance(batch_id, str) or action not in ACTIONS:
            return None
        if action == "progress":
            return Observation("poll", batch_id, terminal=response.get("progress") == 100)
        if action == "results":
            if entry.status == 200:
                return Observation("results", batch_id, terminal=True, page="")
            return Observation("poll", batch_id)
        return Observation(action, batch_id)

    @classmethod
    def check_scenario(cls, scenario: Scenario) -> list[Problem]:
        """asyncIds, rule match keys and options of an iVvy scenario."""
        return scenario_problems(scenario)

    def status_word(self, batch: Batch, now: datetime) -> str:
        """iVvy has no status word: its ``progress`` answer, ``progress 40``."""
        return f"progress {progress(batch, now)}"

    @classmethod
    def lifecycle(cls) -> Lifecycle:
        """Its flow for ``verify --lifecycle`` (:mod:`.lifecycle`)."""
        from .lifecycle import IvvyLifecycle

        return IvvyLifecycle()

    @classmethod
    def recorder(cls) -> IvvyRecorder:
        """Reads runs, progress and results into a recording (see :mod:`.record`)."""
        from .record import IvvyRecorder

        return IvvyRecorder()

    actions: ClassVar[Mapping[str, Handler]] = {
        "run": _run,
        "progress": _progress,
        "results": _results,
        "restart": _restart,
        "repost": _repost,
    }
    """``action`` -> the handler of the ``batch`` operation for it (the keys are ACTIONS)."""
    operations: ClassVar[Mapping[str, Handler]] = {"batch": _batch}
