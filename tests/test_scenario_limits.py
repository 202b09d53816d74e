"""Scenario documents that would cost too much, or say nothing useful, are refused clearly:
alias bombs and deep nesting (both YAML parsers), many problems (one parse, a capped list),
typos in ``options`` and ``match`` for every API, and a POSTed scenario without a name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockbatch import cli, yamlfile
from mockbatch.app import check_scenario, load_scenarios
from mockbatch.errors import LoadError
from mockbatch.registry import names
from mockbatch.scenarios import Scenario

BAD = Path(__file__).parent / "scenarios" / "bad"
LAUGHS = (BAD / "billion_laughs.yaml").read_text("utf-8")
TOO_BIG = "expands to more than 1,000,000 values (an alias counts each time it is used)"


def problems_of(text: str) -> list[str]:
    with pytest.raises(LoadError) as caught:
        scenario = Scenario.from_text(text)
        raise LoadError(check_scenario(scenario))
    return [str(p) for p in caught.value.problems]


# -- aliases and depth ------------------------------------------------------------------------


def test_billion_laughs_is_refused_by_from_text() -> None:
    assert problems_of(LAUGHS) == [f"<scenario>:8: (top level): {TOO_BIG}"]


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "pure-python"])
def test_billion_laughs_is_refused_by_both_parsers_after_a_few_nodes(
    fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    expanded = [0]  # nodes, not kept: a node's repr would expand its aliases
    children = yamlfile._children

    def counting(node: yaml.Node) -> list[yaml.Node]:
        expanded[0] += 1
        return children(node)

    monkeypatch.setattr(yamlfile, "_children", counting)

    with pytest.raises(yamlfile.LimitError) as caught:
        yamlfile.load(LAUGHS, fast=fast)

    assert (caught.value.message, caught.value.line) == (TOO_BIG, 8)
    # Each distinct node is expanded once (an alias's size is remembered, not re-expanded):
    # the root, *l9 down to l0, l0's 10 leaves; then l5's 1,111,111 values are too many.
    assert expanded == [1 + 10 + 10]


def test_billion_laughs_is_refused_by_validate(capsys: pytest.CaptureFixture[str]) -> None:
    path = BAD / "billion_laughs.yaml"

    assert cli.main(["validate", str(path)]) == 1
    assert capsys.readouterr() == ("", f"{path}:8: (top level): {TOO_BIG}\n")


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    assert problems_of("api: ivvy\nname: &me [a, *me]\n") == [
        "<scenario>:2: (top level): an alias is used inside its own anchor"
    ]


@pytest.mark.parametrize("depth", [101, 900, 5000])
def test_deep_yaml_is_one_line_from_validate(
    depth: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(f"api: ivvy\nname:\n  {'[' * depth}{']' * depth}\n", "utf-8")

    assert cli.main(["validate", str(path)]) == 1
    assert capsys.readouterr() == ("", f"{path}:3: (top level): nested deeper than 100 levels\n")


def test_deep_block_yaml_is_refused_by_from_text() -> None:
    text = "api: ivvy\nname:\n" + "".join(f"{'  ' * (i + 1)}k:\n" for i in range(5000))

    assert problems_of(text) == ["<scenario>:101: (top level): nested deeper than 100 levels"]


def test_nesting_up_to_the_limit_loads() -> None:
    inner = "[" * 97 + "]" * 97  # root mapping, its key, the rule list... within 100 levels
    scenario = Scenario.from_text(f"api: ivvy\ndefault:\n  response: {inner}\n")

    assert scenario.default is not None


# -- many problems ----------------------------------------------------------------------------


def test_many_problems_parse_the_text_once_and_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    composed: list[str] = []
    compose = yaml.compose

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        composed.append(text)
        return compose(text, *args, **kwargs)

    monkeypatch.setattr(yaml, "compose", counting)
    text = "api: ivvy\nbatches:\n" + "".join(f"  - {{id: x{i}, item: []}}\n" for i in range(500))

    found = problems_of(text)

    assert len(composed) == 1
    shown = [
        line
        for i in range(5)
        for line in (
            f"<scenario>:{3 + i}: batches[{i}].item: unknown key (did you mean 'items'?) {VALID}",
            f"<scenario>:{3 + i}: batches[{i}]: a batch needs 'items' or 'generate'"
            " (valid: items, generate)",
        )
    ]
    assert found == [*shown, "<scenario>:8: (top level): ... and 990 more"]


VALID = "(valid: cancel, created_at, generate, id, items, meta, on_create, paused)"


def test_many_adapter_problems_are_capped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    composed: list[str] = []
    compose = yaml.compose
    monkeypatch.setattr(yaml, "compose", lambda t, **kw: composed.append(t) or compose(t, **kw))
    text = "api: ivvy\nbatches:\n" + "".join(f"  - {{id: x{i}, items: []}}\n" for i in range(300))

    found = problems_of(text)

    assert len(composed) == 1
    hint = "(valid: 32 lowercase hex digits, e.g. e35e06ee592d17a42dc9e6252a058617)"
    assert found == [
        *[
            f"<scenario>:{3 + i}: batches[{i}].id: 'x{i}' is not an iVvy asyncId {hint}"
            for i in range(10)
        ],
        "<scenario>:13: (top level): ... and 290 more",
    ]


# -- every key is checked ---------------------------------------------------------------------


@pytest.mark.parametrize("api", names())
def test_every_api_refuses_a_misspelt_shared_option_with_a_hint(api: str) -> None:
    (found,) = [p for p in problems_of(f"api: {api}\noptions:\n  colbacks: {{}}\n")]

    assert found.startswith(
        "<scenario>:3: options.colbacks: unknown key (did you mean 'callbacks'?) (valid: "
    )
    assert "auth, callbacks, " in found


@pytest.mark.parametrize("api", names())
def test_every_api_takes_the_shared_options(api: str) -> None:
    text = (
        f"api: {api}\noptions:\n  auth: {{mode: lenient}}\n  callbacks: {{max_attempts: 2}}\n"
        "  rate_limit: {limit: 5}\n"
    )

    assert check_scenario(Scenario.from_text(text)) == []


@pytest.mark.parametrize("api", names())
def test_every_api_refuses_a_match_on_a_field_its_items_lack(api: str) -> None:
    (found,) = problems_of(f"api: {api}\nrules:\n  - match: {{colour: red}}\n")

    assert found.startswith("<scenario>:3: rules[0].match.colour: ")
    assert "have no field 'colour' (valid: " in found


def test_the_issue_typos_are_refused() -> None:
    loaded = [
        BAD / "ivvy_match_typo.yaml",
        BAD / "ivvy_option_typo.yaml",
        BAD / "check_option_typo.yaml",
    ]
    with pytest.raises(LoadError) as caught:
        load_scenarios(loaded)

    assert [p.message for p in caught.value.problems] == [
        "iVvy jobs have no field 'nmespace' (did you mean 'namespace'?)",
        "unknown key (did you mean 'callbacks'?)",
        "unknown key (did you mean 'webhook'?)",
    ]


# -- a scenario without a name ----------------------------------------------------------------


def test_a_posted_scenario_without_a_name_gets_one(client: httpx.Client) -> None:
    loaded = client.post("/__mockbatch/scenarios", content="api: check\n")
    listed = client.get("/__mockbatch/scenarios").json()["scenarios"]

    assert loaded.json() == {
        "loaded": "unnamed (POST /__mockbatch/scenarios)",
        "api": "check",
        "batches": 0,
    }
    assert listed[-1] == {
        "name": "unnamed (POST /__mockbatch/scenarios)",
        "api": "check",
        "source": "<POST /__mockbatch/scenarios>",
    }


def test_a_file_without_a_name_is_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("api: check\n", "utf-8")

    assert Scenario.from_path(path).name == "mine"
