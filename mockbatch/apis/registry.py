"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .anthropic import AnthropicProvider
from .check import CheckAdapter
from .ivvy import IvvyAdapter
from .runtype import RuntypeAdapter
from .trigger import TriggerProvider

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyAdapter.name: IvvyAdapter,
    TriggerProvider.name: TriggerProvider,
    RuntypeAdapter.name: RuntypeAdapter,
    CheckAdapter.name: CheckAdapter,
    AnthropicProvider.name: AnthropicProvider,
}
