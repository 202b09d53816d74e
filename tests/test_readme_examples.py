"""The README's "Testing your client" examples are the files in tests/examples/, one per API.

An API adds its example as ``tests/examples/test_<api>_client.py`` (a complete client loop:
create or look up a batch, poll, read results, in under 20 lines) and the same text in the
README, in a python block whose first line is ``# tests/examples/test_<api>_client.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockbatch.registry import names

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"


def readme_examples() -> dict[str, str]:
    """``{"tests/examples/test_ivvy_client.py": code}`` from the README's "Testing your client"."""
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n## Testing your client\n")[1].split("\n## ")[0]
    block = r"```python\n# (tests/examples/test_\w+_client\.py)\n(.*?)```"
    blocks = re.findall(block, section, re.S)
    return dict(blocks)


@pytest.mark.parametrize("api", names())
def test_every_api_has_an_example_in_the_readme(api: str) -> None:
    name = f"tests/examples/test_{api}_client.py"
    path = ROOT / name
    assert path.is_file(), f"{api} has no client example: add {name} (see this file's docstring)"
    assert readme_examples().get(name) == path.read_text("utf-8"), (
        f"the README's block for {name} differs from the file"
    )


def test_every_readme_example_is_a_file() -> None:
    for name in readme_examples():
        assert (ROOT / name).is_file(), f"the README shows {name}, which does not exist"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("test_*.py")), ids=lambda p: p.name)
def test_examples_are_under_20_lines_of_code(path: Path) -> None:
    code = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    assert len(code) < 20, f"{path.name} has {len(code)} lines of code"
