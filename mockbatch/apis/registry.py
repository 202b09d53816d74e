"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .check import CheckAdapter
from .ivvy import IvvyAdapter
from .openai import OpenaiProvider
from .runtype import RuntypeAdapter
from .trigger import TriggerProvider

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyAdapter.name: IvvyAdapter,
    TriggerProvider.name: TriggerProvider,
    RuntypeAdapter.name: RuntypeAdapter,
    CheckAdapter.name: CheckAdapter,
    OpenaiProvider.name: OpenaiProvider,
}
