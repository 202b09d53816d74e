"""Scenario checks' verdicts kept in the parsed-file cache: a file that passed is not checked
again under the same rules; a file that failed is checked, and reported the same, every time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_scenarios import expected

from mockbatch import app, doccache, scenarios
from mockbatch.errors import LoadError, Problem
from mockbatch.scenarios import Scenario

CORPUS = Path(__file__).parent / "scenarios"
GOOD = sorted((CORPUS / "good").glob("*.yaml"))
BAD = sorted((CORPUS / "bad").glob("*.yaml"))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The sources checked (the scenario schema's check) from here on, the cache in a fresh
    folder."""
    monkeypatch.setenv("MOCKBATCH_CACHE_DIR", str(tmp_path / "cache"))
    seen: list[str] = []
    real = scenarios.schema_problems

    def counting(data: object, *, source: str, text: str = "") -> list[Problem]:
        seen.append(source)
        return real(data, source=source, text=text)

    monkeypatch.setattr(scenarios, "schema_problems", counting)
    return seen


def verdicts() -> list[Path]:
    folder = doccache.cache_dir()
    assert folder is not None
    return sorted(folder.glob("*.passed")) if folder.is_dir() else []


def problems(path: Path) -> list[str]:
    with pytest.raises(LoadError) as caught:
        app.load_scenarios([path])
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_a_file_that_passed_is_not_checked_again(checks: list[str], path: Path) -> None:
    first = app.load_scenarios([path])
    second = app.load_scenarios([path])

    assert checks == [str(path)]
    assert second == first
    assert len(verdicts()) == 1


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_a_file_that_failed_is_checked_and_reported_the_same_every_time(
    checks: list[str], path: Path
) -> None:
    assert problems(path) == expected(path)
    assert problems(path) == expected(path)
    assert verdicts() == []


def test_a_provider_check_that_fails_keeps_no_verdict(
    checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = CORPUS / "good" / "ivvy_minimal.yaml"
    found = [Problem(str(path), 3, "rules", "refused by the provider")]
    monkeypatch.setattr(app, "check_scenario", lambda scenario: found)

    assert problems(path) == problems(path) == [str(found[0])]
    assert checks == [str(path), str(path)]
    assert verdicts() == []


def test_a_verdict_does_not_outlive_its_rules(
    checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = CORPUS / "good" / "ivvy_minimal.yaml"
    app.load_scenarios([path])
    found = [Problem(str(path), 3, "rules", "refused by the provider's new version")]
    monkeypatch.setattr(app, "check_scenario", lambda scenario: found)
    monkeypatch.setattr(app, "check_rules", lambda api: "another version of the checks")

    assert problems(path) == [str(found[0])]


def test_an_edited_file_is_checked_again(checks: list[str], tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("api: ivvy\nseed: 1\n")
    app.load_scenarios([path])
    path.write_text("api: ivvy\nsed: 1\n")

    assert problems(path)[0].startswith(f"{path}:2: sed: unknown key (did you mean 'seed'?)")
    assert checks == [str(path), str(path)]


def test_a_changed_file_changes_the_stamp(tmp_path: Path) -> None:
    (tmp_path / "code.py").write_text("A = 1\n")
    (tmp_path / "below").mkdir()
    (tmp_path / "below" / "more.py").write_text("B = 1\n")
    before = doccache.stamp(tmp_path)
    (tmp_path / "below" / "more.py").write_text("B = 22\n")

    assert doccache.stamp(tmp_path) != before
    assert str(tmp_path / "below" / "more.py") in before


def test_only_the_checks_entry_point_keeps_verdicts(checks: list[str]) -> None:
    path = CORPUS / "good" / "ivvy_minimal.yaml"
    Scenario.from_path(path)
    scenarios.load_paths([path])

    assert checks == [str(path), str(path)]
    assert verdicts() == []


def test_a_start_up_with_checked_files_imports_neither_jsonschema_nor_yaml(
    tmp_path: Path,
) -> None:
    code = (
        "import sys\n"
        "from mockbatch import create_app\n"
        "create_app()\n"
        "print(sorted(m for m in ('jsonschema', 'referencing', 'yaml') if m in sys.modules))\n"
    )
    env = {"MOCKBATCH_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)

    assert first.stdout == "['jsonschema', 'referencing', 'yaml']\n"
    assert second.stdout == "[]\n"
