"""The adapters mockbatch knows, by API name."""

from __future__ import annotations

from . import Adapter
from .check import CheckAdapter
from .ivvy import IvvyAdapter
from .runtype import RuntypeAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    IvvyAdapter.name: IvvyAdapter,
    RuntypeAdapter.name: RuntypeAdapter,
    CheckAdapter.name: CheckAdapter,
}
