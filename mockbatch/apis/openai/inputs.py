"""A batch's input file: checked line by line as the service validates it, and turned into the
batch's items without keeping a parsed copy.

Each line is ``{custom_id, method, url, body}``. The items keep only their outcome and timing
(items with the same outcome share one :class:`ItemSpec`); the requests themselves stay in the
input file's bytes, found again by the line offsets kept with the batch (:func:`request`).
"""

from __future__ import annotations

import fnmatch
import json
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import wirejson
from ...engine import After, ItemSpec
from .wire import MAX_BATCH_FILE, MAX_ERRORS, MAX_REQUESTS, NEVER, VALIDATED

if TYPE_CHECKING:
    from ...context import Context
    from ...engine import Batch
    from ...scenarios import Outcome

INPUT = "openai.input"  # cache keys: the input file's bytes and its lines' (start, end) offsets
OFFSETS = "openai.offsets"
NOT_JSON = "This line is not parseable as valid JSON."


@dataclass(slots=True)
class Checked:
    """What validation found: the errors (``errors.data``), the model, and each line's span."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    offsets: array[int] = field(default_factory=lambda: array("q"))
    specs: list[ItemSpec] = field(default_factory=list)

    def fail(self, code: str, message: str, line: int | None, param: str | None = None) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"code": code, "message": message, "param": param, "line": line})


def spans(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(1-based line number, start, end) of every line; a last empty line is no line."""
    start, number = 0, 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        number += 1
        yield number, start, end
        start = end + 1


Classify = Callable[[Mapping[str, Any], int], ItemSpec]


def check(data: bytes, endpoint: str, classify: Classify) -> Checked:
    """Validate an input file for a batch on ``endpoint``; each valid line's item is
    ``classify(line, position)`` (the parsed line is not kept)."""
    found = Checked()
    if not data.strip():
        found.fail("empty_file", "The batch input file is empty.", None)
        return found
    if len(data) > MAX_BATCH_FILE:
        found.fail("file_too_large", f"The input file is over {MAX_BATCH_FILE} bytes.", None)
        return found
    seen: set[str] = set()
    for number, start, end in spans(data):
        if len(found.offsets) // 2 >= MAX_REQUESTS:
            message = f"The batch input file holds more than {MAX_REQUESTS} requests."
            found.fail("too_many_tasks", message, None)
            return found
        found.offsets.extend((start, end))
        line = _parse(data[start:end])
        problem = _problem(line, endpoint, seen, found)
        if problem is not None:
            found.fail(problem[0], problem[1], number, problem[2])
        elif not found.errors:
            found.specs.append(classify(line, len(found.specs) + 1))
    return found


def _parse(raw: bytes) -> Any:
    try:
        return wirejson.loads(raw.rstrip(b"\r"))
    except (ValueError, RecursionError):
        return None


def _problem(
    line: Any, endpoint: str, seen: set[str], found: Checked
) -> tuple[str, str, str | None] | None:
    """(code, message, param) of what is wrong with one parsed line, or None."""
    if not isinstance(line, dict):
        return "invalid_json_line", NOT_JSON, None
    for key in ("custom_id", "method", "url", "body"):
        if key not in line:
            return "missing_required_parameter", f"Missing required parameter: '{key}'.", key
    custom_id, body = line["custom_id"], line["body"]
    if not isinstance(custom_id, str) or not custom_id:
        return "invalid_type", "'custom_id' must be a non-empty string.", "custom_id"
    if line["method"] != "POST":
        return "invalid_value", "Invalid value for 'method': only 'POST' is supported.", "method"
    if line["url"] != endpoint:
        message = f"The url {line['url']!r} does not match the batch's endpoint {endpoint!r}."
        return "url_mismatch", message, "url"
    if not isinstance(body, dict):
        return "invalid_type", "'body' must be an object.", "body"
    if custom_id in seen:
        message = f"The custom_id {custom_id!r} is used more than once in this file."
        return "duplicate_custom_id", message, "custom_id"
    seen.add(custom_id)
    return _body_problem(body, endpoint, found)


def _body_problem(
    body: dict[str, Any], endpoint: str, found: Checked
) -> tuple[str, str, str | None] | None:
    model = body.get("model")
    if model is None and endpoint != "/v1/moderations":
        return "missing_required_parameter", "Missing required parameter: 'body.model'.", "model"
    if model is not None and not isinstance(model, str):
        return "invalid_type", "'body.model' must be a string.", "model"
    if endpoint == "/v1/moderations":
        if "input" not in body:
            return "missing_required_parameter", "Missing required parameter: 'input'.", "input"
        if body.get("stream") is True:
            return "invalid_value", "Streaming is not supported in a batch.", "stream"
    if isinstance(model, str):
        if found.model is None:
            found.model = model
        elif model != found.model:
            message = f"The model {model!r} differs from {found.model!r}: one model per file."
            return "model_mismatch", message, "model"
    return None


def classifier(ctx: Context, never: Sequence[str]) -> Classify:
    """What each request gets: the scenarios' outcome for it, its timing counted from the end
    of validation (a request whose ``custom_id`` matches a ``never`` glob never finishes).
    Requests with the same outcome share one item spec."""
    shared: dict[tuple[int, bool, bool], ItemSpec] = {}

    def classify(line: Mapping[str, Any], position: int) -> ItemSpec:
        outcome = ctx.outcome_for(line)
        ok = outcome is None or not outcome.fails(position)
        stuck = any(fnmatch.fnmatchcase(line["custom_id"], glob) for glob in never)
        key = (id(outcome), ok, stuck)
        if key not in shared:
            shared[key] = _spec(outcome, ok, stuck)
        return shared[key]

    return classify


def _spec(outcome: Outcome | None, ok: bool, stuck: bool) -> ItemSpec:
    after = outcome.after if outcome is not None else After(polls=1)
    body = None if outcome is None else (outcome.response if ok else outcome.error)
    return ItemSpec(
        input=None,
        ok=ok,
        body=body,
        start=VALIDATED,
        after=NEVER if stuck else VALIDATED.plus(after),
    )


def finalizer(specs: Sequence[ItemSpec]) -> ItemSpec:
    """The item after every request: the batch is ``finalizing`` until it ends, one poll after
    the slowest request."""
    polls = max((s.after.polls for s in specs), default=VALIDATED.polls)
    seconds = max((s.after.seconds for s in specs), default=VALIDATED.seconds)
    return ItemSpec(input={"finalize": True}, after=After(polls + 1, seconds))


def request(batch: Batch, index: int) -> dict[str, Any]:
    """The request line of item ``index`` (parsed again from the input file's bytes)."""
    data = batch.cache.get(INPUT)
    offsets = batch.cache.get(OFFSETS)
    if isinstance(data, bytes) and offsets is not None:
        line = _parse(data[offsets[2 * index] : offsets[2 * index + 1]])
        return line if isinstance(line, dict) else {}
    declared = batch.items.spec(index).input  # a scenario's batch lists its requests
    return declared if isinstance(declared, dict) else {}


def dumps(value: Any) -> bytes:
    """One JSONL line's JSON (compact, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
