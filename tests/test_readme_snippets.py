"""Every YAML snippet in the README is a scenario that loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockbatch import Scenario
from mockbatch.app import check_scenario

README = Path(__file__).resolve().parent.parent / "README.md"
SNIPPETS = re.findall(r"```yaml\n(.*?)```", README.read_text("utf-8"), re.S)


def test_the_readme_has_snippets() -> None:
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet-{i}" for i in range(len(SNIPPETS))])
def test_readme_yaml_snippet_loads(snippet: str) -> None:
    scenario = Scenario.from_text(snippet, source="README.md")
    assert check_scenario(scenario) == []
