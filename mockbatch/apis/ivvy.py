"""iVvy API 1.0, ``batch`` namespace: ``POST /api/1.0/batch?action=...``.

Wire facts come from the iVvy docs and SDKs (see README, "iVvy"). Where iVvy documents no code
(HTTP status per specific code, malformed JSON, wrong method), the choices are mockbatch's and
listed in the README.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs

from ..callbacks import CallbackPolicy, Outgoing, malformed
from ..engine import Batch, ItemSpec
from ..errors import ApiError, MethodNotAllowed, NotFound, Problem, Violation
from ..faults import STATUS_TEXT
from ..scenarios import Outcome
from ..specs import Memo
from ..specs import violations as schema_violations
from . import NO_BODY, Call, Observation, Reply, frozen_reply, ivvy_auth
from .ivvy_scenario import scenario_problems

if TYPE_CHECKING:
    from ..journal import Entry
    from ..mock import Mock
    from ..scenarios import Scenario
    from ..specs import Spec

ACTIONS = ("run", "progress", "results", "restart", "repost")
RESULTS_KEPT = timedelta(days=2)
# The most jobs one ``results`` body (or callback) holds. A run request holds at most 200 jobs,
# so only a ``generate:`` batch is bigger. 10,000 jobs make a body of about 1 MB, built in about
# 0.1 s during which the server answers no one else; a million would be 90 MB and 10 s. A bigger
# batch's results answer an error (``results_too_big``); its progress is served as any other's.
RESULTS_MAX_JOBS = 10_000
BUILTIN_OUTCOME = Outcome(response={"success": True})

# specificCode -> (HTTP status = errorCode, message)
CODES: dict[int, tuple[int, str]] = {
    23000: (500, "Internal Server Error"),
    23005: (401, "Request is stale"),
    23016: (400, "does not validate"),
    23017: (400, "is required"),
    24091: (500, "The information was not saved"),
    24092: (400, "Incorrect Job Format"),
    24093: (400, "Empty job parameter found"),
    24105: (404, "Could not find batch"),
    24114: (400, "Batch job not completed"),
    24115: (404, "Could not find batch"),
    24448: (400, "The maximum number of jobs can be put on a single request is 200"),
}


class IvvyError(ApiError):
    """An iVvy error with its ``specificCode``."""

    def __init__(
        self, code: int, *, param: str = "", more: list[str] | None = None, status: int = 0
    ) -> None:
        default_status, text = CODES[code]
        message = f"'{param}' {text}" if param else text
        super().__init__(status or default_status, message)
        self.code = code
        self.additional = more or []


class IvvyAdapter:
    """Serves the five batch actions from the engine's state."""

    name: ClassVar[str] = "ivvy"
    spec_file: ClassVar[str] = "ivvy.yaml"
    verify_exemptions: ClassVar[Mapping[str, str]] = {
        # OpenAPI cannot tie the body schema to the `action` query parameter: a body valid for
        # one action (the spec's body is any action's) is rightly refused for another.
        "positive_data_acceptance": "the body's schema depends on the action query parameter",
    }
    secret_headers: ClassVar[tuple[str, ...]] = ("X-Api-Authorization",)  # IWS key:signature

    def __init__(self, mock: Mock, spec: Spec) -> None:
        self.mock = mock
        self.spec = spec
        self._run_schema = spec.component("RunRequest")
        self._async_schema = spec.component("AsyncRequest")
        self._checked = Memo()
        mock.caches.append(self._checked)

    # -- requests ---------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        try:
            ivvy_auth.check(
                self.mock.auth(self.name),
                method=call.method,
                uri=call.uri,
                prefix=call.prefix,
                headers=call.headers,
                body=call.body,
                now=self.mock.engine.now(),
            )
        except ivvy_auth.SigningError as refused:
            raise IvvyError(
                refused.code, param=refused.param, more=refused.more, status=401
            ) from None
        action = call.arg("action")
        if action is None:
            raise IvvyError(23017, param="action")
        if action not in ACTIONS:
            raise IvvyError(
                23016, param="action", more=[f"Value must be one of: {', '.join(ACTIONS)}"]
            )
        for v in call.violations:
            if v.location == "header":
                raise IvvyError(
                    23016, param="Content-Type", more=["Valid request types: application/json"]
                )
            if v.keyword == "json":
                raise IvvyError(23016, param="body", more=[v.message])
        if call.json is NO_BODY or not isinstance(call.json, dict):
            raise IvvyError(23016, param="body", more=["The body must be a JSON object"])
        # The spec's body is any action's body; the action decides which one applies.
        call.violations[:] = [v for v in call.violations if v.location != "body"]
        if action == "run":
            return self._run(call)
        batch_id = self._async_id(call)
        if action == "progress":
            return self._progress(batch_id)
        if action == "results":
            return self._results(batch_id)
        if action == "restart":
            return self._restart(batch_id)
        return self._repost(batch_id)

    def _check(self, validator: Any, call: Call) -> list[Violation]:
        """The action's body schema applied to the body (remembered by the body's bytes)."""
        key = (id(validator), call.body)
        found = self._checked.get(key, lambda: tuple(_check(validator, call.json)), len(call.body))
        return list(found)

    def _run(self, call: Call) -> Reply:
        violations = self._check(self._run_schema, call)
        if violations:
            call.violations.extend(violations)
            raise _run_error(violations)
        url = call.json.get("callbackUrl")
        problem = malformed(url) if isinstance(url, str) else None
        if problem is not None:  # refused now: it could never be called back
            raise IvvyError(23016, param="callbackUrl", more=[f"callbackUrl: {problem}"])
        jobs: list[dict[str, Any]] = call.json["jobs"]
        items = [self._item(job, i) for i, job in enumerate(jobs)]
        batch_id = self.mock.engine.ids.next("ivvy.batch")[:32]
        meta = {"callbackUrl": call.json.get("callbackUrl"), "reposts": 0}
        self.mock.engine.create(self.name, batch_id, items, meta)
        if meta["callbackUrl"]:
            self.mock.outbox.wake()
        return Reply(200, {"asyncId": batch_id})

    def _item(self, job: dict[str, Any], index: int) -> ItemSpec:
        job_input = {
            "namespace": job["namespace"],
            "action": job["action"],
            "params": job["params"],
        }
        outcome = self.mock.outcome_for(self.name, job_input) or BUILTIN_OUTCOME
        return outcome.make(job_input, index, seed=self.mock.engine.ids.seed)

    def _async_id(self, call: Call) -> str:
        violations = self._check(self._async_schema, call)
        if violations:
            call.violations.extend(violations)
            if any(v.keyword == "required" for v in violations):
                raise IvvyError(23017, param="async")
            raise IvvyError(23016, param="async", more=[v.message for v in violations])
        batch_id: str = call.json["async"]
        return batch_id

    def _progress(self, batch_id: str) -> Reply:
        batch = self.mock.engine.poll(self.name, batch_id)
        if batch is None:
            raise IvvyError(24105)
        return Reply(200, {"progress": progress(batch, self.mock.engine.now())})

    def _results(self, batch_id: str) -> Reply:
        batch = self.mock.engine.poll(self.name, batch_id)
        if batch is None:
            raise IvvyError(24115)
        now = self.mock.engine.now()
        done = batch.completed_at(now)
        if done is None:
            raise IvvyError(24114)
        if now - done >= RESULTS_KEPT:
            raise IvvyError(24115, more=["Results are kept for 2 days after a batch completes"])
        if len(batch.items) > RESULTS_MAX_JOBS:
            raise results_too_big(batch)
        return frozen_reply(batch, "results", now, lambda: results_body(batch))

    def _restart(self, batch_id: str) -> Reply:
        batch = self._find(batch_id)
        if batch.paused:
            now = self.mock.engine.now()
            batch.paused = False
            batch.resumed = (now, batch.polls)
        return Reply(200, {"restarted": True})

    def _repost(self, batch_id: str) -> Reply:
        batch = self._find(batch_id)
        batch.meta["reposts"] = batch.meta.get("reposts", 0) + 1
        complete = batch.completed_at(self.mock.engine.now()) is not None
        if complete and self.callback_target(batch):
            self.mock.outbox.send(self.callback_message(batch, "repost"), self.callback_policy())
        return Reply(200, {"reposted": True})

    # -- callbacks (see mockbatch.callbacks) ------------------------------------------------

    def callback_target(self, batch: Batch) -> str | None:
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

    def callback_policy(self) -> CallbackPolicy:
        return self.mock.callback_policy(self.name)

    def _find(self, batch_id: str) -> Batch:
        batch = self.mock.engine.get(self.name, batch_id)
        if batch is None:
            raise IvvyError(24105)
        return batch

    # -- errors and scenarios ---------------------------------------------------------------

    def error(self, error: ApiError) -> Reply:
        headers: dict[str, str] = {}
        if isinstance(error, IvvyError):
            found = error
        elif isinstance(error, MethodNotAllowed):
            found = IvvyError(
                23016, param="method", more=["Every iVvy API call is a POST"], status=405
            )
            headers["allow"] = "POST"
        elif isinstance(error, NotFound):
            where = "mockbatch serves the batch namespace: POST /api/1.0/batch"
            found = IvvyError(23016, param="namespace", more=[where], status=404)
        elif error.status == 413:
            found = IvvyError(23016, param="body", more=[error.message], status=413)
        else:  # injected faults (429, 5xx) and mockbatch's own bugs
            found = IvvyError(23000, status=error.status if error.status >= 400 else 500)
            found.message = STATUS_TEXT.get(found.status, found.message)
        body: dict[str, Any] = {
            "errorCode": found.status,
            "message": found.message,
            "specificCode": found.code,
        }
        if found.additional:
            body["additionalMessages"] = found.additional
        return Reply(found.status, body, headers)

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
        return scenario_problems(scenario)


