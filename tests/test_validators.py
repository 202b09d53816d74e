"""validators.quick: an exact yes/no check of the simple schemas, so that a valid request needs
no jsonschema; checked against jsonschema on every schema mockbatch ships."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockbatch import app, registry, scenarios
from mockbatch.validators import Validator, quick

PLAIN = [None, True, False, 0, 1, -1, 1.0, 2.5, -0.5, 10**6, "", "a", "1", "true", [], {}]


def shipped_schemas() -> Iterator[tuple[str, Any]]:
    """Every schema a shipped validator checks: the specs' (request, response, components),
    the scenario schema and each API's options."""
    for name, spec in app.load_specs(registry.names()).items():
        for node_path, _ in _schemas(spec.document, []):
            validator = spec.validator(node_path)
            yield f"{name}:{'/'.join(map(str, node_path))}", validator.schema
    yield "scenario.schema.json", scenarios._validator().schema
    for name in registry.names():
        module = sys.modules[registry.provider(name).__module__.rsplit(".", 1)[0] + ".scenario"]
        options = getattr(module, "_OPTIONS", None)
        if options is not None:
            yield f"{name} options", options.schema


def _schemas(node: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], Any]]:
    """Where a spec holds a schema: under ``schema`` keys and ``components/schemas``."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = [*path, key]
            if isinstance(value, dict) and (key == "schema" or path == ["components", "schemas"]):
                yield here, value
            yield from _schemas(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, [*path, index])


def samples(schema: Any, depth: int = 0) -> list[Any]:
    """Instances near the edges of ``schema``: its values, its bounds and one past them, each
    required key dropped, an unknown key added, wrong types."""
    if not isinstance(schema, dict) or depth > 4:
        return list(PLAIN)
    found: list[Any] = list(PLAIN) if depth == 0 else [None, 1, "a"]
    found += [*schema.get("enum", []), *schema.get("examples", [])]
    for key in ("const", "default", "example"):
        if key in schema:
            found.append(schema[key])
    for key in ("minLength", "maxLength"):
        if key in schema:
            found += ["x" * max(schema[key] + step, 0) for step in (-1, 0, 1)]
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in schema:
            found += [schema[key] + step for step in (-1, 0, 1)]
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += samples(sub, depth + 1)[:12]
    if "not" in schema:
        found += samples(schema["not"], depth + 1)[:6]
    if "items" in schema:
        items = samples(schema["items"], depth + 1)[:4]
        found += [[item] for item in items]
        least = schema.get("minItems", 0)
        found += [items[:1] * max(least + step, 0) for step in (-1, 0, 1)]
    if "properties" in schema or "required" in schema:
        found += objects(schema, depth)
    return found


def objects(schema: dict[str, Any], depth: int) -> list[Any]:
    properties = schema.get("properties", {})
    full = {}
    for key, sub in properties.items():
        values = samples(sub, depth + 1)
        full[key] = next((v for v in values if jsonschema_accepts(sub, v)), values[-1])
    required = {key: full.get(key, 1) for key in schema.get("required", [])}
    found: list[Any] = [full, required, {**full, "unknownKey": 1}]
    found += [{k: v for k, v in required.items() if k != key} for key in required]
    for key, sub in itertools.islice(properties.items(), 8):
        found += [{**required, key: value} for value in samples(sub, depth + 1)[:10]]
    return found


def jsonschema_accepts(schema: Any, instance: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


SCHEMAS = list(shipped_schemas())


def test_most_shipped_schemas_are_checked_quickly() -> None:
    quick_ones = [name for name, schema in SCHEMAS if quick(schema) is not None]
    assert len(SCHEMAS) > 200
    assert len(quick_ones) > 0.8 * len(SCHEMAS), sorted(
        name for name, schema in SCHEMAS if quick(schema) is None
    )


@pytest.mark.parametrize("name", [name for name, schema in SCHEMAS if quick(schema) is not None])
def test_the_quick_check_agrees_with_jsonschema(name: str) -> None:
    schema = dict(SCHEMAS)[name]
    check = quick(schema)
    assert check is not None
    reference = jsonschema.Draft202012Validator(schema)
    wrong = [
        json.dumps(instance)[:200]
        for instance in samples(schema)
        if check(instance) != reference.is_valid(instance)
    ]
    assert wrong == []


QUICK = [(name, schema) for name, schema in SCHEMAS if quick(schema) is not None]


def vocabulary(schema: Any) -> list[Any]:
    """The property names and values a schema names (so random objects meet its keys)."""
    found: list[Any] = ["a"]
    if isinstance(schema, dict):
        found += list(schema.get("properties", {})) + list(schema.get("required", []))
        found += [value for value in schema.get("enum", []) if isinstance(value, str)]
        for value in schema.values():
            found += vocabulary(value)[1:]
    elif isinstance(schema, list):
        for value in schema:
            found += vocabulary(value)[1:]
    return sorted(set(found), key=str)


@settings(
    derandomize=True, max_examples=600, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(data=st.data())
def test_the_quick_check_agrees_with_jsonschema_on_random_instances(data: st.DataObject) -> None:
    name, schema = data.draw(st.sampled_from(QUICK))
    words = vocabulary(schema)
    leaf = (
        st.none()
        | st.booleans()
        | st.integers(-3, 300)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.sampled_from(words)
        | st.text(max_size=4)
    )
    keys = st.sampled_from([w for w in words if isinstance(w, str)]) | st.text(max_size=3)
    instance = data.draw(
        st.recursive(
            leaf,
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=5),
            max_leaves=12,
        )
    )
    check = quick(schema)
    assert check is not None
    assert check(instance) == jsonschema.Draft202012Validator(schema).is_valid(instance), name


@pytest.mark.parametrize(
    ("schema", "valid", "invalid"),
    [
        ({"type": "integer"}, [1, 1.0, -3], [True, 1.5, "1", None]),
        ({"type": "number"}, [1, 1.5], [False, "1"]),
        ({"enum": [1, "a"]}, [1, 1.0, "a"], [True, "1"]),
        ({"enum": [False]}, [False], [0, None]),
        ({"const": [1, {"a": True}]}, [[1, {"a": True}]], [[True, {"a": 1}], [1, {}]]),
        ({"pattern": "^a"}, ["ab", 3], ["ba"]),
        ({"format": "email"}, ["not an email"], []),
        ({"additionalProperties": {"type": "string"}}, [{"a": "b"}, 3], [{"a": 1}]),
        (
            {"properties": {"a": True}, "additionalProperties": False},
            [{"a": 1}, {}],
            [{"b": 1}],
        ),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1.5], [1, "x"]),
        ({"not": {"type": "string"}}, [1], ["a"]),
        ({"items": False}, [[], "x"], [[1]]),
        ({"maxProperties": 1, "minItems": 1}, [{"a": 1}, [1]], [{"a": 1, "b": 2}, []]),
        ({"nullable": True, "type": "string", "x-anything": 1}, ["a"], [None]),
    ],
)
def test_jsonschemas_semantics(schema: Any, valid: list[Any], invalid: list[Any]) -> None:
    check = quick(schema)
    reference = jsonschema.Draft202012Validator(schema)

    assert check is not None
    assert (
        [check(x) for x in valid] == [reference.is_valid(x) for x in valid] == [True] * len(valid)
    )
    assert (
        [check(x) for x in invalid]
        == [reference.is_valid(x) for x in invalid]
        == [False] * len(invalid)
    )


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/x"},
        {"uniqueItems": True},
        {"type": "strng"},
        {"properties": {"a": {"multipleOf": 2}}},
        {"anyOf": []},
        {"$anchor": "a"},
    ],
)
def test_what_the_quick_check_leaves_to_jsonschema(schema: Any) -> None:
    assert quick(schema) is None


def test_an_invalid_instance_gets_jsonschemas_errors() -> None:
    validator = Validator({"type": "object", "required": ["a"], "properties": {"a": True}})

    errors = [error.message for error in validator.iter_errors({"b": 1})]

    assert errors == ["'a' is a required property"]
    assert list(validator.iter_errors({"a": 1})) == []


def test_the_first_answer_of_every_api_needs_no_jsonschema(tmp_path: Path) -> None:
    code = """
import sys
from starlette.testclient import TestClient
from mockbatch import create_app, registry
for name in registry.names():
    made = registry.provider(name)
    method, path, body = made.profile.poll
    with TestClient(create_app(root_api=name)) as client:
        answer = client.request(method, path, json=body, headers=dict(made.profile.headers))
    assert answer.status_code == 200, (name, answer.text)
    print(name, sorted(m for m in ("jsonschema", "yaml") if m in sys.modules))
"""
    env = {"MOCKBATCH_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-c", code]
    subprocess.run(run, env=env, capture_output=True, text=True, check=True)  # fills the cache
    done = subprocess.run(run, env=env, capture_output=True, text=True, check=True)

    assert done.stdout.splitlines() == [f"{name} []" for name in registry.names()]
