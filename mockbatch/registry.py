"""The providers mockbatch serves: every entry point of the ``mockbatch.providers`` group.

The built-ins are registered there too (``pyproject.toml``), so a provider installed by another
package is found the same way, with no change to mockbatch. Discovery runs once per process, and
a provider's package is imported only when it is asked for; :func:`clear` forgets it (tests
that install a provider at run time).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from importlib.metadata import EntryPoint, entry_points

from .errors import LoadError, Problem
from .provider import Provider

GROUP = "mockbatch.providers"


@functools.cache
def providers() -> Mapping[str, type[Provider]]:
    """Every registered provider by name, sorted by name.

    A provider's package is imported when its entry is first read (``mapping[name]``,
    ``items()``, ``values()``), not when the names are listed: serving one API imports that one.
    """
    return Providers({point.name: point for point in entry_points(group=GROUP)})


class Providers(Mapping[str, "type[Provider]"]):
    """The registered providers by name; an entry point is loaded (and checked) when read.

    Nothing loaded is kept here: the import system already keeps the module, and a module that
    pytest's ``pytester`` drops after an inner run is imported afresh rather than mixed with
    classes from its dropped copy.
    """

    def __init__(self, points: Mapping[str, EntryPoint]) -> None:
        self._points = dict(sorted(points.items()))

    def __getitem__(self, name: str) -> type[Provider]:
        point = self._points[name]
        return _provider(name, point.value, point.load())

    def __iter__(self) -> Iterator[str]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)


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
