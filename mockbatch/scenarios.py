"""Scenario files: YAML validated against the shipped JSON Schema, then frozen dataclasses.

A scenario is for one API. It declares batches that already exist (fixed IDs, items, outcomes,
timing, or generated items) and the rules that decide what each item of a batch a client creates
gets. Every problem is reported with file, line, key path and what would be valid.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

from . import doccache, explain, registry
from .clock import parse_time
from .engine import After, ItemSpec
from .errors import LoadError, Problem
from .faults import Fault
from .keypaths import Lines, key_path
from .templates import has_placeholders, render
from .validators import Validator

SUFFIXES = (".yaml", ".yml", ".json")


def schema() -> dict[str, Any]:
    """The JSON Schema for scenario files: the shipped one, whose ``api`` takes the name of
    every registered provider."""
    return _schema(tuple(registry.names()))


@cache
def _shipped() -> dict[str, Any]:
    """The schema file as shipped (its ``api`` takes any string)."""
    text = resources.files("mockbatch").joinpath("scenario.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _schema(apis: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(_shipped()))
    data["properties"]["api"]["enum"] = list(apis)
    return data


def _validator() -> Validator:
    return _compiled(tuple(registry.names()))


@cache
def _compiled(apis: tuple[str, ...]) -> Validator:
    return Validator(_schema(apis))


def outcome_for(scenarios: Sequence[Scenario], view: Mapping[str, Any]) -> Outcome | None:
    """The outcome of the first rule matching ``view`` over ``scenarios`` (in order), else the
    first default, else None."""
    for scenario in scenarios:
        for rule in scenario.rules:
            if rule.matches(view):
                return rule.outcome
    return next((s.default for s in scenarios if s.default is not None), None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an item gets: a response, an error, or a response with every n-th one failing."""

    response: Any = None
    error: Any = None
    fail_every: int | None = None
    after: After = field(default_factory=After)
    start: After = field(default_factory=After)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            response=data.get("response"),
            error=data.get("error"),
            fail_every=data.get("fail_every"),
            after=_after(data.get("after")),
            start=_after(data.get("start")),
        )

    def fails(self, position: int) -> bool:
        """Whether the item at 1-based ``position`` in its batch fails."""
        if self.fail_every is not None:
            return position % self.fail_every == 0
        return self.error is not None and self.response is None

    def make(self, input: Any, index: int, *, seed: int = 0, key: str | None = None) -> ItemSpec:
        """The item this outcome gives at 0-based ``index`` of a batch."""
        ok = not self.fails(index + 1)
        body = self.response if ok else self.error
        if has_placeholders(body):
            body = render(body, index=index, seed=seed, input=input)
        return ItemSpec(input=input, ok=ok, body=body, after=self.after, key=key, start=self.start)


@dataclass(frozen=True, slots=True)
class Rule:
    """For items whose input matches ``match``, the outcome they get."""

    match: Mapping[str, Any]
    outcome: Outcome

    def matches(self, view: Mapping[str, Any]) -> bool:
        """Whether every ``match`` entry equals (strings: glob-matches) the item's field."""
        for dotted, expected in self.match.items():
            actual: Any = view
            for part in dotted.split("."):
                if not isinstance(actual, Mapping) or part not in actual:
                    return False
                actual = actual[part]
            if isinstance(expected, str) and isinstance(actual, str):
                if not fnmatch.fnmatchcase(actual, expected):
                    return False
            elif expected != actual:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Generate:
    """``count`` items made from a template on demand (see ``engine.GeneratedItems``)."""

    count: int
    input: Any
    outcome: Outcome
    stagger: After = field(default_factory=After)
    seed: int = 0

    @property
    def fail_every(self) -> int | None:
        return self.outcome.fail_every

    @property
    def fails_all(self) -> bool:
        return self.outcome.fail_every is None and self.outcome.fails(1)

    def make(self, index: int) -> ItemSpec:
        input = render(self.input, index=index, seed=self.seed)
        spec = self.outcome.make(input, index, seed=self.seed)
        if self.stagger != After():
            spec = replace(spec, after=spec.after.plus(self.stagger, index))
        return spec


