"""The README's curl walk-through, run against `mockbatch serve` as written.

Each `curl` line's answer must be the `# ...` line under it: exactly, or, where that line
abbreviates with `...`, each of its pieces in order.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx
import pytest
from test_serve import Serve, serve  # noqa: F401 - the fixture

README = Path(__file__).resolve().parent.parent / "README.md"


def walkthrough() -> list[tuple[list[str], str]]:
    """The (curl argv, expected answer) pairs of the README's curl section."""
    text = README.read_text("utf-8")
    block = text.split("## A walk through with curl")[1].split("```sh")[1].split("```")[0]
    block = re.sub(r"\n\s+(?=\S)(?!#|curl|B=|J=)", " ", block)  # join continued lines
    steps = []
    lines = block.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("curl "):
            expected = lines[i + 1].removeprefix("# ")
            steps.append((shlex.split(line), expected))
    return steps


def test_the_walkthrough_has_the_docs_examples() -> None:
    steps = walkthrough()
    assert len(steps) == 9
    calls = [" ".join(argv) for argv, _ in steps]
    assert sum("?action=" in call for call in calls) == 8
    assert sum("/__mockbatch/clock" in call for call in calls) == 1  # time travel


def test_readme_curl_walkthrough(serve: Serve) -> None:  # noqa: F811
    base = f"{serve.url}/ivvy/api/1.0/batch"
    for argv, expected in walkthrough():
        target = argv[argv.index("-H") + 2].replace("$B", base)
        target = target.replace("http://127.0.0.1:8080", serve.url)
        body = argv[argv.index("-d") + 1]
        answer = httpx.post(target, content=body, headers={"content-type": "application/json"}).text
        pieces = [p for p in expected.split("...") if p]
        if len(pieces) == 1 and "..." not in expected:
            assert answer == expected
        else:
            position = 0
            for piece in pieces:
                found = answer.find(piece, position)
                if found < 0:
                    pytest.fail(f"{target} {body}\n  answered {answer}\n  without {piece!r}")
                position = found + len(piece)
