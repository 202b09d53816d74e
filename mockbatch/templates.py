"""Placeholders in scenario bodies: ``{index}``, ``{position}``, ``{random}``, ``{input.KEY...}``.

A string that is exactly one placeholder takes the value's own type (``"{index}"`` -> ``3``);
inside a longer string the value is formatted in. Nothing else in a string is touched, so JSON
text and literal braces pass through unchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{(index|position|random|input(?:\.[A-Za-z0-9_\-]+)*)\}")


def has_placeholders(value: Any) -> bool:
    """Whether rendering could change ``value`` (lets callers skip work)."""
    if isinstance(value, str):
        return _PLACEHOLDER.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_placeholders(v) for v in value.values())
    if isinstance(value, list):
        return any(has_placeholders(v) for v in value)
    return False


def render(value: Any, *, index: int, seed: int = 0, input: Any = None) -> Any:
    """Fill placeholders in ``value`` for item ``index`` (0-based) of a batch."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), index, seed, input)
        return _PLACEHOLDER.sub(lambda m: str(_lookup(m.group(1), index, seed, input)), value)
    if isinstance(value, Mapping):
        return {k: render(v, index=index, seed=seed, input=input) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, index=index, seed=seed, input=input) for v in value]
    return value


def _lookup(name: str, index: int, seed: int, input: Any) -> Any:
    if name == "index":
        return index
    if name == "position":
        return index + 1
    if name == "random":
        return hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()[:16]
    found: Any = input
    for part in name.split(".")[1:]:
        if isinstance(found, Mapping) and part in found:
            found = found[part]
        else:
            return None
    return found
