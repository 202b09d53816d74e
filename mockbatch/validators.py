"""JSON Schema (draft 2020-12) validators compiled when first used.

Importing jsonschema (with referencing, attrs, its format checkers and meta-schemas read from
disk) takes about 30 ms, more than the rest of mockbatch's start-up beyond the framework. A
:class:`Validator` holds its schema and compiles it on the first instance it checks, so a server
pays for jsonschema with the first request that needs a check, and a start-up whose scenario
files were checked before (see :mod:`mockbatch.doccache`) does not import it at all.

Most instances are valid, and most schemas a request meets are simple (a string parameter, an
enum, an object with required keys). For those, :func:`quick` makes an exact yes/no check in
plain Python (jsonschema's semantics: its types, its equality for ``enum``); a valid instance
then needs no jsonschema, and an invalid one is handed to jsonschema for its errors, so what
a client is told is unchanged. A schema with a keyword the quick check does not know is left
to jsonschema whole.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterator, Mapping, Sequence, Sized
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry


class Validator:
    """A draft 2020-12 validator of ``schema``; ``registry`` (called once, when compiling)
    gives the referencing registry its remote ``$ref``s resolve in."""

    __slots__ = ("_compiled", "_quick", "_quick_made", "_registry", "schema")

    def __init__(
        self,
        schema: Mapping[str, Any] | bool,
        *,
        registry: Callable[[], Registry[Any]] | None = None,
    ) -> None:
        self.schema = schema
        self._registry = registry
        self._compiled: jsonschema.Draft202012Validator | None = None
        self._quick: Check | None = None
        self._quick_made = False

    @property
    def compiled(self) -> jsonschema.Draft202012Validator:
        """jsonschema's validator (compiled, and jsonschema imported, on first use; two threads
        racing here compile two equal validators, one of which is kept)."""
        found = self._compiled
        if found is None:
            import jsonschema

            if self._registry is None:
                found = jsonschema.Draft202012Validator(self.schema)
            else:
                found = jsonschema.Draft202012Validator(self.schema, registry=self._registry())
            self._compiled = found
        return found

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        """Every way ``instance`` breaks the schema (see jsonschema's ``iter_errors``)."""
        if not self._quick_made:  # ($refs, the registry's business, are left to jsonschema)
            self._quick = quick(self.schema)
            self._quick_made = True
        if self._quick is not None and self._quick(instance):
            return iter(())
        return self.compiled.iter_errors(instance)


Check = Callable[[Any], bool]
Maker = Callable[[Any, Mapping[str, Any]], Check]

# Assertion keywords of draft 2020-12 that quick() leaves to jsonschema. Any other keyword
# jsonschema does not know either is an annotation (description, example, format: jsonschema
# asserts formats only with a format checker, which mockbatch does not give).
_LEFT_TO_JSONSCHEMA = frozenset(
    {
        "$ref",
        "$dynamicRef",
        "contains",
        "dependentRequired",
        "dependentSchemas",
        "if",
        "multipleOf",
        "patternProperties",
        "prefixItems",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "uniqueItems",
    }
)
_HARMLESS_DOLLARS = frozenset({"$id", "$comment", "$defs", "$schema"})


class _Unsupported(Exception):
    pass


def quick(schema: Any) -> Check | None:
    """An exact yes/no check of ``schema`` (``check(instance)`` is True exactly when
    jsonschema's draft 2020-12 validator finds no error), or None if the schema uses a keyword
    this check leaves to jsonschema (:data:`_LEFT_TO_JSONSCHEMA`, a ``$`` keyword)."""
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _compile(schema: Any) -> Check:
    if schema is True:
        return _always
    if schema is False:
        return _never
    if not isinstance(schema, dict):
        raise _Unsupported
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _LEFT_TO_JSONSCHEMA:
            raise _Unsupported
        if keyword.startswith("$") and keyword not in _HARMLESS_DOLLARS:
            raise _Unsupported
        make = _MAKERS.get(keyword)
        if make is not None:
            checks.append(make(value, schema))
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    return lambda instance: all(check(instance) for check in checks)


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


_TYPES: dict[str, Check] = {
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "integer": lambda x: (
        (isinstance(x, int) and not isinstance(x, bool))
        or (isinstance(x, float) and x.is_integer())
    ),
    "null": lambda x: x is None,
    "number": lambda x: isinstance(x, numbers.Number) and not isinstance(x, bool),
    "object": lambda x: isinstance(x, dict),
    "string": lambda x: isinstance(x, str),
}
_is_number = _TYPES["number"]


def _type(value: Any, schema: Mapping[str, Any]) -> Check:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(name in _TYPES for name in names):
        raise _Unsupported  # jsonschema raises UnknownType: let it
    if len(names) == 1:
        return _TYPES[names[0]]
    checks = [_TYPES[name] for name in names]
    return lambda x: any(check(x) for check in checks)


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: booleans are not numbers, sequences and mappings compared deep."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and _equal(value, two[key]) for key, value in one.items()
        )
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # not the same object, so not the same boolean
    return bool(one == two)