@dataclass(frozen=True, slots=True)
class BatchSpec:
    """A batch that exists when the scenario loads."""

    id: str
    items: tuple[ItemSpec, ...] = ()
    generate: Generate | None = None
    created_at: datetime | None = None
    paused: bool = False
    cancel: After | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    on_create: bool = False  # recorded: exists once a client creates a batch (engine.Awaited)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario file (or document) for one API."""

    api: str
    name: str = ""
    seed: int = 0
    batches: tuple[BatchSpec, ...] = ()
    rules: tuple[Rule, ...] = ()
    default: Outcome | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()
    source: str = "<scenario>"
    text: str = ""
    lines: Lines = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", Lines(self.text))

    @classmethod
    def from_path(cls, path: str | Path) -> Scenario:
        """Read and check one file; raises :class:`LoadError` listing every problem."""
        path = Path(path)
        text, data = _read(path)
        return cls.from_dict(data, source=str(path), text=text)

    @classmethod
    def from_text(cls, text: str, *, source: str = "<scenario>") -> Scenario:
        """Parse YAML or JSON text and check it."""
        return cls.from_dict(_parse(text, source), source=source, text=text)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<scenario>", text: str = "") -> Scenario:
        """Check an already parsed document against the schema and build the scenario."""
        problems = schema_problems(data, source=source, text=text)
        if problems:
            raise LoadError(explain.capped(problems))
        scenario = cls._build(data, source=source, text=text)
        problems = scenario.semantic_problems(data)
        if problems:
            raise LoadError(explain.capped(problems))
        return scenario

    @classmethod
    def _build(cls, data: Mapping[str, Any], *, source: str, text: str) -> Scenario:
        seed = int(data.get("seed", 0))
        default = data.get("default")
        return cls(
            api=data["api"],
            name=data.get("name", _default_name(source)),
            seed=seed,
            batches=tuple(_batch(b, seed) for b in data.get("batches", ())),
            rules=tuple(
                Rule(match=r["match"], outcome=Outcome.from_dict(r)) for r in data.get("rules", ())
            ),
            default=Outcome.from_dict(default) if default is not None else None,
            options=data.get("options", {}),
            faults=tuple(Fault.from_dict(data["api"], f) for f in data.get("faults", ())),
            source=source,
            text=text,
        )

    def problem(self, path: Iterable[str | int], message: str, valid: str = "") -> Problem:
        """A :class:`Problem` pointing at ``path`` in this scenario's file."""
        parts = list(path)
        return Problem(self.source, self.lines.of(parts), key_path(parts), message, valid)

    def semantic_problems(self, data: Mapping[str, Any]) -> list[Problem]:
        """What the schema cannot see in ``data``: duplicate IDs and unreadable times."""
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for i, batch in enumerate(self.batches):
            if batch.id in seen:
                problems.append(
                    self.problem(
                        ["batches", i, "id"],
                        f"duplicate batch id: batches[{seen[batch.id]}] has it too",
                        "an id no other batch in the file has",
                    )
                )
            seen.setdefault(batch.id, i)
        for i, raw in enumerate(data.get("batches", ())):
            created = raw.get("created_at")
            if isinstance(created, str):
                try:
                    parse_time(created)
                except ValueError:
                    problems.append(
                        self.problem(
                            ["batches", i, "created_at"],
                            f"not an ISO 8601 time: {created!r}",
                            "e.g. 2026-01-01T00:00:00Z",
                        )
                    )
        return problems


