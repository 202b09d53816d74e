"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .ivvy import IvvyAdapter
from .trigger import TriggerAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyAdapter.name: IvvyAdapter,
    TriggerAdapter.name: TriggerAdapter,
}