def _enum(value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, list):
        raise _Unsupported
    if all(isinstance(each, str) for each in value):
        strings = frozenset(value)
        return lambda x: isinstance(x, str) and x in strings
    return lambda x: any(_equal(each, x) for each in value)


def _const(value: Any, schema: Mapping[str, Any]) -> Check:
    return lambda x: _equal(x, value)


def _pattern(value: Any, schema: Mapping[str, Any]) -> Check:
    try:
        search = re.compile(value).search
    except (re.error, TypeError):
        raise _Unsupported from None
    return lambda x: not isinstance(x, str) or search(x) is not None


def _size(kind: type[Sized], compare: Callable[[int, Any], bool]) -> Maker:
    """A maker of a check of ``compare(len(instance), limit)`` for instances of ``kind``."""

    def make(limit: Any, schema: Mapping[str, Any]) -> Check:
        if not _is_number(limit):
            raise _Unsupported
        return lambda x: not isinstance(x, kind) or compare(len(x), limit)

    return make


def _limit(compare: Callable[[Any, Any], bool]) -> Maker:
    """A maker of a check of ``compare(instance, limit)`` for numbers."""

    def make(limit: Any, schema: Mapping[str, Any]) -> Check:
        if not _is_number(limit):
            raise _Unsupported
        return lambda x: not _is_number(x) or compare(x, limit)

    return make


def _required(value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, list):
        raise _Unsupported
    return lambda x: not isinstance(x, dict) or all(key in x for key in value)


def _properties(value: Any, schema: Mapping[str, Any]) -> Check:
    if not isinstance(value, dict):
        raise _Unsupported
    checks = [(key, _compile(sub)) for key, sub in value.items()]
    return lambda x: (
        not isinstance(x, dict) or all(check(x[key]) for key, check in checks if key in x)
    )


def _additional(value: Any, schema: Mapping[str, Any]) -> Check:
    named = schema.get("properties", {})
    if isinstance(value, dict):
        check = _compile(value)
        return lambda x: (
            not isinstance(x, dict)
            or all(check(item) for key, item in x.items() if key not in named)
        )
    if value:
        return _always
    return lambda x: not isinstance(x, dict) or all(key in named for key in x)


def _items(value: Any, schema: Mapping[str, Any]) -> Check:
    check = _compile(value)
    return lambda x: not isinstance(x, list) or all(check(item) for item in x)


def _all_of(value: Any, schema: Mapping[str, Any]) -> Check:
    checks = _compile_each(value)
    return lambda x: all(check(x) for check in checks)


def _any_of(value: Any, schema: Mapping[str, Any]) -> Check:
    checks = _compile_each(value)
    return lambda x: any(check(x) for check in checks)


def _one_of(value: Any, schema: Mapping[str, Any]) -> Check:
    checks = _compile_each(value)
    return lambda x: sum(1 for check in checks if check(x)) == 1


def _not(value: Any, schema: Mapping[str, Any]) -> Check:
    check = _compile(value)
    return lambda x: not check(x)


def _compile_each(value: Any) -> list[Check]:
    if not isinstance(value, list) or not value:
        raise _Unsupported
    return [_compile(sub) for sub in value]


_MAKERS: dict[str, Maker] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _size(str, lambda size, limit: size >= limit),
    "maxLength": _size(str, lambda size, limit: size <= limit),
    "minItems": _size(list, lambda size, limit: size >= limit),
    "maxItems": _size(list, lambda size, limit: size <= limit),
    "minProperties": _size(dict, lambda size, limit: size >= limit),
    "maxProperties": _size(dict, lambda size, limit: size <= limit),
    "minimum": _limit(lambda x, limit: x >= limit),
    "maximum": _limit(lambda x, limit: x <= limit),
    "exclusiveMinimum": _limit(lambda x, limit: x > limit),
    "exclusiveMaximum": _limit(lambda x, limit: x < limit),
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": _items,
    "allOf": _all_of,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "not": _not,
}
