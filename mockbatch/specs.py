"""OpenAPI 3.1 documents: route matching and compiled request/response validators.

The documents in ``specs/`` are the contract. A :class:`Spec` finds the operation for a request,
checks its parameters and body, and (in tests) checks each response. Validators are compiled once
per operation and reused.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import doccache
from .errors import LoadError, MethodNotAllowed, NotFound, Problem, Violation
from .keypaths import key_path, line_of
from .validators import Validator

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_URI = "urn:mockbatch:spec"
_LOADED: dict[tuple[str, int, int], Spec] = {}


def _ref_parts(ref: str) -> list[str | int]:
    """``#/components/schemas/A~1B`` -> ``["components", "schemas", "A/B"]``."""
    return [p.replace("~1", "/").replace("~0", "~") for p in ref.removeprefix("#/").split("/")]


def _pointer(parts: list[str | int]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True, slots=True)
class Parameter:
    """One declared parameter of an operation."""

    name: str
    location: str  # query, path, header
    required: bool
    schema: Mapping[str, Any]
    validator: Validator

    def coerce(self, raw: list[str]) -> Any:
        """Turn the wire strings into the schema's type where they read as one."""
        kind = self.schema.get("type")
        if kind == "array":
            item_kind = self.schema.get("items", {}).get("type")
            return [_coerce(v, item_kind) for v in raw]
        return _coerce(raw[0], kind)


# Decimal integers up to the interpreter's int/str conversion limit (4,300 digits by default),
# which keeps parsing them cheap; longer ones stay strings and fail the schema.
_INTEGER = re.compile(rf"-?\d{{1,{sys.get_int_max_str_digits()}}}")


def _coerce(value: str, kind: Any) -> Any:
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and _INTEGER.fullmatch(value):
        return int(value)
    if "number" in kinds:
        try:
            return float(value)
        except ValueError:
            return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


