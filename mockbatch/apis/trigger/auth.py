"""Trigger.dev's secret keys as each route checks them, with that route's own 401 bodies.

The webapp's routes are built by different helpers, and each words a refused key its own way:
``(no bearer key, a key that is not a secret key)`` per route below. A key the scenario does not
list (strict mode) gets the second message; a forbidden one the provider's 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...auth import Verdict, judge
from .wire import KEY_PREFIXES, TriggerError

if TYPE_CHECKING:
    from ...auth import AuthSettings
    from .. import Call

Messages = tuple[str, str]
"""A route's 401 messages: (no bearer key, a key that is not a secret key)."""

BUILDER: Messages = ("Invalid or Missing API key", "Invalid API key")  # createApiRoute & co.
STREAM: Messages = ("Invalid API Key", "Invalid API Key")  # the batch items stream
RESULTS: Messages = ("Invalid or Missing API Key", "Invalid or Missing API Key")  # results, run
LOADER: Messages = ("Invalid or Missing API key", "Invalid or Missing API key")  # runs, task batch

PREFIXES = tuple(KEY_PREFIXES)
FORBIDDEN = {"code": "unauthorized", "param": "access_token", "type": "authorization"}


def authenticate(settings: AuthSettings, call: Call, messages: Messages) -> str:
    """The request's secret key (``tr_dev_`` added to a bare one when auth is off), or the
    route's 401 for a missing or not-a-secret key, the provider's 403 for a forbidden one."""
    raw = call.headers.get("authorization", "")
    key = raw[len("Bearer ") :] if raw.startswith("Bearer ") else raw
    key = key.strip()
    verdict = judge(settings, key, well_formed=key.startswith(PREFIXES))
    if verdict is Verdict.MISSING:
        raise TriggerError(401, messages[0])
    if verdict in (Verdict.MALFORMED, Verdict.UNKNOWN):
        raise TriggerError(401, messages[1])
    if verdict is Verdict.FORBIDDEN:
        raise TriggerError(403, "Unauthorized", extra=FORBIDDEN)
    return key if key.startswith(PREFIXES) else "tr_dev_" + key
