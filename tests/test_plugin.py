"""The pytest plugin, run the way its users run it: test files in a fresh pytest (pytester)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# xdist workers start a fresh Python: leave out the heavy plugins the inner tests do not use.
LEAN = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


def literal(line: str) -> str:
    """``line`` as an fnmatch pattern that matches it exactly, but for its ``*`` wildcards."""
    return line.replace("[", "[[]").replace("?", "[?]")


# What every inner test file starts with: a tiny iVvy client.
CLIENT = """
import httpx
import pytest

BATCH = "/api/1.0/batch"
DOCS = {"e35e06ee592d17a42dc9e6252a058617", "a7ec88af7d710bf51b188004bb532d77"}
RUNNING = "a7ec88af7d710bf51b188004bb532d77"
PING = {"namespace": "test", "action": "ping", "params": {}}

def run(http, jobs):
    return http.post(BATCH, params={"action": "run"}, json={"jobs": jobs}).json()["asyncId"]

def ask(http, action, batch_id):
    return http.post(BATCH, params={"action": action}, json={"async": batch_id})

def client(mockbatch):
    return httpx.Client(transport=mockbatch.transport, base_url=mockbatch.base_url("ivvy"))
"""

ONE_BATCH = """\
api: ivvy
batches:
  - id: "00000000000000000000000000000001"
    items:
      - input: {namespace: test, action: ping, params: {}}
        response: {ack: yes}
        after: {seconds: 10}
"""


def test_each_test_gets_the_session_server_reset(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        CLIENT
        + """
SEEN = []

def test_first(mockbatch, mockbatch_server):
    with httpx.Client(base_url=mockbatch.base_url("ivvy")) as http:  # over the socket
        created = run(http, [PING])
    SEEN.append((mockbatch_server.url, created))
    assert mockbatch.url == mockbatch_server.url
    assert mockbatch.url.startswith("http://127.0.0.1:")
    assert {b["id"] for b in mockbatch.batches if b["api"] == "ivvy"} == DOCS | {created}
    assert [(e.method, e.operation, e.status) for e in mockbatch.requests] == [
        ("POST", "batch", 200)
    ]
    mockbatch.clock.advance(60)

def test_second(mockbatch):
    created = run(client(mockbatch), [PING])  # in process, no socket
    url, first = SEEN[0]
    assert mockbatch.url == url          # the same server,
    assert created == first              # reset: IDs start again,
    assert len(mockbatch.requests) == 1  # the journal holds this test's requests only,
    assert mockbatch.clock.now().isoformat() == "2026-01-01T00:00:00+00:00"  # clock back
    assert {b["id"] for b in mockbatch.batches if b["api"] == "ivvy"} == DOCS | {created}
    assert mockbatch.batch(created)["items"][0]["state"] == "running"
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)


def test_the_handle_serves_async_clients_and_arms_faults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        CLIENT
        + """
import asyncio

def test_async_client(mockbatch):
    async def progress():
        base = mockbatch.base_url("ivvy")
        async with httpx.AsyncClient(transport=mockbatch.async_transport, base_url=base) as http:
            return (await http.post(BATCH, params={"action": "progress"}, json={"async": RUNNING}))
    assert asyncio.run(progress()).json() == {"progress": 33}
    assert mockbatch.batch(RUNNING)["polls"] == 1

def test_fail_next_answers_matching_requests_only_and_is_journaled(mockbatch):
    http = client(mockbatch)
    mockbatch.fail_next("ivvy", status=503, times=2, query={"action": "progress"})
    assert ask(http, "results", RUNNING).status_code == 400  # not matching: the API answers
    assert [ask(http, "progress", RUNNING).status_code for _ in range(3)] == [503, 503, 200]
    assert [e.status for e in mockbatch.requests] == [400, 503, 503, 200]
    assert mockbatch.requests[1].response == {
        "errorCode": 503, "message": "Service Unavailable", "specificCode": 23000
    }
    assert mockbatch.batch(RUNNING)["polls"] == 2  # the faulted ones never reached the batch

def test_fail_next_armed_here(mockbatch):
    mockbatch.fail_next("ivvy", times=5)

def test_faults_do_not_outlive_their_test(mockbatch):
    assert ask(client(mockbatch), "progress", RUNNING).status_code == 200

def test_helpful_errors(mockbatch):
    with pytest.raises(ValueError, match="mockbatch serves no API 'nope' \\(valid: anthropic"):
        mockbatch.base_url("nope")
    with pytest.raises(KeyError, match="no batch 'x' \\(batches: "):
        mockbatch.batch("x")
    assert mockbatch.callbacks == []

def test_callbacks_are_seen_from_the_handle(mockbatch):
    http = client(mockbatch)
    body = {"jobs": [PING], "callbackUrl": "http://example.com/hook"}
    created = http.post("/api/1.0/batch", params={"action": "run"}, json=body).json()["asyncId"]
    assert [ask(http, "progress", created).json() for _ in range(2)] == [{"progress": 0}] * 2
    mockbatch.clock.advance(5)  # the shipped rule: the 3rd poll, 5 s on
    assert ask(http, "progress", created).json() == {"progress": 100}
    (delivery,) = mockbatch.wait_for_callbacks(1)
    assert (delivery.state, delivery.message.batch_id) == ("refused", created)
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=6)


def test_marker_scenarios_replace_the_default_ones(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"scenarios/one_batch": ONE_BATCH})
    pytester.makepyfile(
        CLIENT
        + """