def _parse(text: str, source: str) -> Any:
    """YAML or JSON text as data; a :class:`LoadError` for text that is neither (PyYAML is
    imported only here: for a file not in the parsed-file cache)."""
    import yaml

    from . import yamlfile

    try:
        data = yamlfile.load(text, fast=True)
    except (ValueError, yaml.YAMLError):
        data = None  # the pure-Python parser words the error the same everywhere
    try:
        if data is None:
            data = yamlfile.load(text)
    except yamlfile.LimitError as exc:
        raise LoadError([Problem(source, exc.line, "", exc.message)]) from None
    except ValueError as exc:  # a scalar YAML could not construct
        raise LoadError([Problem(source, 1, "", f"not valid YAML: {exc}")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise LoadError([Problem(source, line, "", f"not valid YAML: {reason}")]) from exc
    return data


def load_paths(
    paths: Iterable[str | Path],
    *,
    check: Callable[[Scenario], list[Problem]] | None = None,
    rules: Callable[[str], str | None] | None = None,
) -> list[Scenario]:
    """Load scenario files and folders (their ``*.yaml``, ``*.yml``, ``*.json``, sorted).

    Every file is checked (by the schema, then by ``check`` if given, e.g. its API's adapter);
    one :class:`LoadError` lists the problems of all of them. With ``rules`` (an API's name ->
    a string naming everything the schema's and ``check``'s verdict on a file of that API
    depends on, None: nothing to go by), a file that passed under the same rules before is
    not checked again (:func:`doccache.passed`); one that did not is checked every time.
    """
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in _expand(paths, problems):
        try:
            scenario, found = _load_one(path, check, rules)
        except LoadError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(found)
        if not found:
            scenarios.append(scenario)
    if problems:
        raise LoadError(problems)
    return scenarios


def _load_one(
    path: Path,
    check: Callable[[Scenario], list[Problem]] | None,
    rules: Callable[[str], str | None] | None,
) -> tuple[Scenario, list[Problem]]:
    """One file's scenario and what ``check`` found wrong with it (the schema's problems are
    raised); unchecked if it passed under the same ``rules`` before."""
    text, data = _read(path)
    api = data.get("api") if isinstance(data, dict) else None
    verdict = rules(api) if rules is not None and isinstance(api, str) else None
    if verdict is not None and doccache.passed(text, verdict):
        return Scenario._build(data, source=str(path), text=text), []
    scenario = Scenario.from_dict(data, source=str(path), text=text)
    found = check(scenario) if check is not None else []
    if verdict is not None and not found:
        doccache.remember_passed(text, verdict)
    return scenario, found


def _read(path: Path) -> tuple[str, Any]:
    """A file's text and its data (parsed, or from the parsed-file cache)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError([Problem(str(path), 1, "", f"cannot read file: {exc}")]) from exc
    return text, doccache.load(text, partial(_parse, source=str(path)))


def _expand(paths: Iterable[str | Path], problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, "", "no such file or folder"))
    return files


def schema_problems(data: Any, *, source: str, text: str = "") -> list[Problem]:
    """Every place where ``data`` breaks the scenario schema, as readable problems."""
    problems = explain.problems(_validator().iter_errors(data), [], source, Lines(text))
    return sorted(problems, key=lambda p: p.line)


def options_validator(own: Mapping[str, Any]) -> Validator:
    """A validator of one API's ``options``: the shared ones (auth, callbacks, rate_limit,
    which the scenario schema checks) and ``own``, the JSON Schema properties of the API's
    own options; any other key is unknown."""
    shared = _shipped()["properties"]["options"]["properties"]
    properties = {**{key: True for key in shared}, **own}
    options = {"type": "object", "additionalProperties": False, "properties": properties}
    return Validator(options)


def options_problems(scenario: Scenario, validator: Validator) -> list[Problem]:
    """Where ``scenario.options`` breaks ``validator`` (see :func:`options_validator`)."""
    errors = validator.iter_errors(dict(scenario.options))
    return explain.problems(errors, ["options"], scenario.source, scenario.lines)


def match_problems(
    scenario: Scenario,
    fields: Sequence[str],
    items: str,
    *,
    matches: Iterable[tuple[list[str | int], Mapping[str, Any]]] | None = None,
) -> list[Problem]:
    """``match`` keys (of the rules, or of ``matches``: path and mapping) that name no field
    of an item's input.

    ``fields`` are what the input can hold, e.g. ``("namespace", "params.<key>")``: a plain
    name is a value, ``name.<key>`` a mapping (any key below it). ``items`` names the items
    in messages ("iVvy jobs").
    """
    if matches is None:
        matches = ((["rules", i, "match"], rule.match) for i, rule in enumerate(scenario.rules))
    tops = [f.split(".")[0] for f in fields]
    problems = []
    for where, match in matches:
        for key in match:
            top, dot, _ = key.partition(".")
            if top in tops and (not dot or f"{top}.<key>" in fields):
                continue
            close = explain.closest(top, tops)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"{items} have no field {top!r}{hint}"
            if top in tops:
                message = f"{top!r} is a value, with no fields"
            problems.append(scenario.problem([*where, key], message, ", ".join(fields)))
    return problems


def _default_name(source: str) -> str:
    """A file's stem; for text from elsewhere (``<POST /__mockbatch/scenarios>``), "unnamed
    (POST /__mockbatch/scenarios)"."""
    if source.startswith("<") and source.endswith(">"):
        return f"unnamed ({source[1:-1]})"
    return Path(source).stem


def _after(data: Mapping[str, Any] | None) -> After:
    if not data:
        return After()
    return After(polls=int(data.get("polls", 0)), seconds=float(data.get("seconds", 0)))


def _batch(data: Mapping[str, Any], seed: int) -> BatchSpec:
    created = data.get("created_at")
    try:
        created_at = parse_time(created) if isinstance(created, str) else None
    except ValueError:
        created_at = None  # reported by semantic_problems
    generate = None
    if "generate" in data:
        g = data["generate"]
        generate = Generate(
            count=g["count"],
            input=g["input"],
            outcome=Outcome.from_dict(g),
            stagger=_after(g.get("stagger")),
            seed=int(g.get("seed", seed)),
        )
    items = tuple(
        Outcome.from_dict(item).make(item["input"], i, seed=seed, key=item.get("id"))
        for i, item in enumerate(data.get("items", ()))
    )
    return BatchSpec(
        id=data["id"],
        items=items,
        generate=generate,
        created_at=created_at,
        paused=bool(data.get("paused", False)),
        cancel=_after(data["cancel"]) if "cancel" in data else None,
        meta=data.get("meta", {}),
        on_create=bool(data.get("on_create", False)),
    )
