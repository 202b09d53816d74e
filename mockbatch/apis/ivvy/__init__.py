"""iVvy (``/ivvy``): API 1.0's ``batch`` namespace, ``POST /api/1.0/batch?action=...``.

``wire`` holds the provider's vocabulary (actions, specific codes, :class:`~.wire.IvvyError`)
and renders its errors; ``auth`` checks HMAC-SHA1 request signing; ``checks`` the action and
its body; ``create`` makes a batch from a ``run``; ``results`` renders progress and results
(also the callback body); ``scenario`` checks iVvy scenarios; ``provider`` serves the actions.
"""

from __future__ import annotations

from .provider import IvvyProvider

__all__ = ["IvvyProvider"]
