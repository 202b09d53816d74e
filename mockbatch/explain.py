"""JSON Schema errors as the problems a person reads: file, line, key path, what is wrong and
what would be valid, with "did you mean ...?" for unknown keys and values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .keypaths import Lines, key_path

if TYPE_CHECKING:
    import jsonschema


def problems(
    errors: Iterable[jsonschema.ValidationError],
    prefix: list[str | int],
    source: str,
    lines: Lines,
) -> list[Problem]:
    """One problem per schema error (per unknown key), at ``prefix`` + the error's path."""
    found = []
    for error in errors:
        error = _most_specific(error)
        path = [*prefix, *error.absolute_path]
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            # One problem per unknown key, pointing at the key itself rather than its parent.
            schema_part: Any = error.schema
            allowed = sorted(schema_part.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                close = closest(key, allowed)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                where = [*path, key]
                found.append(
                    Problem(
                        source,
                        lines.of(where),
                        key_path(where),
                        f"unknown key{hint}",
                        ", ".join(allowed),
                    )
                )
            continue
        message, valid = _explain(error)
        found.append(Problem(source, lines.of(path), key_path(path), message, valid))
    return found


MAX_PROBLEMS = 10


def closest(word: str, choices: list[str]) -> list[str]:
    """The choice closest to ``word``, if one is close (difflib: imported for a problem)."""
    import difflib

    return difflib.get_close_matches(word, choices, n=1)


def capped(problems: list[Problem]) -> list[Problem]:
    """The first :data:`MAX_PROBLEMS` problems, then one saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = problems[MAX_PROBLEMS:]
    return [
        *problems[:MAX_PROBLEMS],
        Problem(rest[0].file, rest[0].line, "", f"... and {len(rest):,} more"),
    ]


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    if error.validator in ("oneOf", "anyOf") and error.context:
        deeper = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if deeper:
            from jsonschema.exceptions import best_match

            best = best_match(deeper)
            if best is not None:
                return _most_specific(best)
    return error


def _bound(keyword: object, value: Any) -> str:
    """What a size or range keyword allows ("" for other keywords)."""
    if keyword == "minimum":
        return f"{value} or more"
    if keyword == "maximum":
        return f"{value} or less"
    if keyword in ("minLength", "minItems"):
        return f"at least {value} {'character' if keyword == 'minLength' else 'entry'}"
    return ""


def _explain(error: jsonschema.ValidationError) -> tuple[str, str]:
    """A message and the valid values for one schema error."""
    keyword, schema_part = error.validator, error.schema
    instance: Any = error.instance
    value: Any = error.validator_value
    properties: Mapping[str, Any] = (
        schema_part.get("properties", {}) if isinstance(schema_part, Mapping) else {}
    )
    if keyword == "enum":
        values = [str(v) for v in value]
        close = closest(str(instance), values)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{instance!r} is not allowed{hint}", ", ".join(values)
    if keyword == "required":
        missing = [k for k in value if k not in instance]
        enum = properties.get(missing[0], {}).get("enum") if missing else None
        valid = f"{missing[0]}: {', '.join(map(str, enum))}" if enum else ""
        return f"missing required key {', '.join(map(repr, missing))}", valid
    if keyword == "type":
        expected = _type_names(value)
        if instance is None and not error.absolute_path:
            return "the file is empty", expected
        if isinstance(instance, (Mapping, list)) or instance is None:
            return f"wrong type: got {_kind(instance)}", expected
        if value == "string":  # an unquoted 0001 or true that YAML did not keep as text
            return f"{instance!r} was read as {_kind(instance)}; quote it", expected
        return f"wrong type: {instance!r} is {_kind(instance)}", expected
    bound = _bound(keyword, value)
    if bound:
        return error.message, bound
    if keyword == "minProperties":
        return "must not be empty", ", ".join(sorted(properties)) or f"at least {value} key"
    one_of = _one_key_of(error)
    if one_of:
        noun = schema_part.get("title", "value") if isinstance(schema_part, Mapping) else "value"
        names = ", ".join(one_of)
        either = " or ".join(map(repr, one_of))
        if isinstance(instance, Mapping) and sum(name in instance for name in one_of) > 1:
            return f"a {noun} has {either}, not both", names
        return f"a {noun} needs {either}", names
    if keyword == "not" and error.validator_value == {"required": ["response", "error"]}:
        return "an item has either 'response' or 'error', not both", "response, error"
    if keyword == "dependentRequired":
        return "'fail_every' needs an 'error' to fail with", "fail_every together with error"
    return error.message, ""


def _one_key_of(error: jsonschema.ValidationError) -> list[str]:
    """The keys of a ``oneOf: [{required: [a]}, {required: [b]}]``, else []."""
    branches = error.validator_value if error.validator == "oneOf" else None
    names: list[str] = []
    for branch in branches if isinstance(branches, list) else []:
        if not isinstance(branch, Mapping) or list(branch) != ["required"]:
            return []
        if len(branch["required"]) != 1:
            return []
        names.append(str(branch["required"][0]))
    return names


def _type_names(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(_KINDS.get(n, f"a {n}") for n in names)


_KINDS = {
    "object": "a mapping",
    "array": "a list",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def _kind(instance: Any) -> str:
    """The JSON Schema type of a parsed YAML value, in words."""
    if instance is None:
        return "an empty value"
    if isinstance(instance, bool):
        return "a boolean"
    if isinstance(instance, (int, float)):
        return "a number"
    if isinstance(instance, str):
        return "a string"
    if isinstance(instance, Mapping):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    return type(instance).__name__
