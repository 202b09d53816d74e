"""Where the shipped OpenAPI documents and default scenarios are.

In an installed wheel they are package data (``mockbatch/_data/``); in a source checkout they
are the repository's top-level ``specs/`` and ``scenarios/`` folders next to the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The shipped folder ``name`` (``"specs"`` or ``"scenarios"``)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE.parent / name
    if checkout.is_dir() and (_PACKAGE.parent / "pyproject.toml").is_file():
        return checkout
    raise FileNotFoundError(f"mockbatch's {name}/ folder is missing from this installation")


def specs_dir() -> Path:
    return data_dir("specs")


def default_scenarios_dir() -> Path:
    return data_dir("scenarios")
