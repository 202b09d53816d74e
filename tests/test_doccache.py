"""Start-up work done once: parsed YAML files kept by content hash, providers imported when
served."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockbatch import doccache, yamlfile
from mockbatch.scenarios import Scenario
from mockbatch.specs import Spec

SCENARIO = "api: ivvy\nname: cached\nbatches:\n  - id: b1\n    items:\n      - input: {a: 1}\n"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The texts YAML-parsed from here on, with the cache in a fresh folder."""
    monkeypatch.setenv("MOCKBATCH_CACHE_DIR", str(tmp_path / "cache"))
    seen: list[str] = []
    real = yamlfile.load

    def counting(text: str, *, fast: bool = False) -> Any:
        seen.append(text)
        return real(text, fast=fast)

    monkeypatch.setattr(yamlfile, "load", counting)
    return seen


def test_a_scenario_file_read_before_is_not_parsed_again(parses: list[str], tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)

    first = Scenario.from_path(path)
    second = Scenario.from_path(path)

    assert parses == [SCENARIO]
    assert second == first and second.batches[0].items[0].input == {"a": 1}
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_a_changed_file_is_parsed_again(parses: list[str], tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    Scenario.from_path(path)
    changed = SCENARIO.replace("a: 1", "a: 2")
    path.write_text(changed)

    assert Scenario.from_path(path).batches[0].items[0].input == {"a": 2}
    assert parses == [SCENARIO, changed]


def test_a_spec_read_by_another_process_is_not_parsed_again(
    parses: list[str], tmp_path: Path
) -> None:
    shipped = Path(__file__).parent.parent / "specs" / "ivvy.yaml"
    copies = [tmp_path / "a.yaml", tmp_path / "b.yaml"]  # two paths: Spec's own memo misses
    for copy in copies:
        copy.write_text(shipped.read_text())

    specs = [Spec.from_path(copy) for copy in copies]

    assert len(parses) == 1
    assert specs[1].document == specs[0].document


def test_no_cache_when_the_folder_cannot_be_written(
    monkeypatch: pytest.MonkeyPatch, parses: list[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MOCKBATCH_CACHE_DIR", str(blocker / "cache"))
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)

    assert Scenario.from_path(path) == Scenario.from_path(path)
    assert parses == [SCENARIO, SCENARIO]


def test_an_empty_cache_dir_setting_turns_the_cache_off(
    monkeypatch: pytest.MonkeyPatch, parses: list[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("MOCKBATCH_CACHE_DIR", "")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    Scenario.from_path(path)
    Scenario.from_path(path)

    assert doccache.cache_dir() is None
    assert parses == [SCENARIO, SCENARIO]


def test_a_damaged_entry_is_parsed_again(parses: list[str], tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    Scenario.from_path(path)
    (entry,) = (tmp_path / "cache").iterdir()
    entry.write_bytes(b"\x00garbage")

    assert Scenario.from_path(path).batches[0].items[0].input == {"a": 1}
    assert parses == [SCENARIO, SCENARIO]


def test_the_cache_keeps_at_most_max_entries(
    monkeypatch: pytest.MonkeyPatch, parses: list[str]
) -> None:
    monkeypatch.setattr(doccache, "MAX_ENTRIES", 3)
    for n in range(5):
        doccache.load(f"n: {n}\n", yamlfile.load)

    folder = doccache.cache_dir()
    assert folder is not None and len(list(folder.iterdir())) == 3


@pytest.mark.parametrize("scenarios", ["scenarios=[]", "root_api='ivvy'"])
def test_serving_one_api_imports_that_provider_alone(scenarios: str) -> None:
    code = (
        "import sys, json\n"
        "from mockbatch import create_app, registry\n"
        "registry.names()\n"
        f"create_app(apis=['ivvy'], {scenarios})\n"
        "print(json.dumps(sorted({m.split('.')[2] for m in sys.modules"
        " if m.startswith('mockbatch.apis.')})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert json.loads(done.stdout) == ["ivvy"]