ONE = "00000000000000000000000000000001"

@pytest.mark.mockbatch(scenario="scenarios/one_batch.yaml")
def test_from_a_file(mockbatch):
    assert [b["id"] for b in mockbatch.batches] == [ONE]
    assert ask(client(mockbatch), "progress", ONE).json() == {"progress": 0}
    mockbatch.clock.advance(10)
    assert ask(client(mockbatch), "progress", ONE).json() == {"progress": 100}

@pytest.mark.mockbatch(scenario={"api": "ivvy", "default": {"response": {"n": "{index}"}}})
def test_from_a_dict(mockbatch):
    http = client(mockbatch)
    created = run(http, [PING, PING])
    assert mockbatch.batches[0]["id"] == created
    assert [r["response"] for r in ask(http, "results", created).json()["results"]] == [
        {"n": 0}, {"n": 1}
    ]

def test_without_a_marker_the_shipped_scenarios(mockbatch):
    assert {b["id"] for b in mockbatch.batches if b["api"] == "ivvy"} == DOCS

@pytest.mark.mockbatch(scenario="scenarios/one_batch.yaml")
class TestClassMarker:
    def test_inherits_it(self, mockbatch):
        assert len(mockbatch.batches) == 1

    @pytest.mark.mockbatch(scenario=[])
    def test_the_closest_marker_wins(self, mockbatch):
        assert mockbatch.batches == []

def test_load_adds_a_scenario_now(mockbatch):
    mockbatch.load("scenarios/one_batch.yaml")
    assert {b["id"] for b in mockbatch.batches if b["api"] == "ivvy"} == DOCS | {ONE}
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=6)


def test_marker_clock_wall_follows_real_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import datetime, pytest

@pytest.mark.mockbatch(clock="wall")
def test_wall(mockbatch):
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((mockbatch.clock.now() - now).total_seconds()) < 5
    with pytest.raises(ValueError, match="wall clock"):
        mockbatch.clock.advance(1)

