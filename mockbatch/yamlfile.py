"""YAML loading that keeps mapping keys as strings and remembers where every value stands.

``200:`` and ``on:`` stay the strings ``"200"`` and ``"on"`` (as in OpenAPI files), and
:class:`Lines` finds the line of a key path so that errors can point into the file.

Documents are refused (:class:`LimitError`) before they are built when they nest deeper than
:data:`MAX_DEPTH` levels or expand to more than :data:`MAX_VALUES` values: an alias counts in
full each time it is used, so a few hundred bytes of nested aliases cannot become 10^9 values.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DEPTH = 100
MAX_VALUES = 1_000_000


class LimitError(yaml.YAMLError):
    """A document too deep or too big to build; ``line`` is where (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _too_deep(mark: yaml.Mark) -> LimitError:
    return LimitError(f"nested deeper than {MAX_DEPTH} levels", mark.line + 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) and string mapping keys."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # The pure-Python composer recurses once per level: stop before Python's limit does.
        if self._depth >= MAX_DEPTH:
            raise _too_deep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        return _checked_data(self)


# YAML 1.2 core schema for plain scalars: only true/false are booleans, no sexagesimal or
# octal-by-leading-zero numbers, and dates stay strings (they are compared and sent as text).
_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in _REPLACED and tag != "tag:yaml.org,2002:timestamp"
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = (
            key_node.value
            if isinstance(key_node, yaml.ScalarNode)
            else str(loader.construct_object(key_node, deep=True))
        )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(text: str, *, fast: bool = False) -> Any:
    """Parse YAML (or JSON) text; raises ``yaml.YAMLError`` with a mark on bad syntax, and
    :class:`LimitError` for a document past :data:`MAX_DEPTH` or :data:`MAX_VALUES`.

    ``fast`` parses with libyaml where PyYAML has it (for big, trusted files such as the
    specs; its syntax error messages differ from the pure-Python parser's).
    """
    return yaml.load(text, Loader=_FastLoader if fast else _Loader)


if hasattr(yaml, "CSafeLoader"):

    class _FastLoader(yaml.CSafeLoader):
        """The same rules as ``_Loader``, on libyaml's parser (it composes without recursing
        in Python, so the depth is checked on the composed nodes)."""

        def get_single_data(self) -> Any:
            return _checked_data(self)

    _FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader.yaml_constructors = _Loader.yaml_constructors
else:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = _Loader  # type: ignore[misc,assignment]


def _checked_data(loader: Any) -> Any:
    node = loader.get_single_node()
    if node is None:
        return None
    measure(node)
    return loader.construct_document(node)


def measure(root: yaml.Node) -> None:
    """Raise :class:`LimitError` if ``root`` nests deeper than :data:`MAX_DEPTH` or expands
    to more than :data:`MAX_VALUES` values (keys, values and items, an alias each time it is
    used) or holds itself. Each distinct node is looked at once, without recursion."""
    done: dict[int, tuple[int, int]] = {}  # id(node) -> (values, levels) once expanded
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
    while stack:
        node, children = stack.pop()
        key = id(node)
        if key in done:
            continue
        if children is None:  # first visit: expand, then come back once the children are done
            children = _children(node)
            open_.add(key)
            stack.append((node, children))
            for child in children:
                if id(child) in open_:
                    raise LimitError("an alias is used inside its own anchor", _line(child))
                stack.append((child, None))
            continue
        open_.discard(key)
        values = 1 + sum(done[id(c)][0] for c in children)
        levels = 1 + max((done[id(c)][1] for c in children), default=0)
        if values > MAX_VALUES:
            message = (
                f"expands to more than {MAX_VALUES:,} values (an alias counts each time it is used)"
            )
            raise LimitError(message, _line(node))
        if levels > MAX_DEPTH:
            raise _too_deep(node.start_mark)
        done[key] = (values, levels)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text`` (None if empty or not YAML), with marks for every node."""
    for loader in (_FastLoader, _Loader):  # libyaml is ten times faster, when it can
        try:
            return yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            continue
    return None
