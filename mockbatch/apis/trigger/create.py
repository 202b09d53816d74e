"""Creating Trigger.dev batches: two-phase (create, then NDJSON items) and the one-shot routes.

Each item becomes a run whose outcome comes from the scenarios' rules, matched against the
item's view ``{"index", "task", "payload", "options"}`` (the payload decoded from the SDK's
serialization). Scenario ``options.abort`` rules abort a batch once a matching item arrives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ... import wirejson
from ...engine import After, Batch, ItemSpec
from ...scenarios import Outcome, Rule
from ...specs import violations as schema_violations
from .. import Reply
from .batches import run_count, sealed_at, status
from .runs import run_id, task_of
from .wire import BatchStatus, TriggerError, cuid

if TYPE_CHECKING:
    from ...context import Context
    from ...validators import Validator

BUILTIN_OUTCOME = Outcome()  # succeeds at once, with no output


def decode_payload(payload: Any, options: Mapping[str, Any]) -> Any:
    """The payload as the task would see it: superjson and JSON strings parsed."""
    kind = options.get("payloadType")
    if not isinstance(payload, str) or kind not in ("application/super+json", "application/json"):
        return payload
    try:
        value = wirejson.loads(payload)
    except ValueError:  # (too deep, too: the payload stays the string it is)
        return payload
    if kind == "application/super+json" and isinstance(value, dict) and "json" in value:
        return value["json"]
    return value


class BatchMaker:
    """Makes batches and their runs for one Trigger.dev provider, through its context."""

    def __init__(self, ctx: Context, item_schema: Validator) -> None:
        self.ctx = ctx
        self.item_schema = item_schema

    # -- two-phase ------------------------------------------------------------------------

    def create(self, body: Mapping[str, Any], claims: dict[str, str]) -> Reply:
        """``POST /api/v3/batches``: a batch expecting ``runCount`` items, or the cached one."""
        key = body.get("idempotencyKey")
        cached = self.by_key(key)
        if cached is not None:
            answer = {"id": cached.id, "runCount": run_count(cached), "isCached": True}
            return Reply(200, answer, claims)
        meta: dict[str, Any] = {"runCount": body["runCount"]}
        if isinstance(key, str):
            meta["idempotencyKey"] = key
        batch = self.ctx.create(self.new_id(), [], meta)
        answer = {"id": batch.id, "runCount": body["runCount"], "isCached": False}
        if isinstance(key, str):
            answer["idempotencyKey"] = key
        return Reply(202, answer, claims)

    def stream(self, batch_id: str, raw: bytes) -> Reply:
        """``POST /api/v3/batches/{id}/items``: NDJSON items; sealed when all have arrived."""
        batch = self.ctx.get(batch_id)
        if batch is None:
            raise TriggerError(422, f"Batch {batch_id} not found")
        if sealed_at(batch) is not None:
            raise TriggerError(
                422, f"Batch {batch_id} is already sealed and cannot accept more items"
            )
        current = status(batch, self.ctx.now())
        if current is not BatchStatus.PENDING:
            raise TriggerError(
                422, f"Batch {batch_id} is not in PENDING status (current: {current.value})"
            )
        if not raw:
            raise TriggerError(400, "Request body is required")
        expected = run_count(batch)
        received = {self._index(batch, i) for i in range(len(batch.items))}
        accepted = deduplicated = 0
        last = -1
        for line in _ndjson(raw):
            problems = schema_violations(self.item_schema, line, "body")
            if problems:
                first = problems[0]
                where = f" at {first.path}" if first.path else ""
                raise TriggerError(422, f"Invalid item at index {last + 1}: {first.message}{where}")
            last = line["index"]
            if last >= expected:
                raise TriggerError(422, f"Item index {last} exceeds batch runCount {expected}")
            if last in received:
                deduplicated += 1
                continue
            options = line.get("options") or {}
            self._add(batch, [self.spec(line["task"], line.get("payload"), options, last)])
            received.add(last)
            accepted += 1
        answer: dict[str, Any] = {
            "id": batch.id,
            "itemsAccepted": accepted,
            "itemsDeduplicated": deduplicated,
            "sealed": len(received) == expected,
        }
        if len(received) != expected:
            answer["enqueuedCount"] = len(received)
            answer["expectedCount"] = expected
        return Reply(200, answer)

    # -- one-shot -------------------------------------------------------------------------

    def batch_v2(
        self, body: Mapping[str, Any], request_key: str | None, claims: dict[str, str]
    ) -> Reply:
        """``POST /api/v2/tasks/batch``: ``{id, runCount}``; a repeated request key is cached."""
        cached = self.by_key(request_key, field="requestKey")
        if cached is not None:
            return Reply(200, {"id": cached.id, "runCount": run_count(cached)}, claims)
        meta = {"requestKey": request_key} if request_key else {}
        batch = self._one_shot(body["items"], meta)
        return Reply(202, {"id": batch.id, "runCount": len(batch.items)}, claims)

    def batch_v1(self, body: Mapping[str, Any], key: str | None, claims: dict[str, str]) -> Reply:
        """``POST /api/v1/tasks/batch``: the batch with its runs; a known key is cached."""
        batch = self.by_key(key)
        cached = batch is not None
        if batch is None:
            batch = self._one_shot(body["items"], {"idempotencyKey": key} if key else {})
        answer: dict[str, Any] = {"id": batch.id, "isCached": cached}
        if key:
            answer["idempotencyKey"] = key
        runs = []
        for index in range(len(batch.items)):
            run: dict[str, Any] = {
                "id": run_id(batch, index),
                "taskIdentifier": task_of(batch.items.spec(index).input),
                "isCached": cached,
            }
            item_key = _options(batch.items.spec(index).input).get("idempotencyKey")
            if isinstance(item_key, str):
                run["idempotencyKey"] = item_key
            runs.append(run)
        answer["runs"] = runs
        return Reply(202, answer, claims)

    def task_batch(self, task: str, body: Mapping[str, Any], key: str | None) -> Reply:
        """``POST /api/v1/tasks/{task}/batch``: ``{batchId, runs}``; a known key is cached."""
        batch = self.by_key(key)
        if batch is None:
            items = [{**item, "task": task} for item in body["items"]]
            batch = self._one_shot(items, {"idempotencyKey": key} if key else {})
        runs = [run_id(batch, i) for i in range(len(batch.items))]
        return Reply(200, {"batchId": batch.id, "runs": runs})

    # -- shared ---------------------------------------------------------------------------

    def new_id(self) -> str:
        """A new batch ID: ``batch_`` and a cuid (deterministic, from the mock's IDs)."""
        return "batch_" + cuid(self.ctx.ids.next("trigger.batch"))

    def by_key(self, key: Any, *, field: str = "idempotencyKey") -> Batch | None:
        """The batch created with this idempotency key, if any."""
        if not isinstance(key, str) or not key:
            return None
        found = [b for b in self.ctx.batches() if b.meta.get(field) == key]
        return found[-1] if found else None

    def spec(self, task: str, payload: Any, options: Mapping[str, Any], index: int) -> ItemSpec:
        """The run an item becomes: the first matching rule's outcome."""
        view = {
            "index": index,
            "task": task,
            "payload": decode_payload(payload, options),
            "options": dict(options),
        }
        outcome = self.ctx.outcome_for(view) or BUILTIN_OUTCOME
        return outcome.make(view, index, seed=self.ctx.ids.seed)

    def _one_shot(self, items: Sequence[Mapping[str, Any]], meta: dict[str, Any]) -> Batch:
        batch = self.ctx.create(self.new_id(), [], meta)
        specs = [
            self.spec(item["task"], item.get("payload"), _options(item), index)
            for index, item in enumerate(items)
        ]
        self.ctx.set_meta(batch, "runCount", len(specs))
        self._add(batch, specs)
        return batch

    def _add(self, batch: Batch, specs: list[ItemSpec]) -> None:
        """Append runs that arrive now; an ``abort`` rule they match schedules the abort
        (counted from now: the polls so far, the seconds since the batch was created)."""
        self.ctx.add_items(batch, specs)
        now = self.ctx.now()
        for spec in specs:
            moment = self._abort_moment(spec.input)
            if moment is not None:  # (the first one set wins)
                elapsed = max(0.0, (now - batch.created_at).total_seconds())
                after = After(batch.polls + moment.polls, elapsed + moment.seconds)
                self.ctx.schedule_cancel(batch, after, running_too=True)

    def _abort_moment(self, view: Any) -> After | None:
        rules = [  # like rules: every file's, in load order
            rule
            for scenario in self.ctx.scenarios()
            if isinstance(scenario.options.get("abort"), list)
            for rule in scenario.options["abort"]
        ]
        for rule in rules:
            if Rule(match=rule["match"], outcome=BUILTIN_OUTCOME).matches(view):
                cancel = rule.get("cancel") or {}
                return After(int(cancel.get("polls", 0)), float(cancel.get("seconds", 0)))
        return None

    def _index(self, batch: Batch, position: int) -> int:
        view = batch.items.spec(position).input
        given = view.get("index") if isinstance(view, Mapping) else None
        return given if isinstance(given, int) else position


def _options(item: Any) -> Mapping[str, Any]:
    options = item.get("options") if isinstance(item, Mapping) else None
    return options if isinstance(options, Mapping) else {}


def _ndjson(raw: bytes) -> Iterator[Any]:
    """The lines of an NDJSON body, parsed as they are read; a bad line is a 400 naming it."""
    for number, line in enumerate(raw.decode("utf-8", errors="replace").split("\n"), start=1):
        text = line.strip()
        if not text:
            continue
        try:
            value = wirejson.loads(text)
        except ValueError as exc:
            message = getattr(exc, "msg", str(exc))
            raise TriggerError(400, f"Invalid JSON at line {number}: {message}") from exc
        yield value
