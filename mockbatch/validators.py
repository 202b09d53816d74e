"""JSON Schema (draft 2020-12) validators compiled when first used.

Importing jsonschema (with referencing, attrs, its format checkers and meta-schemas read from
disk) takes about 30 ms, more than the rest of mockbatch's start-up beyond the framework. A
:class:`Validator` holds its schema and compiles it on the first instance it checks, so a server
pays for jsonschema with the first request that needs a check, and a start-up whose scenario
files were checked before (see :mod:`mockbatch.doccache`) does not import it at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema
    from referencing import Registry


class Validator:
    """A draft 2020-12 validator of ``schema``; ``registry`` (called once, when compiling)
    gives the referencing registry its remote ``$ref``s resolve in."""

    __slots__ = ("_compiled", "_registry", "schema")

    def __init__(
        self,
        schema: Mapping[str, Any] | bool,
        *,
        registry: Callable[[], Registry[Any]] | None = None,
    ) -> None:
        self.schema = schema
        self._registry = registry
        self._compiled: jsonschema.Draft202012Validator | None = None

    @property
    def compiled(self) -> jsonschema.Draft202012Validator:
        """jsonschema's validator (compiled, and jsonschema imported, on first use; two threads
        racing here compile two equal validators, one of which is kept)."""
        found = self._compiled
        if found is None:
            import jsonschema

            if self._registry is None:
                found = jsonschema.Draft202012Validator(self.schema)
            else:
                found = jsonschema.Draft202012Validator(self.schema, registry=self._registry())
            self._compiled = found
        return found

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        """Every way ``instance`` breaks the schema (see jsonschema's ``iter_errors``)."""
        return self.compiled.iter_errors(instance)