@dataclass(slots=True)
class Operation:
    """One method on one path, with its compiled validators."""

    spec: Spec
    id: str
    method: str
    path: str
    pointer: list[str | int]
    raw: Mapping[str, Any]
    parameters: tuple[Parameter, ...] = ()
    body_required: bool = False
    body_types: dict[str, Validator | None] = field(default_factory=dict)
    header_names: tuple[str, ...] = ()  # declared headers: part of what is validated

    def validate_request(
        self,
        *,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        path_params: Mapping[str, str],
        content_type: str | None,
        body: Any,
        has_body: bool,
    ) -> list[Violation]:
        """Every way the request breaks this operation's contract (empty when it keeps it)."""
        found: list[Violation] = []
        for param in self.parameters:
            if param.location == "query":
                raw = query.get(param.name)
            elif param.location == "path":
                raw = [path_params[param.name]] if param.name in path_params else None
            else:
                value = headers.get(param.name.lower())
                raw = [value] if value is not None else None
            if not raw:
                if param.required:
                    found.append(
                        Violation(
                            param.location, param.name, f"'{param.name}' is required", "required"
                        )
                    )
                continue
            value = param.coerce(raw)
            found.extend(violations(param.validator, value, param.location, prefix=param.name))
        if self.body_types:
            found.extend(self._check_body(content_type, body, has_body))
        return found

    def _check_body(self, content_type: str | None, body: Any, has_body: bool) -> list[Violation]:
        if not has_body:
            if self.body_required:
                return [Violation("body", "", "a request body is required", "required")]
            return []
        media = self.media_type(content_type)
        if media is None:
            accepted = ", ".join(self.body_types)
            return [
                Violation(
                    "header",
                    "content-type",
                    f"content type {content_type or '(none)'!r} is not accepted"
                    f" (valid: {accepted})",
                    "contentType",
                )
            ]
        validator = self.body_types[media]
        return violations(validator, body, "body") if validator is not None else []

    def media_type(self, content_type: str | None) -> str | None:
        """The declared media type that ``content_type`` is, or None."""
        base = (content_type or "").split(";")[0].strip().lower()
        if base in self.body_types:
            return base
        return "*/*" if "*/*" in self.body_types else None

    def validate_response(
        self, status: int, content_type: str | None, body: Any
    ) -> list[Violation]:
        """Every way a response breaks this operation's documented responses."""
        responses = self.raw.get("responses", {})
        key = next(
            (k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None
        )
        if key is None:
            documented = ", ".join(responses)
            return [
                Violation(
                    "response", "", f"status {status} is not documented ({documented})", "status"
                )
            ]
        response = responses[key]
        where: list[str | int] = [*self.pointer, "responses", key]
        if "$ref" in response:
            where = _ref_parts(response["$ref"])
            response = self.spec.resolve(response["$ref"])
        content = response.get("content")
        if not content:
            return []
        base = (content_type or "").split(";")[0].strip().lower()
        if base not in content:
            return [
                Violation(
                    "response",
                    "",
                    f"content type {base!r} is not documented for {status}",
                    "contentType",
                )
            ]
        if "schema" not in content[base]:
            return []
        validator = self.spec.validator([*where, "content", base, "schema"])
        return violations(validator, body, "response")


MISSING: Any = object()  # what :meth:`Memo.find` returns for a key it does not hold

# The request bytes one Memo keeps: its keys are the requests' bodies, which it holds.
MEMO_MAX_BYTES = 2 * 1024 * 1024


class Memo:
    """Results of a pure function of request bytes, remembered (bounded, oldest dropped first).

    Validation depends only on the bytes of the request, and polling clients send the same
    request again and again, so a request seen before is not validated again. The memo holds at
    most ``size`` results and ``max_bytes`` of the keys' bytes (as each caller counts them); a
    key over ``max_key_bytes`` is never kept. Polls are small: the byte bound only stops big
    bodies that are never sent twice from being kept beyond the journal's own bound.
    """

    def __init__(
        self, size: int = 2048, max_key_bytes: int = 65536, max_bytes: int = MEMO_MAX_BYTES
    ) -> None:
        self.size = size
        self.max_key_bytes = max_key_bytes
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self._store: dict[Any, tuple[Any, int]] = {}
        self._lock = threading.Lock()  # a reset may come from the test's thread

    def __len__(self) -> int:
        return len(self._store)

    def get(self, key: Any, compute: Callable[[], Any], key_bytes: int = 0) -> Any:
        """The value kept under ``key``, else ``compute()``'s, kept."""
        if key_bytes > self.max_key_bytes:
            return compute()
        found = self._store.get(key)
        if found is not None:
            return found[0]
        return self.keep(key, compute(), key_bytes)

    def find(self, key: Any) -> Any:
        """The value kept under ``key``, or :data:`MISSING` (for callers on a hot path, which
        would otherwise make a closure for :meth:`get` on every call)."""
        found = self._store.get(key)
        return MISSING if found is None else found[0]

    def keep(self, key: Any, value: Any, key_bytes: int = 0) -> Any:
        """Keep ``value`` under ``key`` (replacing what was kept), if the key is not too big;
        returns ``value``."""
        if key_bytes > self.max_key_bytes:
            return value
        with self._lock:
            old = self._store.pop(key, None)
            if old is not None:
                self.held_bytes -= old[1]
            self._store[key] = (value, key_bytes)
            self.held_bytes += key_bytes
            while len(self._store) > self.size or self.held_bytes > self.max_bytes:
                oldest = next(iter(self._store))
                self.held_bytes -= self._store.pop(oldest)[1]
        return value

    def clear(self) -> None:
        """Forget everything (a reset gives the memory back)."""
        with self._lock:
            self._store = {}
            self.held_bytes = 0


def violations(
    validator: Validator, value: Any, location: str, prefix: str = ""
) -> list[Violation]:
    """``value`` checked by ``validator``, as violations with short, readable messages."""
    out = []
    for error in validator.iter_errors(value):
        path = key_path([prefix, *error.absolute_path] if prefix else list(error.absolute_path))
        out.append(Violation(location, path, _short_message(error), str(error.validator)))
    return out


def _short_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, with a long instance cut down (a 201-job list is not a message)."""
    if error.validator in ("maxItems", "minItems") and isinstance(error.instance, list):
        bound = "at most" if error.validator == "maxItems" else "at least"
        return f"has {len(error.instance)} items; {bound} {error.validator_value} allowed"
    text = repr(error.instance)
    if len(text) > 60 and text in error.message:
        return error.message.replace(text, text[:50] + "…")
    return error.message


@dataclass(frozen=True, slots=True)
class _Route:
    template: str
    regex: re.Pattern[str]
    operations: Mapping[str, Operation]


class Spec:
    """One OpenAPI 3.1 document, ready to match and validate requests."""

    def __init__(self, document: Mapping[str, Any], *, source: str = "<spec>") -> None:
        self.document = document
        self.source = source
        self._validators: dict[str, Validator] = {}
        self.routes = self._compile()

    @classmethod
    def from_path(cls, path: str | Path) -> Spec:
        """Read and check a spec file; raises :class:`LoadError` with file and line.

        A file read before (same path, size and modification time) is not parsed again: a
        Spec holds no state of a server, only the document and its compiled validators.
        """
        path = Path(path)
        try:
            stat = path.stat()
            key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = None
        if key is not None and key in _LOADED:
            return _LOADED[key]
        spec = cls._read(path)
        if key is not None:
            _LOADED[key] = spec
        return spec

    @classmethod
    def _read(cls, path: Path) -> Spec:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LoadError([Problem(str(path), 1, "", f"cannot read file: {exc}")]) from exc
        document = doccache.load(text, partial(_parse, source=str(path)))
        problems = _structure_problems(document, str(path), text)
        if problems:
            raise LoadError(problems)
        try:
            return cls(document, source=str(path))
        except LookupError as exc:
            raise LoadError([Problem(str(path), 1, "", f"cannot compile schemas: {exc}")]) from exc

    @cached_property
    def registry(self) -> Registry[Any]:
        """The document as a referencing registry, for the ``$ref``s of recursive schemas
        (made, and referencing imported, when a validator of one is first compiled)."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resource = Resource.from_contents(dict(self.document), default_specification=DRAFT202012)
        made: Registry[Any] = Registry().with_resource(_URI, resource)
        return made

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", self.source))

    def validator(self, pointer: list[str | int]) -> Validator:
        """A compiled validator for the schema at ``pointer`` in the document (cached)."""
        ref = _pointer(pointer)
        found = self._validators.get(ref)
        if found is None:
            schema = self._inline(self.resolve("#" + ref), depth=0)
            if schema is None:  # recursive: leave the references to the registry
                schema = {"$ref": f"{_URI}#{ref}"}
            found = Validator(schema, registry=lambda: self.registry)
            self._validators[ref] = found
        return found

    def _inline(self, node: Any, depth: int) -> Any:
        """``node`` with every local ``$ref`` replaced by its target, so validating resolves
        nothing per request; None for a recursive schema (left to the registry)."""
        if depth > 32:
            return None
        if isinstance(node, Mapping):
            if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
                target = self._inline(self.resolve(node["$ref"]), depth + 1)
                if target is None:
                    return None
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return {"allOf": [target, rest]} if rest else target
            out = {}
            for key, value in node.items():
                inlined = self._inline(value, depth + 1)
                if inlined is None and value is not None:
                    return None
                out[key] = inlined
            return out
        if isinstance(node, list):
            items = [self._inline(v, depth + 1) for v in node]
            return (
                None
                if any(i is None and v is not None for i, v in zip(items, node, strict=True))
                else items
            )
        return node

    def component(self, name: str) -> Validator:
        """The validator of ``#/components/schemas/{name}``."""
        return self.validator(["components", "schemas", name])

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for ``method path``; raises NotFound or MethodNotAllowed.

        As OpenAPI says, the most specific path that matches is the one: a literal path wins
        over a templated one (``/batch/upload`` over ``/batch/{id}``), and the methods of that
        path alone are the ones allowed.
        """
        for route in self.routes:
            m = route.regex.fullmatch(path)
            if m is None:
                continue
            operation = route.operations.get(method.lower())
            if operation is None:
                methods = sorted(a.upper() for a in route.operations)
                raise MethodNotAllowed(
                    405, f"{method} is not allowed here", details={"allow": methods}
                )
            return operation, m.groupdict()
        raise NotFound(404, f"no route for {method} {path}")

    @cached_property
    def operations(self) -> dict[str, Operation]:
        return {op.id: op for route in self.routes for op in route.operations.values()}

    def _compile(self) -> list[_Route]:
        routes = []
        for template, item in self.document.get("paths", {}).items():
            shared = item.get("parameters", [])
            operations = {}
            for method in METHODS:
                raw = item.get(method)
                if raw is None:
                    continue
                pointer: list[str | int] = ["paths", template, method]
                operations[method] = self._operation(template, method, pointer, raw, shared)
            regex = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))
            routes.append(_Route(template, regex, operations))
        # literal paths before templated ones: /batch/upload wins over /batch/{id}
        routes.sort(key=lambda r: (r.template.count("{"), -len(r.template)))
        return routes

    def _operation(
        self,
        template: str,
        method: str,
        pointer: list[str | int],
        raw: Mapping[str, Any],
        shared: list[Any],
    ) -> Operation:
        params = self._parameters(template, pointer, raw, shared)
        body_required, body_types = self._body(pointer, raw.get("requestBody"))
        return Operation(
            spec=self,
            id=raw["operationId"],
            method=method,
            path=template,
            pointer=pointer,
            raw=raw,
            parameters=tuple(params),
            header_names=tuple(p.name.lower() for p in params if p.location == "header"),
            body_required=body_required,
            body_types=body_types,
        )

    def _parameters(
        self, template: str, pointer: list[str | int], raw: Mapping[str, Any], shared: list[Any]
    ) -> list[Parameter]:
        """The path's shared parameters, then the operation's own ($refs followed)."""
        params = []
        for where, plist in (
            (["paths", template, "parameters"], shared),
            ([*pointer, "parameters"], raw.get("parameters", [])),
        ):
            for i, p in enumerate(plist):
                p_pointer = [*where, i]
                if "$ref" in p:
                    p_pointer = _ref_parts(p["$ref"])
                    p = self.resolve(p["$ref"])
                params.append(
                    Parameter(
                        name=p["name"],
                        location=p["in"],
                        required=bool(p.get("required", p["in"] == "path")),
                        schema=p.get("schema", {}),
                        validator=self.validator([*p_pointer, "schema"]),
                    )
                )
        return params

    def _body(
        self, pointer: list[str | int], body: Mapping[str, Any] | None
    ) -> tuple[bool, dict[str, Validator | None]]:
        """Whether a body is required, and a validator per media type (None: not JSON)."""
        body_types: dict[str, Validator | None] = {}
        if body is None:
            return False, body_types
        body_pointer = [*pointer, "requestBody"]
        if "$ref" in body:
            body_pointer = _ref_parts(body["$ref"])
            body = self.resolve(body["$ref"])
        for media, content in body.get("content", {}).items():
            json_like = media == "application/json" or media.endswith("+json")
            has_schema = "schema" in content and json_like
            body_types[media.lower()] = (
                self.validator([*body_pointer, "content", media, "schema"]) if has_schema else None
            )
        return bool(body.get("required", False)), body_types

    def resolve(self, ref: str) -> Any:
        """The node a local ``$ref`` (``#/...``) points at."""
        node: Any = self.document
        for part in _ref_parts(ref):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node


def _parse(text: str, source: str) -> Any:
    """The YAML text as data (PyYAML is imported only here: for a file not in the cache)."""
    import yaml

    from . import yamlfile

    try:
        return yamlfile.load(text, fast=True)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise LoadError([Problem(source, line, "", f"not valid YAML: {exc}")]) from exc


def _structure_problems(document: Any, source: str, text: str) -> list[Problem]:
    """The few structural facts mockbatch relies on, checked with line numbers."""

    def at(path: list[str | int], message: str, valid: str = "") -> Problem:
        return Problem(source, line_of(text, path), key_path(path), message, valid)

    if not isinstance(document, Mapping):
        return [at([], "an OpenAPI document must be a mapping", "openapi, info, paths")]
    problems = []
    version = str(document.get("openapi", ""))
    if not version.startswith("3.1"):
        problems.append(at(["openapi"], f"unsupported OpenAPI version {version!r}", "3.1.x"))
    paths = document.get("paths")
    if not isinstance(paths, Mapping) or not paths:
        return [*problems, at(["paths"], "no paths declared", "a mapping of paths")]
    seen: set[str] = set()
    for template, item in paths.items():
        if not str(template).startswith("/"):
            problems.append(at(["paths", template], "a path must start with '/'"))
        if not isinstance(item, Mapping):
            problems.append(
                at(["paths", template], "a path item must be a mapping", ", ".join(METHODS))
            )
            continue
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            op_id = op.get("operationId") if isinstance(op, Mapping) else None
            if not op_id:
                problems.append(at(["paths", template, method], "missing operationId"))
            elif op_id in seen:
                problems.append(
                    at(
                        ["paths", template, method, "operationId"],
                        f"duplicate operationId {op_id!r}",
                    )
                )
            else:
                seen.add(op_id)
    return problems
