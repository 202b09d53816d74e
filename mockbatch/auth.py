"""Authentication emulation settings, per API, from a scenario's ``options: {auth: {...}}``.

Modes: ``off`` (nothing is checked), ``lenient`` (the default: credentials are checked for
form only), ``strict`` (only the scenario's keys are valid, and signatures are verified).
Each adapter applies the mode in its provider's way and answers in its provider's format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class AuthMode(str, Enum):
    OFF = "off"
    LENIENT = "lenient"
    STRICT = "strict"


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """``keys`` maps each valid key to its secret (None for bearer keys without one);
    ``forbidden`` keys authenticate but may not use the API (403 where the provider has one)."""

    mode: AuthMode = AuthMode.LENIENT
    keys: Mapping[str, str | None] = field(default_factory=dict)
    forbidden: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> AuthSettings:
        raw = options.get("auth", {})
        if not isinstance(raw, Mapping):
            return cls()
        keys = raw.get("keys", {})
        if isinstance(keys, list):
            keys = {str(k): None for k in keys}
        return cls(
            mode=AuthMode(raw.get("mode", AuthMode.LENIENT.value)),
            keys={str(k): (None if v is None else str(v)) for k, v in keys.items()},
            forbidden=frozenset(str(k) for k in raw.get("forbidden", ())),
        )
