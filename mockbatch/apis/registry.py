"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .check import CheckAdapter
from .ivvy import IvvyAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyAdapter.name: IvvyAdapter,
    CheckAdapter.name: CheckAdapter,
}
