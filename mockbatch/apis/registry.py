"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .check import CheckAdapter
from .ivvy import IvvyProvider
from .runtype import RuntypeAdapter
from .trigger import TriggerProvider

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyProvider.name: IvvyProvider,
    TriggerProvider.name: TriggerProvider,
    RuntypeAdapter.name: RuntypeAdapter,
    CheckAdapter.name: CheckAdapter,
}