def progress(batch: Batch, now: Any) -> int:
    """Percentage of finished jobs, rounded down: 100 only when every job finished."""
    total = len(batch.items)
    if total == 0:
        return 100
    counts = batch.counts(now)
    finished = sum(n for state, n in counts.items() if state.finished)
    return finished * 100 // total


def results_too_big(batch: Batch) -> IvvyError:
    """The 500 a ``results`` of more than ``RESULTS_MAX_JOBS`` jobs answers (mockbatch's limit)."""
    limit = f"mockbatch answers results of at most {RESULTS_MAX_JOBS:,} jobs"
    return IvvyError(23000, more=[f"{limit}; this batch has {len(batch.items):,}"])


def results_body(batch: Batch) -> dict[str, Any]:
    """The ``results`` body (also the callback body)."""
    results = []
    for i in range(len(batch.items)):
        spec = batch.items.spec(i)
        job = spec.input if isinstance(spec.input, dict) else {}
        results.append(
            {
                "namespace": job.get("namespace", ""),
                "action": job.get("action", ""),
                "request": job.get("params", {}),
                "response": spec.body if spec.body is not None else {},
            }
        )
    return {"asyncId": batch.id, "results": results}


def _check(validator: Any, instance: Any) -> list[Violation]:
    return schema_violations(validator, instance, "body")


# Which specific code a RunRequest violation gets, most important first.
_PRECEDENCE = (23017, 24448, 24092, 24093, 23016)


def _run_error(violations: list[Violation]) -> IvvyError:
    codes: dict[int, list[str]] = {}
    for v in violations:
        codes.setdefault(_run_code(v), []).append(f"{v.path or 'body'}: {v.message}")
    code = next(c for c in _PRECEDENCE if c in codes)
    if code == 23017:
        return IvvyError(23017, param="jobs")
    if code == 23016:
        return IvvyError(23016, param="callbackUrl", more=codes[code])
    return IvvyError(code, more=codes[code])


def _run_code(v: Violation) -> int:
    parts = [p for p in re.split(r"[.\[\]]+", v.path) if p]
    if not parts:
        return 23017 if v.keyword == "required" and "'jobs'" in v.message else 23016
    if parts[0] == "callbackUrl":
        return 23016
    if parts == ["jobs"] and v.keyword == "maxItems":
        return 24448
    empty = v.keyword in ("minItems", "minLength") or v.message.startswith("None is not")
    return 24093 if empty else 24092
