"""The ceiling: a bare Starlette app answering every request with fixed bytes.

``BARE_BODY`` (a file path) holds the body and ``BARE_STATUS`` the status; the benchmark points
them at a response it captured from the mock, so both servers send the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BARE_BODY"]).read_bytes()
STATUS = int(os.environ.get("BARE_STATUS", "200"))


async def answer(request: Request) -> Response:
    await request.body()
    return Response(BODY, status_code=STATUS, media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])
