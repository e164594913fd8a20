"""Issue 9's test 2 in a real browser: an overlay manager opens the review queue from their
dashboard, edits a trade with a reason, and cannot approve their own edit (the page says why);
a second overlay manager approves, records the non-discretionary client's consent and releases
the batch; the orders then appear in the OMS API, read with an orders:read token."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EDIT_REASON = "keep cash for the client's December withdrawal"
APPROVAL_REASON = "edit checked against the withdrawal request"


@dataclass(frozen=True)
class OverlayBook:
    """The trade book (tests.workflow.trade_book) of a live firm with its batches made: the
    review batch holds F-1 (buys MSFT 40) and F-3 (non-discretionary)."""

    code: str
    overlay_email: str
    overlay2_email: str
    review_batch_id: int
    oms_token: str


def build_overlay_book() -> OverlayBook:
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role, Scope
    from tests.live import create_live_firm
    from tests.workflow.trade_book import trade_book
    from workflow.models import SettingsRule, TradeBatch
    from workflow.services.batches import batches_create_for_run
    from workflow.services.release import release_control_update

    live = create_live_firm("OVLB")
    domain = f"{live.firm.code.lower()}.test"
    with audit_context(system_job="tests"), firm_context(live.firm):
        managers = []
        for name in ("overlay", "overlay2"):
            user = services.user_ensure(email=f"{name}@{domain}", password=PASSWORD)
            services.membership_grant(user=user, roles=[Role.OVERLAY_MANAGER],
                                      acting_user=None, system_job="tests")
            managers.append(user)
        token = services.api_token_create(name="oms", scopes=[Scope.ORDERS_READ],
                                          acting_user=live.admin).value
    book = trade_book(SimpleNamespace(firm=live.firm, admin=live.admin))
    with firm_context(live.firm):
        batches_create_for_run(run_id=book.run.pk)
        with audit_context(system_job="tests"):
            SettingsRule.objects.create(name="Platinum clients: loose tracking",
                                        query={"all": []}, values={"tracking": "loose"})
        release_control_update(releases_stopped=False, max_order_value=Decimal("250000"),
                               reason="the desk's single-order limit", acting_user=live.admin)
        review = TradeBatch.objects.get(run=book.run, disposition="review")
    return OverlayBook(live.firm.code, managers[0].email, managers[1].email, review.pk, token)


@pytest.fixture(scope="module")
def overlay_book(db_call) -> OverlayBook:
    return db_call(build_overlay_book)


def _sign_in(page: Any, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/auth/login/" not in page.url, page.inner_text("body")


def _orders(site_url: str, token: str, batch_id: int) -> list[dict[str, Any]]:
    request = urllib.request.Request(f"{site_url}/api/v1/orders/?batch={batch_id}",
                                     headers={"Authorization": f"Token {token}",
                                              "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["results"]


def test_an_edit_needs_a_second_overlay_manager_then_the_oms_sees_the_orders(
        page, live_site, overlay_book):
    ARTIFACTS.mkdir(exist_ok=True)
    batch = overlay_book.review_batch_id
    assert _orders(live_site.url, overlay_book.oms_token, batch) == []

    _sign_in(page, overlay_book.overlay_email)
    page.goto("/overlay/")
    queue = page.get_by_test_id("review-queue")
    row = queue.locator(f'[data-batch="{batch}"]')
    expect(row.get_by_test_id("accounts")).to_have_text("2")
    expect(row.get_by_test_id("bought")).to_have_text("7,000")
    expect(page.get_by_test_id("suspended-account")).to_have_count(2)
    expect(page.get_by_test_id("held-accounts")).to_contain_text("bad lot row")
    expect(page.get_by_test_id("release-state")).to_have_text("Running")
    expect(page.get_by_test_id("order-limit")).to_have_text("$250,000.00 per order")
    expect(page.get_by_test_id("settings-rule")).to_contain_text("tracking: loose")
    page.screenshot(path=str(ARTIFACTS / "overlay-dashboard.png"), full_page=True)
    queue.get_by_role("link", name="Turnover").click()  # sorted in the database
    expect(page).to_have_url(f"{live_site.url}/overlay/?sort=turnover")
    page.get_by_test_id("review-queue").get_by_role("link", name=f"Batch {batch}").click()

    f1 = page.get_by_role("region", name="Account F-1")
    buy = f1.get_by_test_id("batch-trade").filter(has_text="MSFT")
    buy.get_by_label("Shares").fill("30")
    buy.get_by_label("Reason").fill(EDIT_REASON)
    buy.get_by_role("button", name="Change").click()
    expect(page.get_by_text("Trade changed.")).to_be_visible()
    expect(page.get_by_role("region", name="Account F-1").get_by_test_id("batch-trade")
           .filter(has_text="MSFT").locator("td.num").first).to_have_text("30")
    expect(page.get_by_test_id("approval-refused")).to_have_text(
        "You edited this batch; another person must approve it.")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_test_id("batch-events")).to_contain_text(EDIT_REASON)
    page.screenshot(path=str(ARTIFACTS / "overlay-batch-edited.png"), full_page=True)

    _sign_in(page, overlay_book.overlay2_email)
    page.goto(f"/workflow/batches/{batch}/")
    expect(page.get_by_test_id("approval-refused")).to_have_count(0)
    page.get_by_test_id("decision").get_by_label("Reason").fill(APPROVAL_REASON)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Batch approved.")).to_be_visible()
    f3 = page.get_by_role("region", name="Account F-3")
    f3.get_by_label("How").select_option("phone")
    f3.get_by_label("When").fill("2026-11-25T09:30")
    f3.get_by_label("Note").fill("spoke with the client")
    f3.get_by_role("button", name="Record consent").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()
    page.get_by_role("button", name="Release to the OMS").click()
    expect(page.get_by_text("Batch released to the OMS.")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "overlay-batch-released.png"), full_page=True)

    orders = _orders(live_site.url, overlay_book.oms_token, batch)
    placed = sorted((o["account_number"], o["side"], o["ticker"], o["shares"]) for o in orders)
    assert placed == [("F-1", "buy", "MSFT", "30.000000"), ("F-1", "sell", "IBM", "20.000000"),
                      ("F-3", "buy", "AAPL", "30.000000"), ("F-3", "sell", "MSFT", "30.000000")]
    assert {o["status"] for o in orders} == {"released"}
