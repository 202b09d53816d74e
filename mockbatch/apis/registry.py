"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .check import CheckProvider
from .ivvy import IvvyProvider
from .openai import OpenaiProvider
from .runtype import RuntypeProvider
from .trigger import TriggerProvider

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyProvider.name: IvvyProvider,
    TriggerProvider.name: TriggerProvider,
    RuntypeProvider.name: RuntypeProvider,
    CheckProvider.name: CheckProvider,
    OpenaiProvider.name: OpenaiProvider,
}
