"""The providers mockbatch serves: every entry point of the ``mockbatch.providers`` group.

The built-ins are registered there too (``pyproject.toml``), so a provider installed by another
package is found the same way, with no change to mockbatch. Discovery runs once per process;
:func:`clear` forgets it (tests that install a provider at run time).
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from .errors import LoadError, Problem
from .provider import Provider

GROUP = "mockbatch.providers"


@functools.cache
def providers() -> dict[str, type[Provider]]:
    """Every registered provider by name, sorted by name."""
    found: dict[str, type[Provider]] = {}
    for point in entry_points(group=GROUP):
        loaded = point.load()
        found[point.name] = _provider(point.name, point.value, loaded)
    return dict(sorted(found.items()))


def provider(name: str) -> type[Provider]:
    """The provider registered as ``name``; a :class:`LoadError` naming the known ones if none."""
    known = providers()
    if name not in known:
        problem = Problem("<options>", 1, "api", f"unknown API {name!r}", ", ".join(known))
        raise LoadError([problem])
    return known[name]


def names() -> list[str]:
    """The registered providers' names, sorted."""
    return list(providers())


def clear() -> None:
    """Forget what was discovered (the next :func:`providers` looks again)."""
    providers.cache_clear()


def _provider(name: str, value: str, loaded: object) -> type[Provider]:
    if isinstance(loaded, type) and issubclass(loaded, Provider):
        if loaded.name != name:
            raise LoadError([_bad(name, value, f"its class is named {loaded.name!r}")])
        return loaded
    raise LoadError([_bad(name, value, "it is not a mockbatch.provider.Provider subclass")])


def _bad(name: str, value: str, why: str) -> Problem:
    return Problem(f"entry point {GROUP}:{name}", 1, name, f"{value}: {why}")
