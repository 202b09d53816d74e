"""Webhooks: ``batch.completed``, ``batch.failed``, ``batch.expired``, ``batch.cancelled``,
signed the Standard Webhooks way so that the SDKs' ``webhooks.unwrap`` accepts them.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``, HMAC-SHA256 keyed by the
base64 text after ``whsec_`` (a secret without that prefix is used as its UTF-8 bytes), sent
as ``v1,<base64>``. The SDKs refuse a timestamp more than five minutes from their wall clock,
so ``webhook-timestamp`` is wall-clock time even when the mock's clock is virtual; the event's
``created_at`` is the mock's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

SECRET_PREFIX = "whsec_"
EVENTS = ("completed", "failed", "expired", "cancelled")


def key(secret: str) -> bytes:
    """The HMAC key of a webhook secret."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def event(event_id: str, status: str, created_at: int, batch_id: str) -> bytes:
    """The event's body, serialised once (the signature covers these bytes)."""
    body = {
        "id": event_id,
        "object": "event",
        "type": f"batch.{status}",
        "created_at": created_at,
        "data": {"id": batch_id},
    }
    return json.dumps(body, separators=(",", ":")).encode()


def headers(secret: str, event_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` (wall clock) and ``webhook-signature``."""
    stamp = str(int(time.time() if now is None else now))
    signed = f"{event_id}.{stamp}.".encode() + body
    digest = hmac.new(key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": event_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def settings(options: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(url, secret)`` from ``options: {webhook: {url, secret}}``, or None."""
    raw = options.get("webhook")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("url"), str):
        return None
    return raw["url"], str(raw.get("secret", ""))
