"""The dashboard in Debian's chromium, driven by Playwright, against ``mockbatch serve``.

Skipped when no chromium is installed (``.ci/run`` installs it). Nothing waits by sleeping:
every check is Playwright's ``expect`` with a generous timeout. The test writes the README's
screenshot, ``docs/dashboard.png``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BOUND
from test_serve import Serve

from mockbatch.registry import names

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT = 120_000  # ms: a bound; a busy machine may take its time, the test never sleeps
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
RUN = "/ivvy/api/1.0/batch?action=run"
PROGRESS = "/ivvy/api/1.0/batch?action=progress"
INVITE = {"namespace": "event", "action": "inviteContacts", "params": {"eventId": 1}}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium installed")


@pytest.fixture
def server() -> Iterator[Serve]:
    served = Serve()
    try:
        yield served
    finally:
        served.kill()


@pytest.fixture
def page(server: Serve) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(WAIT)
            expect.set_options(timeout=WAIT)
            page.goto(f"{server.url}/__mockbatch/ui")
            yield page
        finally:
            browser.close()


def open_batch(page: Any, row: Any, title: str) -> None:
    """Click the batch's link until its page shows: the live table may redraw the row between
    finding the link and the click (seen on a loaded machine), which loses that click."""
    for _ in range(10):
        row.locator("a").click()
        try:
            expect(page.locator("#batch-title")).to_have_text(title, timeout=WAIT / 10)
            return
        except AssertionError:
            continue
    expect(page.locator("#batch-title")).to_have_text(title)


def test_the_dashboard_follows_a_client_and_drives_the_mock(server: Serve, page: Any) -> None:
    with httpx.Client(base_url=server.url, timeout=BOUND) as http:
        _drive(page, http)


def _drive(page: Any, http: httpx.Client) -> None:
    shipped = http.get("/__mockbatch/batches").json()["batches"]
    rows = page.locator("#batches tbody tr")
    expect(rows).to_have_count(len(shipped))
    expect(page.locator("#apis span")).to_have_text(names())

    # a batch a client creates appears without a reload; its bar and timeline follow the polls
    created = http.post(RUN, json={"jobs": [INVITE]}).json()["asyncId"]
    row = page.locator(f'tr[data-batch="ivvy/{created}"]')
    expect(rows).to_have_count(len(shipped) + 1)
    expect(row.locator(".status")).to_have_text("progress 0")  # in iVvy's words
    expect(row.locator(".progress-label")).to_have_text("0/1")
    open_batch(page, row, f"ivvy batch {created}")
    expect(page.locator("#timeline circle.request")).to_have_count(1)  # the create
    http.post(PROGRESS, json={"async": created})
    expect(page.locator("#timeline circle.request")).to_have_count(2)
    expect(page.locator("#batch-progress .progress-label")).to_have_text("0/1")
    http.post(PROGRESS, json={"async": created})
    expect(page.locator("#timeline circle.request")).to_have_count(3)
    expect(page.locator("#batch-progress .progress-label")).to_have_text("0/1")
    # the shipped timing: a job finishes at the third poll once 5 s have passed
    assert http.post("/__mockbatch/clock", json={"advance": 5}).status_code == 200
    http.post(PROGRESS, json={"async": created})
    expect(page.locator("#timeline circle.request")).to_have_count(4)
    expect(page.locator("#timeline rect.item")).to_have_count(1)
    expect(page.locator("#batch-progress .progress-label")).to_have_text("1/1")
    expect(page.locator("#batch-status")).to_have_text("progress 100")
    stopped = page.locator('#verdicts li[data-assertion="assert_stopped_polling"] .outcome')
    expect(page.locator("#verdicts li")).to_have_count(4)  # beside the timeline
    expect(stopped).to_have_text("pass")

    # the clock control moves the clock
    page.click("text=← all batches")
    page.fill("#advance-seconds", "3600")
    page.click("#advance")
    expect(page.locator("#clock")).to_have_attribute("data-offset", "3605")
    assert http.get("/__mockbatch/clock").json()["offset"] == 3605

    # a fault added from the page answers the next request
    page.select_option("#fault-api", "ivvy")
    page.select_option("#fault-kind", "throttle")
    page.fill("#fault-arg", "1")
    page.click("#add-fault")
    expect(page.locator("#faults li")).to_have_count(1)
    throttled = http.post(PROGRESS, json={"async": created})
    assert throttled.status_code == 429
    assert http.post(PROGRESS, json={"async": created}).status_code == 200

    # the journal filter shows only the chosen API
    http.get("/check/v1/batch/batch_abc123def456")
    journal = page.locator("#journal tbody tr")
    expect(journal).to_have_count(len(http.get("/__mockbatch/requests").json()["requests"]))
    page.select_option("#filter-api", "check")
    expect(journal).to_have_count(1)
    expect(journal.locator("td.api")).to_have_text(["check"])
    page.select_option("#filter-api", "ivvy")
    expect(page.locator('#journal tbody tr[data-api="check"]')).to_have_count(0)
    expect(journal).to_have_count(6)  # run, 4 polls, the throttled one
    journal.first.click()
    expect(page.locator("#entry")).to_contain_text('"status": 200')

    page.select_option("#filter-api", "")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    open_batch(page, row, f"ivvy batch {created}")
    expect(page.locator("#timeline circle.request")).to_have_count(6)
    expect(stopped).to_have_text("fail")  # polled after it saw the batch finished
    page.screenshot(path=str(SCREENSHOT.with_name("dashboard-batch.png")), full_page=True)
