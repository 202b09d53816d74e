"""iVvy request signing (developer.ivvy.com, "Signing the request").

``signature = hex(HMAC-SHA1(secret, lower(method + Content-MD5 + Content-Type + date +
requestUri + "1.0" + ivvyHeaders)))`` sent as ``X-Api-Authorization: IWS key:signature``; ``date``
is the Date header, or empty when IVVY-Date is sent; ``ivvyHeaders`` are the IVVY-* headers,
names without ``-``/``_``, sorted, as ``name=value`` joined by ``&``. Requests dated more than
5 minutes before the mock's clock are stale (401, 23005).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from ...auth import AuthMode, AuthSettings
from ...errors import MockbatchError
from .wire import IvvyError

if TYPE_CHECKING:
    from ...context import Context
    from .. import Call

API_VERSION = "1.0"
STALE_AFTER = timedelta(minutes=5)
_AUTH = re.compile(r"^IWS (?P<key>[^:\s]+):(?P<signature>[0-9a-fA-F]{40})$")


class SigningError(MockbatchError):
    """Why a request's signature is refused: (specificCode, param or message, more)."""

    def __init__(self, code: int, param: str, *more: str) -> None:
        super().__init__(param)
        self.code = code
        self.param = param
        self.more = list(more)


def authenticate(ctx: Context, call: Call) -> None:
    """Raise the 401 :class:`IvvyError` for a request that fails the API's auth settings."""
    try:
        check(
            ctx.auth(),
            method=call.method,
            uri=call.uri,
            prefix=call.prefix,
            headers=call.headers,
            body=call.body,
            now=ctx.now(),
        )
    except SigningError as refused:
        raise IvvyError(refused.code, param=refused.param, more=refused.more, status=401) from None


def key_of(headers: Mapping[str, str]) -> str | None:
    """The key of ``X-Api-Authorization: IWS key:signature`` (None without one)."""
    iws = headers.get("x-api-authorization", "")
    if iws.startswith("IWS ") and ":" in iws:
        return iws[4:].split(":", 1)[0]
    return None


def string_to_sign(method: str, uri: str, headers: Mapping[str, str]) -> str:
    """The documented string to sign, from the headers as sent (names lower-case)."""
    ivvy = sorted(
        (name.replace("-", "").replace("_", ""), value)
        for name, value in headers.items()
        if name.startswith("ivvy")
    )
    date = "" if "ivvy-date" in headers else headers.get("date", "")
    parts = [
        method,
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        date,
        uri,
        API_VERSION,
        "&".join(f"{name}={value}" for name, value in ivvy),
    ]
    return "".join(parts).lower()


def sign(secret: str, text: str) -> str:
    """Lower-case hex HMAC-SHA1 of ``text`` with ``secret``."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()


def check(
    settings: AuthSettings,
    *,
    method: str,
    uri: str,
    prefix: str = "",
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> None:
    """Raise :class:`SigningError` if the request fails ``settings``. A client may have signed
    ``uri`` (the request URI as the API sees it, as the SDKs sign it) or ``prefix + uri`` (as sent
    to the mock, with its path prefix): both are accepted."""
    if settings.mode is AuthMode.OFF:
        return
    strict = settings.mode is AuthMode.STRICT
    header = headers.get("x-api-authorization")
    if header is None:
        if strict:
            raise SigningError(23017, "X-Api-Authorization")
        return  # lenient: an unsigned request is fine, a signed one must be well formed
    match = _AUTH.match(header.strip())
    if match is None:
        raise SigningError(
            23016, "X-Api-Authorization", "Expected: IWS <key>:<40 hex digit signature>"
        )
    md5 = headers.get("content-md5")
    if md5 is None:
        raise SigningError(23017, "Content-MD5")
    actual = hashlib.md5(body).hexdigest()
    if md5.lower() != actual:
        raise SigningError(23016, "Content-MD5", f"The MD5 of the body is {actual}")
    sent_at = _date(headers)
    if not strict:
        return
    key = match.group("key")
    secret = settings.keys.get(key)
    if secret is None:
        raise SigningError(23016, "X-Api-Authorization", f"Unknown API key {key!r}")
    forms = _forms(method, uri, prefix, headers)
    if not any(
        hmac.compare_digest(sign(secret, text), match.group("signature").lower())
        for text in forms.values()
    ):
        raise SigningError(23016, "signature", *(f"{k}: {v}" for k, v in forms.items()))
    if now - sent_at > STALE_AFTER:
        raise SigningError(23005, "")


def _forms(method: str, uri: str, prefix: str, headers: Mapping[str, str]) -> dict[str, str]:
    """The accepted strings to sign, labelled for a person (the SDKs' form first)."""
    if not prefix:
        return {"The string to sign is": string_to_sign(method, uri, headers)}
    return {
        f"string to sign (URI as the SDKs sign it, without the mock's {prefix} prefix)": (
            string_to_sign(method, uri, headers)
        ),
        f"string to sign (with the {prefix} prefix)": string_to_sign(method, prefix + uri, headers),
    }


def _date(headers: Mapping[str, str]) -> datetime:
    if "ivvy-date" in headers:
        text = headers["ivvy-date"].strip().removesuffix(" UTC")
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        except ValueError:
            raise SigningError(23016, "IVVY-Date", "Expected: yyyy-mm-dd HH:mm:ss") from None
    if "date" not in headers:
        raise SigningError(23017, "Date", "Send a Date or an IVVY-Date header")
    try:
        parsed = parsedate_to_datetime(headers["date"])
    except (TypeError, ValueError):
        raise SigningError(23016, "Date", "Expected an RFC 1123 date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
