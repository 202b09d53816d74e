"""Who a request is and which API version it speaks: the key and ``anthropic-version``.

The docs show the key in ``x-api-key``; the SDKs (Python 2.x, Node 1.x) send it as
``Authorization: Bearer``: both are accepted, ``x-api-key`` first. The key is checked before
the version header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...auth import Verdict, judge
from .wire import KEY_PREFIX, VERSIONS, AnthropicError

if TYPE_CHECKING:
    from ...auth import AuthSettings


def sent_key(headers: Mapping[str, str]) -> str:
    """The key a request sent: ``x-api-key``, else a bearer token ("" when none)."""
    key = headers.get("x-api-key", "").strip()
    if key:
        return key
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return ""


def authenticate(settings: AuthSettings, headers: Mapping[str, str]) -> str:
    """The request's key and version checks, in the service's words; returns the version."""
    key = sent_key(headers)
    verdict = judge(settings, key, well_formed=key.startswith(KEY_PREFIX))
    if verdict is Verdict.MISSING:
        raise AnthropicError(401, "x-api-key header is required")
    if verdict in (Verdict.MALFORMED, Verdict.UNKNOWN):
        raise AnthropicError(401, "invalid x-api-key")
    if verdict is Verdict.FORBIDDEN:
        raise AnthropicError(403, "Your API key does not have permission to use this resource.")
    version = headers.get("anthropic-version")
    if version is None:
        raise AnthropicError(400, "anthropic-version: header is required")
    if version not in VERSIONS:
        raise AnthropicError(400, f'anthropic-version: "{version}" is not a valid version')
    return version
