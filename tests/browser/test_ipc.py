"""Issue 9's test 5 in a real browser: an investment policy committee member changes an
allocation; the draft's page shows the impact preview (run by a real Celery worker) across the
book; its author cannot approve it and is told why; a second member approves it, and the
published change keeps the preview's result."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]
COMMITTEE_PASSWORD = "correct-horse-9"  # tests.models_hub.factories.committee


@dataclass(frozen=True)
class CommitteeBook:
    ipc_email: str
    ipc2_email: str
    allocation_id: int


def build_committee_book() -> CommitteeBook:
    from tests.live import create_live_firm
    from tests.workflow.impact_book import build_impact_book

    rows = build_impact_book(create_live_firm("IPCB"))
    return CommitteeBook(rows.book.ipc.email, rows.book.ipc2.email,
                         rows.book.allocations["BAL60"].pk)


@pytest.fixture(scope="module")
def committee_book(db_call) -> CommitteeBook:
    return db_call(build_committee_book)


def _sign_in(page: Any, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", COMMITTEE_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/auth/login/" not in page.url, page.inner_text("body")


def test_an_allocation_change_shows_its_impact_and_needs_a_second_member(
        page, committee_book, site_worker):
    ARTIFACTS.mkdir(exist_ok=True)
    _sign_in(page, committee_book.ipc_email)
    page.get_by_role("link", name="Model book").click()
    page.get_by_role("link", name="Asset allocations").click()
    expect(page.get_by_test_id("ipc-row").first).to_contain_text("BAL60")  # by code
    page.get_by_role("link", name="Code").click()  # the other way
    expect(page.get_by_test_id("ipc-row").first).to_contain_text("CONS30")
    page.get_by_role("link", name="BAL60").click()
    expect(page.get_by_role("region", name="Weights")).to_contain_text("30.00%")
    page.screenshot(path=str(ARTIFACTS / "ipc-allocation.png"), full_page=True)
    page.get_by_role("link", name="Propose a change").click()
    page.fill('input[data-code="EQ.US.LARGE"]', "27")
    page.fill('input[data-code="EQ.US.MID"]', "13")
    page.fill("#reason", "mid caps look cheap")
    page.get_by_role("button", name="Save draft and preview impact").click()
    expect(page.get_by_test_id("change-status")).to_have_text("Draft, awaiting approval")
    # The worker runs the preview; the page polls until it is done.
    expect(page.get_by_test_id("accounts-affected")).to_have_text("2", timeout=60_000)
    expect(page.get_by_test_id("accounts-breaching")).to_have_text("1")
    expect(page.get_by_test_id("impact-rows")).to_contain_text("EQ.US.LARGE 30.0% → 27.0%")
    expect(page.get_by_test_id("impact-method")).to_contain_text("highest-basis lots first")
    page.screenshot(path=str(ARTIFACTS / "ipc-change-impact.png"), full_page=True)
    change_url = page.url

    page.fill("#decision-reason", "looks right to me")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_test_id("problems")).to_contain_text(
        "a second member of the investment policy committee must approve it")
    expect(page.get_by_test_id("change-status")).to_have_text("Draft, awaiting approval")

    _sign_in(page, committee_book.ipc2_email)
    page.goto(change_url)
    expect(page.get_by_test_id("accounts-affected")).to_have_text("2")
    page.fill("#decision-reason", "modest turnover, one budget breach accepted")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_test_id("change-status")).to_have_text("Approved and published")
    expect(page.get_by_test_id("decided-by")).to_contain_text(committee_book.ipc2_email)
    expect(page.get_by_test_id("impact-kept")).to_contain_text(
        re.compile(r"preview #\d+: 2 accounts affected"))
    page.screenshot(path=str(ARTIFACTS / "ipc-change-approved.png"), full_page=True)
    page.goto(f"/ipc/allocations/{committee_book.allocation_id}/")
    expect(page.get_by_role("region", name="Weights")).to_contain_text("13.00%")
