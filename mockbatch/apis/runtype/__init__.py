"""Runtype (api.runtype.com v1, batch part) as a mockbatch provider: :class:`RuntypeProvider`.

Modules by concern: ``wire`` (statuses, times, IDs), ``render`` (record results, pages, the
status body), ``errors`` (the ``{"error", "details"}`` shape), ``request`` (the key, paging,
a submitted body), ``pages`` (results reads), ``batches`` (submit, status, cancel, run-now),
``scenario`` (what a Runtype scenario must hold), ``provider`` (the class and its table).
"""

from __future__ import annotations

from .provider import RuntypeProvider

__all__ = ["RuntypeProvider"]
