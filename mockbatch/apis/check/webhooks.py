"""Check webhooks: ``batch.completed`` / ``batch.failed`` events, signed like Check's docs show.

The envelope is the documented ``{"id": "evt_…", "type", "createdAt", "data"}`` with the batch
object as ``data``. The signature header is ``X-Check-Signature: t=<unix seconds>,v1=<hex>``;
Check's page is cut off at "v1 - HMAC...", so mockbatch chooses the common (Stripe-style) scheme:
``v1 = hex(HMAC-SHA256(secret, f"{t}.{body}"))``, with ``t`` from the mock's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

SIGNATURE_HEADER = "X-Check-Signature"


def envelope(event_id: str, kind: str, now: datetime, batch: Mapping[str, Any]) -> bytes:
    """The event body, serialised once (the signature covers these exact bytes)."""
    body = {
        "id": event_id,
        "type": kind,
        "createdAt": now.isoformat().replace("+00:00", "Z"),
        "data": dict(batch),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Check-Signature`` value for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_settings(options: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(url, secret)`` from ``options: {webhook: {url, secret}}``, or None."""
    raw = options.get("webhook")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("url"), str):
        return None
    return raw["url"], str(raw.get("secret", ""))
