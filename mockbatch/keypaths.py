"""Key paths (``batches[0].items``) and the lines they point at in a YAML text.

Light on purpose: a scenario keeps a :class:`Lines` of its text, and errors name key paths, on
every start-up; PyYAML is imported only when a line is first looked for (a problem to report).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import yaml


class Lines:
    """Lines of key paths in one YAML text; the text is composed once, when first asked."""

    __slots__ = ("_keys", "_root", "_text")

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._root: yaml.Node | None = None
        self._keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}

    def of(self, path: Sequence[str | int]) -> int:
        """The 1-based line where ``path`` (keys and indexes) points.

        Stops at the deepest part of the path that exists, so a missing key points at its parent.
        """
        import yaml

        from .yamlfile import compose

        if self._text is not None:
            self._root, self._text = compose(self._text), None
        node = self._root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in path:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                found = self._pairs(node).get(str(part))
                if found is not None:
                    line = found[0].start_mark.line + 1
                    child = found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    child = node.value[part]
                    line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def _pairs(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        pairs = self._keys.get(id(node))
        if pairs is None:
            pairs = {}
            for key_node, value_node in node.value:
                pairs.setdefault(str(key_node.value), (key_node, value_node))
            self._keys[id(node)] = pairs
        return pairs


def line_of(text: str, path: Sequence[str | int]) -> int:
    """The 1-based line where ``path`` points in ``text`` (see :meth:`Lines.of`; for many
    paths into one text, keep one :class:`Lines`)."""
    return Lines(text).of(path)


def key_path(path: Sequence[str | int]) -> str:
    """``["batches", 0, "items"]`` -> ``"batches[0].items"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
