"""Trigger.dev (``/trigger``): the batch routes of api.trigger.dev, as ``@trigger.dev/sdk`` 4.x
reads them.

``wire`` holds the provider's vocabulary (statuses, error kinds, limits) and its mapping from the
engine's states; ``auth`` each route's key check; ``checks`` the webapp's request checks;
``create`` makes batches (two-phase with NDJSON items, and the one-shot routes); ``batches``
derives a batch's status; ``runs`` and ``pages`` render runs and their cursor pages;
``scenario`` checks Trigger.dev scenarios; ``provider`` serves the routes.
"""

from __future__ import annotations

from .provider import TriggerProvider

__all__ = ["TriggerProvider"]
