"""The README's Check walk-through, run against a server as `mockbatch serve` builds it.

Each `curl` line's answer must be the `# ...` line under it: exactly, or, where that line
abbreviates with `...`, each of its pieces in order.
"""

from __future__ import annotations

import codecs
import shlex
from pathlib import Path

import httpx
import pytest

from mockbatch import ServerThread, SystemClock, create_app

README = Path(__file__).resolve().parents[3] / "README.md"


def walkthrough() -> str:
    section = README.read_text("utf-8").split("## Check (`/check`)")[1]
    return section.split("```sh")[1].split("```")[0]


def test_readme_check_walkthrough() -> None:
    variables: dict[str, str] = {}
    files: dict[str, bytes] = {}
    lines = walkthrough().splitlines()
    steps = 0
    with ServerThread(create_app(clock=SystemClock())) as server, httpx.Client() as http:
        for i, line in enumerate(lines):
            if "=" in line.split(" ")[0] and not line.startswith(("#", "curl")):
                name, value = line.split("=", 1)
                variables[name] = shlex.split(value)[0]
            elif line.startswith("printf "):
                text, target = line.removeprefix("printf ").split(" > ")
                files[target] = codecs.decode(shlex.split(text)[0], "unicode_escape").encode()
            elif line.startswith("curl "):
                expected = lines[i + 1].removeprefix("# ")
                answer = run(http, shlex.split(line), variables, files, server.url)
                assert_matches(answer, expected, line)
                steps += 1
    assert steps == 10


def run(
    http: httpx.Client,
    argv: list[str],
    variables: dict[str, str],
    files: dict[str, bytes],
    url: str,
) -> str:
    def expand(text: str) -> str:
        for name, value in variables.items():
            text = text.replace(f"${name}", value)
        return text.replace("http://127.0.0.1:8080", url)

    method, headers, body, upload, target = "GET", {}, None, None, ""
    args = iter(argv[1:])
    for arg in args:
        if arg == "-s":
            continue
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, value = expand(next(args)).split(": ", 1)
            headers[name] = value
        elif arg == "-d":
            method, body = "POST", next(args).encode()
        elif arg == "-F":
            field, name = next(args).split("=@")
            method, upload = "POST", {field: (name, files[name])}
        else:
            target = expand(arg)
    return http.request(method, target, headers=headers, content=body, files=upload).text


def assert_matches(answer: str, expected: str, line: str) -> None:
    __tracebackhide__ = True
    if "..." not in expected:
        assert answer == expected, line
        return
    position = 0
    for piece in (p for p in expected.split("...") if p):
        found = answer.find(piece, position)
        if found < 0:
            pytest.fail(f"{line}\n  answered {answer}\n  without {piece!r}")
        position = found + len(piece)
