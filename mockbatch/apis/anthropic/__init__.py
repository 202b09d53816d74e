"""Anthropic Message Batches (``/anthropic``): the batch routes of api.anthropic.com, as the
official SDKs (``anthropic`` 2.x for Python, ``@anthropic-ai/sdk`` for Node) read them.

``wire`` holds the service's vocabulary (statuses, result and error types, limits, IDs);
``auth`` the key and version checks; ``checks`` the create request's checks (400 at once, or an
``errored`` result later); ``create`` makes batches; ``batches`` derives a batch's lifecycle
and renders it; ``messages`` and ``results`` make the results file; ``pages`` the list;
``scenario`` checks Anthropic scenarios; ``provider`` serves the routes.
"""

from __future__ import annotations

from .provider import AnthropicProvider

__all__ = ["AnthropicProvider"]