def test_virtual_again(mockbatch):
    assert mockbatch.clock.now().year == 2026
    mockbatch.clock.advance(1)
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_ini_options_set_the_whole_suite(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"base/one_batch": ONE_BATCH})
    pytester.makefile(".yaml", **{"extra/other": ONE_BATCH.replace('01"', '02"')})
    pytester.makeini(
        """
[pytest]
mockbatch_scenarios = base
mockbatch_scenario_dir = extra
mockbatch_strict = false
mockbatch_clock = wall
"""
    )
    pytester.makepyfile(
        CLIENT
        + """
def test_suite_defaults(mockbatch):
    assert [b["id"] for b in mockbatch.batches] == ["00000000000000000000000000000001"]
    assert mockbatch.clock.wall
    client(mockbatch).get("/no/such/route")  # not strict: no failure

@pytest.mark.mockbatch(scenario="other.yaml", clock="virtual")
def test_marker_over_ini(mockbatch):
    assert [b["id"] for b in mockbatch.batches] == ["00000000000000000000000000000002"]
    assert not mockbatch.clock.wall
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_strict_mode_fails_at_teardown_showing_request_rule_and_routes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        CLIENT
        + """
def test_client_with_bugs(mockbatch):
    http = client(mockbatch)
    http.post(BATCH, params={"action": "run"}, json={"jobs": [{"namespace": "", "action": "a"}]})
    http.get("/api/1.0/batches")

@pytest.mark.mockbatch(strict=False)
def test_on_purpose(mockbatch):
    client(mockbatch).get("/api/1.0/batches")

def test_a_404_the_spec_allows_is_no_breach(mockbatch):
    assert ask(client(mockbatch), "progress", "f" * 32).status_code == 404
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    expected = [
        "*ERROR at teardown of test_client_with_bugs*",
        "mockbatch strict mode: 2 requests this test sent broke the contract",
        "",
        '  #1 00:00:00.000 POST /ivvy/api/1.0/batch?action=run {"jobs":[{"namespace":"",'
        '"action":"a"}]} -> 400 {"errorCode":400,*}',
        "    broke: body jobs[0]: 'params' is a required property (required)",
        "    broke: body jobs[0].namespace: '' should be non-empty (minLength)",
        "",
        "  #2 00:00:00.000 GET /ivvy/api/1.0/batches -> 404 {*}",
        "    no route matches it. The routes that exist:",
        "      POST /ivvy/api/1.0/batch  (batch)",
        "",
        "Sent on purpose (a test of the client's error handling)? Mark the test"
        " @pytest.mark.mockbatch(strict=False).",
    ]
    result.stdout.fnmatch_lines([literal(line) for line in expected], consecutive=True)
    assert "test_on_purpose" not in result.stdout.str().split("short test summary")[1]


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("clock='sundial'", "(clock='sundial'): clock must be 'virtual' or 'wall'"),
        ("strict='yes'", "(strict='yes'): strict must be True or False"),
        ("scenario=7", "(scenario=7): a scenario is a path or a dict (or a list of them)"),
        (
            "clok='wall'",
            "(clok=...): unknown option 'clok' (valid: scenario, strict, clock); did you mean"
            " clock?",
        ),
        ("'x.yaml'", " takes keywords only: scenario=, strict=, clock="),
    ],
)
def test_bad_marker_values_are_usage_errors(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
import pytest

@pytest.mark.mockbatch({marker})
def test_a(mockbatch):
    pass
"""
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    where = "test_bad_marker_values_are_usage_errors.py::test_a: @pytest.mark.mockbatch"
    assert result.stderr.lines[0] == f"ERROR: {where}{message}"


def test_under_xdist_a_bad_marker_errors_its_test_with_the_same_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.mockbatch(clock="sundial")
def test_a(mockbatch):
    pass

def test_b(mockbatch):
    pass
"""
    )
    result = pytester.runpytest("-n", "1", *LEAN)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   pytest.UsageError: test_under_xdist_*.py::test_a: @pytest.mark.mockbatch"
            "(clock='sundial'): clock must be 'virtual' or 'wall'"
        ]
    )


def test_a_marker_scenario_that_does_not_load_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", broken="api: ivvy\nbatches:\n  - id: nope\n    items: []\n")
    pytester.makepyfile(
        """
import pytest

@pytest.mark.mockbatch(scenario="broken.yaml")
def test_a(mockbatch):
    pass
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   pytest.UsageError: test_a_marker_scenario_that_does_not_load_is_a_usage_error.py"
            "::test_a: @pytest.mark.mockbatch(scenario=...):",
            literal("*/broken.yaml:3: batches[0].id: 'nope' is not an iVvy asyncId (valid: *)"),
        ]
    )


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ("mockbatch_strict = maybe", "mockbatch_strict = 'maybe': use true or false"),
        ("mockbatch_clock = sundial", "mockbatch_clock = 'sundial': use virtual or wall"),
        ("mockbatch_scenarios = nowhere", "mockbatch_scenarios: */nowhere does not exist"),
        ("mockbatch_scenario_dir = nowhere", "mockbatch_scenario_dir: */nowhere is not a folder"),
    ],
)
def test_bad_ini_values_are_usage_errors(pytester: pytest.Pytester, ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_behaviour_assertions_pass_and_fail_with_the_requests_that_show_why(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        CLIENT
        + """
def poll_until_done(mockbatch, http, batch_id, *, sleep=5):
    while ask(http, "progress", batch_id).json()["progress"] < 100:
        mockbatch.clock.advance(sleep)
    return ask(http, "results", batch_id).json()["results"]

def test_stopped_polling_ok(mockbatch):
    poll_until_done(mockbatch, client(mockbatch), RUNNING)
    mockbatch.assert_stopped_polling()

def test_stopped_polling_broken(mockbatch):
    http = client(mockbatch)
    poll_until_done(mockbatch, http, RUNNING)
    ask(http, "progress", RUNNING)
    mockbatch.assert_stopped_polling()

def test_poll_rate_ok(mockbatch):
    poll_until_done(mockbatch, client(mockbatch), RUNNING, sleep=1)
    mockbatch.assert_poll_rate(max_per_second=1)

def test_poll_rate_broken(mockbatch):
    poll_until_done(mockbatch, client(mockbatch), RUNNING, sleep=0.25)
    mockbatch.assert_poll_rate(max_per_second=2)

def test_results_read_once_ok(mockbatch):
    poll_until_done(mockbatch, client(mockbatch), RUNNING)
    mockbatch.assert_results_read_once()

def test_results_read_once_broken(mockbatch):
    http = client(mockbatch)
    poll_until_done(mockbatch, http, RUNNING)
    ask(http, "results", RUNNING)
    mockbatch.assert_results_read_once()

def test_retry_after_ok(mockbatch):
    http = client(mockbatch)
    mockbatch.fail_next("ivvy", status=429, retry_after=5, query={"action": "progress"})
    throttled = ask(http, "progress", RUNNING)
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "5")
    mockbatch.clock.advance(float(throttled.headers["retry-after"]))
    assert ask(http, "progress", RUNNING).json() == {"progress": 33}
    mockbatch.assert_retry_after_honoured()

