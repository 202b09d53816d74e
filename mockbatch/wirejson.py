"""JSON as it crosses the wire: parsed strictly, written so that writing never fails.

Python's ``json`` reads ``NaN``, ``Infinity``, numbers that overflow to infinity (``1e400``) and
escaped lone surrogates (``"\\ud800"``). None of them can be written back as JSON text in UTF-8,
so a body holding one is refused where it is parsed (:func:`loads`), and what mockbatch sends
goes through :func:`dumps`, which shows anything unwritable that got in some other way (a
scenario, a test's own code) instead of raising in the middle of an answer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_MESSAGE = "a string holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"


class NotJSONError(ValueError):
    """Text that Python's parser reads but that is not JSON (or not Unicode text)."""


def loads(raw: bytes | str) -> Any:
    """Parse JSON, refusing non-finite numbers, lone surrogates and nesting too deep to parse.

    Raises ``ValueError`` (:class:`json.JSONDecodeError` for syntax, else :class:`NotJSONError`).
    """
    try:
        value = _DECODER.decode(_text(raw))
    except RecursionError:
        raise NotJSONError("nested too deeply") from None
    # A surrogate needs an escape (a backslash) or bytes outside ASCII: most bodies have neither.
    has_escapes = "\\" in raw if isinstance(raw, str) else b"\\" in raw
    if (has_escapes or not raw.isascii()) and unfit(value) is not None:
        raise NotJSONError(SURROGATE_MESSAGE)
    return value


def _text(raw: bytes | str) -> str:
    """What ``json.loads`` decodes: UTF-8, -16 or -32 bytes; text without a byte-order mark."""
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
        return raw
    return raw.decode(json.detect_encoding(raw), "surrogatepass")


def _constant(name: str) -> Any:
    raise NotJSONError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotJSONError(f"number out of range: {text[:40]}")
    return value


# One decoder for every body (``json.loads`` with options builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float)


def unfit(value: Any) -> str | None:
    """What in ``value`` cannot be written as JSON text in UTF-8 (None when it all can).

    Looks through mappings (keys too), lists, tuples and dataclasses, without recursion.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return SURROGATE_MESSAGE
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{json.dumps(item)} is not a JSON number"
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in fields(item))
    return None


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; a value that cannot be written is shown (``"NaN"``, ``"\\ud800"``)."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except ValueError:  # UnicodeEncodeError is one
        return json.dumps(_shown(value), separators=(",", ":"), ensure_ascii=False).encode()


def _shown(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(value)  # NaN, Infinity, -Infinity
    if isinstance(value, Mapping):
        return {(_shown(k) if isinstance(k, str) else k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v) for v in value]
    return value
