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


class Verdict(str, Enum):
    """What an API key earns under the settings; adapters answer each in their own words."""

    OK = "ok"
    MISSING = "missing"  # 401
    MALFORMED = "malformed"  # 401: not the provider's key format
    UNKNOWN = "unknown"  # 401: strict mode, not one of the scenario's keys
    FORBIDDEN = "forbidden"  # 403


def judge(settings: AuthSettings, key: str | None, *, well_formed: bool) -> Verdict:
    """The verdict on ``key`` (None when the request sent none); ``well_formed`` says whether
    it has the provider's format (the adapter knows the format)."""
    if settings.mode is AuthMode.OFF:
        return Verdict.OK
    if not key:
        return Verdict.MISSING
    if not well_formed:
        return Verdict.MALFORMED
    if settings.mode is AuthMode.STRICT and key not in settings.keys:
        return Verdict.UNKNOWN
    if key in settings.forbidden:
        return Verdict.FORBIDDEN
    return Verdict.OK
