"""Echo: a batch API provider that lives outside mockbatch (as a user's own package would).

It is registered through the ``mockbatch.providers`` entry point (see ``tests/thirdparty.py``)
and ships its OpenAPI document and default scenario inside its package (``data/``). Everything
mockbatch knows of it is what :class:`EchoProvider` declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from mockbatch.apis import Call, Observation, Reply
from mockbatch.auth import Verdict, judge
from mockbatch.engine import After, Batch, ItemSpec, ItemState
from mockbatch.errors import ApiError, MethodNotAllowed
from mockbatch.journal import Entry
from mockbatch.provider import Handler, Provider, TestProfile

PAGE = 10
DATA = Path(__file__).resolve().parent / "data"


class EchoProvider(Provider):
    """Create a batch of strings, read it, page through its (upper-cased) results."""

    name: ClassVar[str] = "echo"
    spec_file: ClassVar[str] = "echo.yaml"
    scenario_file: ClassVar[str | None] = "echo.yaml"
    secret_headers: ClassVar[tuple[str, ...]] = ()
    profile: ClassVar[TestProfile] = TestProfile(
        headers={"authorization": "Bearer echo_test"},
        batch_id="echo_done",
        poll=("GET", "/batches/echo_done", None),
        error_keys=frozenset({"fault"}),
    )

    @classmethod
    def data_dirs(cls) -> tuple[Path, Path]:
        return DATA / "specs", DATA / "scenarios"

    def _checked(self, call: Call) -> None:
        """Refuse a request that has no valid key or breaks the spec."""
        sent = call.headers.get("authorization", "")
        token = sent[7:].strip() if sent.lower().startswith("bearer ") else ""
        verdict = judge(self.ctx.auth(), token or None, well_formed=token.startswith("echo_"))
        if verdict is Verdict.FORBIDDEN:
            raise ApiError(403, "this key may not use Echo")
        if verdict is not Verdict.OK:
            raise ApiError(401, f"send Authorization: Bearer echo_<key> ({verdict.value})")
        if call.violations:
            raise ApiError(400, "; ".join(v.message for v in call.violations))

    def _create(self, call: Call) -> Reply:
        self._checked(call)
        batch_id = "echo_" + self.ctx.ids.next("echo")[:16]
        later = After(seconds=1)
        specs = [ItemSpec(input=s, body=s.upper(), after=later) for s in call.json["items"]]
        return Reply(201, _batch(self.ctx.create(batch_id, specs, {}), self.ctx.now()))

    def _get(self, call: Call) -> Reply:
        self._checked(call)
        return Reply(200, _batch(self._find(call, poll=True), self.ctx.now()))

    def _results(self, call: Call) -> Reply:
        self._checked(call)
        batch = self._find(call, poll=False)
        page = int(call.arg("page") or 1)
        now = self.ctx.now()
        indexes = range((page - 1) * PAGE, min(page * PAGE, len(batch.items)))
        items = [_item(batch, i, now) for i in indexes if batch.state(i, now).finished]
        following = page + 1 if page * PAGE < len(batch.items) else None
        return Reply(200, {"items": items, "next_page": following})

    def _find(self, call: Call, *, poll: bool) -> Batch:
        batch_id = call.path_params["id"]
        found = self.ctx.poll(batch_id) if poll else self.ctx.get(batch_id)
        if found is None:
            raise ApiError(404, f"no batch {batch_id!r}")
        return found

    def error(self, error: ApiError) -> Reply:
        headers = {}
        if isinstance(error, MethodNotAllowed):
            headers["allow"] = ", ".join(error.details.get("allow", []))
        body = {"fault": {"status": error.status, "reason": error.message}}
        return Reply(error.status, body, headers)

    @classmethod
    def observe(cls, entry: Entry) -> Observation | None:
        parts = entry.path.strip("/").split("/")  # echo, batches, {id}[, results]
        answer = entry.response if isinstance(entry.response, dict) else {}
        if len(parts) == 3 and entry.method == "GET":
            return Observation("poll", parts[2], terminal=answer.get("state") == "ended")
        if len(parts) == 4:
            nxt = answer.get("next_page")
            page = entry.query.removeprefix("page=") or "1"
            return Observation("results", parts[2], page=page, next_page=str(nxt) if nxt else None)
        return Observation("create", answer.get("id")) if entry.method == "POST" else None

    def status_word(self, batch: Batch, now: Any) -> str:
        """The ``state`` a read of the batch answers (the dashboard shows it)."""
        state: str = _batch(batch, now)["state"]
        return state

    operations: ClassVar[Mapping[str, Handler]] = {
        "createBatch": _create,
        "getBatch": _get,
        "getResults": _results,
    }


def _batch(batch: Batch, now: Any) -> dict[str, Any]:
    counts = batch.counts(now)
    done = sum(n for state, n in counts.items() if state.finished)
    state = "ended" if batch.completed_at(now) is not None else "running"
    return {"id": batch.id, "state": state, "total": len(batch.items), "done": done}


def _item(batch: Batch, index: int, now: Any) -> dict[str, Any]:
    ok = batch.state(index, now) is ItemState.SUCCEEDED
    return {"index": index, "ok": ok, "output": batch.items.spec(index).body}
