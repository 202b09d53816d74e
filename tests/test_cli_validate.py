"""``mockbatch validate`` and ``mockbatch serve`` on scenario files, run as a real process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_scenarios import expected

CORPUS = Path(__file__).parent / "scenarios"
GOOD = CORPUS / "good"
BAD = CORPUS / "bad"

# file:line: key.path: message (valid: ...), the valid part only where there is one
PROBLEM_LINE = re.compile(
    r"^(?P<file>.+?\.yaml):(?P<line>[1-9]\d*): (?P<path>\(top level\)|[\w.\[\]]+): "
    r"(?P<message>.+?)(?: \(valid: (?P<valid>.+)\))?$"
)


def mockbatch(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockbatch", *map(str, args)],
        cwd=Path(__file__).parent,  # `-m` from the root would import the checkout, not the install
        capture_output=True,
        text=True,
        timeout=120,  # a bound for a wedged process, generous for a busy machine
    )


def test_validate_good_folder_exits_0() -> None:
    result = mockbatch("validate", GOOD)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok: {len(list(GOOD.glob('*.yaml')))} scenario file(s)\n"
    assert result.stderr == ""


@pytest.mark.parametrize(
    "name",
    ["unknown_deep_key.yaml", "not_yaml.yaml", "ivvy_async_id_not_hex.yaml"],
)
def test_validate_bad_file_exits_1_with_one_line_per_problem(name: str) -> None:
    result = mockbatch("validate", BAD / name)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == expected(BAD / name)
    assert all(PROBLEM_LINE.match(line) for line in result.stderr.splitlines())


def test_validate_names_where_and_what_would_be_valid() -> None:
    result = mockbatch("validate", BAD / "unknown_deep_key.yaml")

    assert result.stderr == (
        f"{BAD / 'unknown_deep_key.yaml'}:10: batches[1].items[0].respnse: unknown key"
        " (did you mean 'response'?) (valid: after, error, id, input, response, start)\n"
    )


def test_validate_checks_every_file_given() -> None:
    first, second = BAD / "missing_api.yaml", BAD / "unknown_api.yaml"

    result = mockbatch("validate", first, GOOD, second)

    assert result.returncode == 1
    assert result.stderr.splitlines() == expected(first) + expected(second)


def test_serve_bad_file_exits_1_without_starting() -> None:
    path = BAD / "duplicate_batch_id.yaml"

    result = mockbatch("serve", path, "--port", "0")

    assert result.returncode == 1
    assert result.stderr.splitlines() == expected(path)
    assert "serving" not in result.stderr
    assert result.stdout == ""