def test_retry_after_broken(mockbatch):
    http = client(mockbatch)
    mockbatch.fail_next("ivvy", status=429, retry_after=5)
    ask(http, "progress", RUNNING)
    mockbatch.clock.advance(1)
    ask(http, "progress", RUNNING)
    mockbatch.assert_retry_after_honoured()
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=4)
    result.stdout.fnmatch_lines(
        [
            "*_ test_stopped_polling_broken _*",
            "E   *AssertionError: the client kept polling batch"
            " a7ec88af7d710bf51b188004bb532d77 (ivvy) after it saw it finished:",
            "E   *finished: #3 00:00:10.000 POST /ivvy/api/1.0/batch?action=progress *"
            ' -> 200 {"progress":100}',
            "E   *polled:   #5 00:00:10.000 POST /ivvy/api/1.0/batch?action=progress *",
            "*_ test_poll_rate_broken _*",
            "E   *AssertionError: the client polled batch a7ec88af7d710bf51b188004bb532d77 (ivvy)"
            " 3 times within 0.5 s of clock time (at most 2 per second allowed):",
            'E   *#1 00:00:00.000 POST * -> 200 {"progress":33}',
            'E   *#2 00:00:00.250 POST * -> 200 {"progress":66}',
            'E   *#3 00:00:00.500 POST * -> 200 {"progress":100}',
            "E   *With a virtual clock, time moves only when the test moves it:*",
            "*_ test_results_read_once_broken _*",
            "E   *AssertionError: the client read the results of batch"
            " a7ec88af7d710bf51b188004bb532d77 (ivvy) 2 times:",
            "E   *#4 00:00:10.000 POST /ivvy/api/1.0/batch?action=results *",
            "E   *#5 00:00:10.000 POST /ivvy/api/1.0/batch?action=results *",
            "*_ test_retry_after_broken _*",
            "E   *AssertionError: the client came back after 1 s of clock time; the response"
            " said Retry-After: 5:",
            "E   *#1 00:00:00.000 POST /ivvy/api/1.0/batch?action=progress * -> 429 *",
            "E   *#2 00:00:01.000 POST /ivvy/api/1.0/batch?action=progress * -> 200 *",
        ]
    )
    # the assertion helpers hide their own frames: the failure points at the test's line
    assert "mockbatch/assertions.py" not in result.stdout.str()


def test_xdist_workers_each_get_their_own_server(pytester: pytest.Pytester) -> None:
    seen = pytester.path / "seen.txt"
    pytester.makepyfile(
        CLIENT
        + f"""
import os

@pytest.mark.parametrize("n", range(8))
def test_isolated(mockbatch, n):
    http = client(mockbatch)
    mine = run(http, [PING] * (n + 1))
    for _ in range(3):
        ask(http, "progress", mine)
        mockbatch.clock.advance(1)
    assert {{b["id"] for b in mockbatch.batches if b["api"] == "ivvy"}} == DOCS | {{mine}}
    assert mockbatch.batch(mine)["item_count"] == n + 1
    assert len(mockbatch.requests) == 4
    with open({str(seen)!r}, "a") as out:
        out.write(f"{{os.environ['PYTEST_XDIST_WORKER']}} {{mockbatch.url}}\\n")
"""
    )
    result = pytester.runpytest("-n", "2", *LEAN)
    result.assert_outcomes(passed=8)
    servers = {tuple(line.split()) for line in seen.read_text().splitlines()}
    assert {worker for worker, _ in servers} == {"gw0", "gw1"}
    assert len({url for _, url in servers}) == 2, servers


def test_the_plugin_module_imports_nothing_heavy() -> None:
    heavy = ("starlette", "uvicorn", "jsonschema", "httpx", "yaml", "mockbatch.app")
    code = (
        f"import pytest, sys, mockbatch.plugin; print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
