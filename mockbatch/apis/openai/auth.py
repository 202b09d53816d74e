"""``Authorization: Bearer sk-...`` (the project ``sk-proj-`` and service-account
``sk-svcacct-`` keys are ``sk-`` keys too), refused with the service's 401 body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...auth import Verdict, judge
from .wire import OpenAIError

if TYPE_CHECKING:
    from ...auth import AuthSettings
    from .. import Call

NO_KEY = (
    "You didn't provide an API key. Send it in an Authorization header using Bearer auth"
    " (Authorization: Bearer YOUR_KEY)."
)


def authenticate(settings: AuthSettings, call: Call) -> str:
    """The request's key, or the service's 401 (403 for a key the scenario forbids)."""
    raw = call.headers.get("authorization", "").strip()
    scheme, _, key = raw.partition(" ")
    key = key.strip() if scheme.lower() == "bearer" else ""
    verdict = judge(settings, key, well_formed=key.startswith("sk-"))
    if verdict is Verdict.MISSING:
        raise OpenAIError(401, NO_KEY)
    if verdict in (Verdict.MALFORMED, Verdict.UNKNOWN):
        raise OpenAIError(
            401, f"Incorrect API key provided: {_masked(key)}.", code="invalid_api_key"
        )
    if verdict is Verdict.FORBIDDEN:
        raise OpenAIError(
            403, "This key is not allowed to use this API.", code="insufficient_permissions"
        )
    return key


def _masked(key: str) -> str:
    return key if len(key) <= 8 else f"{key[:3]}***{key[-4:]}"
