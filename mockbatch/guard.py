"""``ControlToken``: the control API (and the dashboard) behind ``--control-token``.

A client sends ``Authorization: Bearer <token>``. A browser cannot put that header on the
dashboard's links and event stream, so opening ``/__mockbatch/ui?token=<token>`` (the link the
``serve`` banner prints) exchanges the token for a cookie: HttpOnly, SameSite=Strict, scoped to
the control API's path, holding a value derived from the token (not the token itself). The
middleware accepts either, compared in constant time; a request carrying only the cookie is
refused when its ``Origin`` is another site's (a page on another port of localhost is the same
*site* to a browser, so SameSite alone would let it in). The dashboard page without a token
answers a small HTML page asking for it; every other refusal is the control API's 401 JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .control import JSONAnswer

COOKIE = "mockbatch_control"  # + a digest of the token: servers on other ports keep theirs
PAGE = "/ui"  # the dashboard's page, under the control API's prefix
PROMPT = Path(__file__).parent / "ui" / "token.html"
NEEDED = "the control API needs 'Authorization: Bearer <token>' (--control-token)"


class ControlToken:
    """In front of the control API: every request needs ``Authorization: Bearer <token>`` or
    the dashboard's cookie, else 401 (JSON with ``WWW-Authenticate: Bearer``; the dashboard's
    page asks for the token)."""

    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self.token = token.encode()
        self.session = hmac.new(self.token, b"mockbatch dashboard", hashlib.sha256).hexdigest()
        self.cookie = f"{COOKIE}_{hashlib.sha256(self.session.encode()).hexdigest()[:8]}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._bearer(scope):
            await self.app(scope, receive, send)
            return
        cookie = self._cookie(scope)
        if cookie and _same_origin(scope):
            await self.app(scope, receive, send)
            return
        prefix = scope.get("root_path", "")
        page = scope["path"] == prefix + PAGE and scope["method"] in ("GET", "HEAD")
        if page:
            refusal = self._page(scope, prefix)
        elif cookie:
            refusal = _refused("the dashboard's cookie is not taken from another origin", 403)
        else:
            wrong = _header(scope, b"authorization") or cookie is False
            refusal = _refused("wrong control token" if wrong else NEEDED)
        await refusal(scope, receive, send)

    def _bearer(self, scope: Scope) -> bool:
        scheme, _, credential = _header(scope, b"authorization").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credential, self.token)

    def _cookie(self, scope: Scope) -> bool | None:
        """Whether the dashboard's cookie is right; None when it was not sent."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(_header(scope, b"cookie").decode("latin-1"))
        except ValueError:  # CookieError: a malformed header holds no cookie of ours
            return None
        sent = jar.get(self.cookie)
        if sent is None:
            return None
        return hmac.compare_digest(sent.value.encode(), self.session.encode())

    def _page(self, scope: Scope, prefix: str) -> Response:
        """The dashboard's page without credentials: exchange a right ``?token=`` for the
        cookie (and a redirect that drops it from the address bar), else ask for it."""
        sent = parse_qs(scope["query_string"].decode("latin-1")).get("token", [""])[0]
        if sent and hmac.compare_digest(sent.encode(), self.token):
            answer = RedirectResponse(prefix + PAGE, status_code=303)
            answer.set_cookie(
                self.cookie, self.session, path=prefix or "/", httponly=True, samesite="strict"
            )
            answer.headers["cache-control"] = "no-store"
            return answer
        note = "That token is wrong." if sent else ""
        body = PROMPT.read_text("utf-8").replace("{note}", html.escape(note))
        headers = {"cache-control": "no-store"}
        return Response(body, 401, headers, media_type="text/html; charset=utf-8")


def _refused(message: str, status: int = 401) -> Response:
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return JSONAnswer({"error": message}, status_code=status, headers=headers)


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope["headers"] if k.lower() == name), b"")


def _same_origin(scope: Scope) -> bool:
    """No ``Origin`` (a same-origin GET, a non-browser client), or this server's own."""
    origin = _header(scope, b"origin").decode("latin-1")
    if not origin:
        return True
    host = _header(scope, b"host").decode("latin-1")
    return origin in (f"http://{host}", f"https://{host}")
