"""Scenario files, by example: the corpus under ``tests/scenarios/``.

Every file in ``good/`` loads (adapter checks included) into the objects it describes. Every file
in ``bad/`` has one problem, and its first line says exactly what the loader reports for it::

    # expect: LINE: KEY.PATH: MESSAGE (valid: ...)

which is ``str(problem)`` without the leading ``file:``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from mockbatch.app import check_scenario, load_scenarios
from mockbatch.engine import After
from mockbatch.errors import LoadError
from mockbatch.scenarios import Scenario, outcome_for
from mockbatch.templates import render

CORPUS = Path(__file__).parent / "scenarios"
GOOD = sorted((CORPUS / "good").glob("*.yaml"))
BAD = sorted((CORPUS / "bad").glob("*.yaml"))


def expected(path: Path) -> list[str]:
    """The ``# expect:`` lines at the top of a bad file, as ``str(problem)`` prints them."""
    lines = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("# expect: "):
            break
        lines.append(f"{path}:{line.removeprefix('# expect: ')}")
    return lines


def load(name: str) -> Scenario:
    (scenario,) = load_scenarios([CORPUS / "good" / name])
    return scenario


def test_the_corpus_is_there() -> None:
    assert len(GOOD) >= 5
    assert len(BAD) >= 15


# -- good files -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_file_loads(path: Path) -> None:
    (scenario,) = load_scenarios([path])

    assert scenario.source == str(path)
    assert scenario.text == path.read_text("utf-8")
    assert check_scenario(scenario) == []


def test_good_folder_loads_at_once() -> None:
    scenarios = load_scenarios([CORPUS / "good"])

    assert [s.source for s in scenarios] == [str(p) for p in GOOD]


def test_fixed_items_have_responses_errors_ids_and_timing() -> None:
    scenario = load("ivvy_fixed_batches.yaml")
    invite_1, invite_2, ping, later = scenario.batches[0].items

    assert (scenario.api, scenario.name, scenario.seed) == ("ivvy", "fixed-batches", 3)
    assert invite_1.key == "invite-1"
    assert invite_1.ok
    assert invite_1.body == {
        "results": [{"contact": 1, "status": True}, {"contact": 2, "status": False}]
    }
    assert invite_1.after == After()
    assert invite_2.key == "invite-2"
    assert not invite_2.ok
    assert invite_2.body["specificCode"] == 24096
    assert invite_2.after == After(polls=2)
    assert ping.key is None
    assert ping.input == {"namespace": "test", "action": "ping", "params": {}}
    assert ping.after == After(polls=1, seconds=30)
    assert later.after == After(seconds=2.5)


def test_batch_created_at_meta_and_paused() -> None:
    running, paused = load("ivvy_fixed_batches.yaml").batches

    assert running.id == "0123456789abcdef0123456789abcdef"
    assert running.created_at == datetime(2026, 1, 1, 9, 30, tzinfo=timezone.utc)
    assert running.meta == {"callbackUrl": "https://client.example/ivvy-callback", "reposts": 0}
    assert not running.paused
    assert paused.paused
    assert paused.created_at is None  # when the scenario loads
    assert paused.meta == {}


def test_generated_items_every_seventh_fails() -> None:
    batch = load("ivvy_generated.yaml").batches[0]
    generate = batch.generate
    assert generate is not None

    assert batch.items == ()
    assert (generate.count, generate.seed) == (1000, 42)
    item_6, item_7, item_14 = generate.make(5), generate.make(6), generate.make(13)
    assert item_6.ok
    assert item_6.body == {"success": True, "id": 5}
    assert not item_7.ok
    assert item_7.body == {
        "errorCode": 400,
        "message": "Unable to find contact",
        "specificCode": 24096,
    }
    assert not item_14.ok
    assert generate.make(999).ok  # 1000 is not a multiple of 7


def test_generated_input_template_fills_index_and_random() -> None:
    generate = load("ivvy_generated.yaml").batches[0].generate
    assert generate is not None

    params = generate.make(6).input["params"]
    assert params["id"] == 6  # a whole "{index}" keeps the number's type
    assert params["email"] == "c6@example.com"
    assert params["token"] == render("{random}", index=6, seed=42)
    assert params["token"] != generate.make(7).input["params"]["token"]
    assert generate.make(6) == generate.make(6)


def test_generated_items_are_staggered_after_after() -> None:
    generate = load("ivvy_generated.yaml").batches[0].generate
    assert generate is not None

    assert generate.make(0).after == After(polls=1)
    assert generate.make(6).after == After(polls=1, seconds=3.0)


def test_generated_batch_without_seed_uses_the_scenario_seed() -> None:
    scenario = load("ivvy_generated.yaml")
    generate = scenario.batches[1].generate
    assert generate is not None

    assert generate.seed == scenario.seed == 11
    assert [generate.make(i).body for i in range(3)] == [
        {"ack": "pong 0"},
        {"ack": "pong 1"},
        {"ack": "pong 2"},
    ]
    assert all(generate.make(i).ok and generate.make(i).after == After() for i in range(3))


def test_rule_with_dotted_key_matches_inside_params() -> None:
    scenario = load("ivvy_rules.yaml")
    event_13 = {"namespace": "event", "action": "inviteContacts", "params": {"event": 13}}
    event_12 = {"namespace": "event", "action": "inviteContacts", "params": {"event": 12}}

    assert outcome_for([scenario], event_13) is scenario.rules[0].outcome
    assert scenario.rules[0].outcome.fails(1)
    assert outcome_for([scenario], event_12) is scenario.default


