"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .anthropic import AnthropicProvider
from .check import CheckAdapter
from .ivvy import IvvyProvider
from .openai import OpenaiProvider
from .runtype import RuntypeProvider
from .trigger import TriggerProvider

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyProvider.name: IvvyProvider,
    TriggerProvider.name: TriggerProvider,
    RuntypeProvider.name: RuntypeProvider,
    CheckAdapter.name: CheckAdapter,
    OpenaiProvider.name: OpenaiProvider,
    AnthropicProvider.name: AnthropicProvider,
}