def test_rule_with_glob_pattern() -> None:
    scenario = load("ivvy_rules.yaml")
    get_event = {"namespace": "event", "action": "getEventList", "params": {}}
    get_nothing = {"namespace": "event", "action": "addEvent", "params": {}}

    assert outcome_for([scenario], get_event) is scenario.rules[1].outcome
    assert outcome_for([scenario], get_nothing) is scenario.default
    assert scenario.rules[1].outcome.after == After(polls=2)


def test_rule_with_fail_every_fails_every_third_item() -> None:
    outcome = outcome_for([load("ivvy_rules.yaml")], {"namespace": "contact", "action": "x"})
    assert outcome is not None
    job = {"namespace": "contact", "action": "addOrUpdateContact", "params": {}}

    first, third = outcome.make(job, 0), outcome.make(job, 2)
    assert first.ok
    assert first.body == {"success": True, "id": 1}  # "{position}" is 1-based
    assert not third.ok
    assert third.body["message"] == "Unable to save contact"
    assert first.after == third.after == After(polls=1, seconds=5)


def test_default_outcome_when_no_rule_matches() -> None:
    scenario = load("ivvy_rules.yaml")
    view = {"namespace": "venue", "action": "getVenueList", "params": {}}
    outcome = outcome_for([scenario], view)

    assert outcome == scenario.default
    assert outcome is not None
    assert outcome.response == {"success": True}
    assert outcome.after == After(polls=1)


def test_yaml_1_1_words_and_numbers_stay_strings() -> None:
    (item,) = load("ivvy_yaml_pitfalls.yaml").batches[0].items

    assert item.body == {
        "on": "event.created",
        "200": "OK",
        "yes": "no",
        "switch": "off",
        "enabled": True,
        "country": "NO",
        "null": "kept",
    }
    assert item.input["params"] == {"country": "NO"}


def test_minimal_file_takes_every_default() -> None:
    scenario = load("ivvy_minimal.yaml")

    assert scenario.api == "ivvy"
    assert scenario.name == "ivvy_minimal"  # the file's stem
    assert (scenario.seed, scenario.batches, scenario.rules) == (0, (), ())
    assert scenario.default is None
    assert scenario.options == {}


def test_check_items_verdicts_errors_and_rules() -> None:
    scenario = load("check_fields.yaml")

    assert scenario.api == "check"
    assert [b.id for b in scenario.batches] == ["batch_fixed1", "batch_generated"]
    fixed = scenario.batches[0]
    assert fixed.meta["options"]["acceptThreshold"] == 0.9
    assert [(i.ok, i.body) for i in fixed.items] == [
        (True, {"verdict": "true", "confidence": 0.99, "costCents": 7}),
        (False, {"errorMessage": "Verification timeout after 120 seconds", "retryCount": 2}),
        (True, None),
    ]
    moon = {"content": "The moon is cheese", "context": {"source": "textbook"}}
    assert outcome_for([scenario], moon) is scenario.rules[0].outcome
    timeout = outcome_for([scenario], {"content": "a timeout"})
    assert timeout is not None
    assert timeout.fails(1)
    assert outcome_for([scenario], {"content": "anything else"}) is None  # no default


# -- bad files --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_file_reports_its_expected_problem(path: Path) -> None:
    expect = expected(path)
    assert expect, f"{path.name} must start with '# expect: LINE: KEY.PATH: MESSAGE'"

    with pytest.raises(LoadError) as caught:
        load_scenarios([path])

    assert [str(problem) for problem in caught.value.problems] == expect
    assert str(caught.value) == "\n".join(expect)


def test_bad_folder_reports_every_problem_of_every_file() -> None:
    with pytest.raises(LoadError) as caught:
        load_scenarios([CORPUS / "bad"])

    want = [line for path in BAD for line in expected(path)]
    assert [str(problem) for problem in caught.value.problems] == want


# -- other ways in ----------------------------------------------------------------------------


def test_from_dict_builds_a_scenario_from_parsed_data() -> None:
    scenario = Scenario.from_dict(
        {
            "api": "ivvy",
            "name": "inline",
            "batches": [
                {
                    "id": "e35e06ee592d17a42dc9e6252a058617",
                    "items": [{"input": {"namespace": "test"}, "response": {"on": True}}],
                }
            ],
            "rules": [{"match": {"namespace": "event"}, "response": {"success": True}}],
        }
    )

    assert scenario.name == "inline"
    assert scenario.source == "<scenario>"
    assert scenario.batches[0].items[0].body == {"on": True}
    assert outcome_for([scenario], {"namespace": "event"}) is scenario.rules[0].outcome
    assert check_scenario(scenario) == []


def test_from_dict_problems_have_no_file_and_point_at_line_1() -> None:
    with pytest.raises(LoadError) as caught:
        Scenario.from_dict({"api": "ivy"})

    assert [str(p) for p in caught.value.problems] == [
        "<scenario>:1: api: 'ivy' is not allowed (did you mean 'ivvy'?)"
        " (valid: anthropic, check, ivvy, openai, runtype, trigger)"
    ]


def test_packaged_default_scenarios_load() -> None:
    scenarios = load_scenarios()

    assert scenarios
    assert "ivvy-docs" in [s.name for s in scenarios]
    assert all(check_scenario(s) == [] for s in scenarios)
