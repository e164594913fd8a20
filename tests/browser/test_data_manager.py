"""A data manager in a real browser: delivers a lot file with a bad row and an unknown
security, reads the quarantined row, sees the holds, and adds the security to the master."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests import feed_files as ff
from tests.browser.conftest import ARTIFACTS
from tests.live import PASSWORD, LiveFirm, create_live_firm

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class DataFirm:
    firm: LiveFirm
    previous_day: Any  # the business date already loaded
    day: Any  # the business date the browser delivers


def build_data_firm() -> DataFirm:
    """A firm of its own with a data manager, its master, accounts and one day's holdings."""
    from django.utils import timezone

    from dataops.calendar import business_days_back
    from dataops.models import FeedFile, FeedSchedule
    from dataops.services.feeds import Delivery, feed_file_receive_for
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role

    live = create_live_firm("DATAM")
    email = f"data@{live.code.lower()}.test"
    with audit_context(system_job="tests"), firm_context(live.firm):
        manager = services.user_ensure(email=email, password=PASSWORD)
        services.membership_grant(user=manager, roles=[Role.DATA_MANAGER], acting_user=None,
                                  system_job="tests")
        for feed, cutoff in (("tax_lots", "06:00"), ("cash", "06:00"), ("prices", "07:30")):
            FeedSchedule.objects.create(feed=feed, cutoff=cutoff)
    live.emails["data"] = email
    today = timezone.now().astimezone(ZoneInfo(live.firm.timezone)).date()
    day, previous_day = business_days_back(today, 3)[1:]
    stamp = f"{previous_day:%Y%m%d}"
    delivery = Delivery(door=FeedFile.Door.CLI, delivered_by="custodian nightly")
    for name, data in [(f"securities_{stamp}.csv", ff.securities()),
                       (f"accounts_{stamp}.csv", ff.accounts()),
                       (f"tax_lots_{stamp}.csv", ff.tax_lots()),
                       (f"cash_{stamp}.csv", ff.cash())]:
        loaded = feed_file_receive_for(firm=live.firm, name=name, data=data, delivery=delivery)
        assert loaded.status == "loaded", (name, loaded.error)
    # A-1 bought XOM on the day the browser delivers: its lots reconcile.
    bought = feed_file_receive_for(
        firm=live.firm, name=f"transactions_{day:%Y%m%d}.csv", delivery=delivery,
        data=ff.transactions([["A-1", "T-XOM-1", f"{day:%Y-%m-%d}", "", "buy", ff.XOM, "XOM",
                               "20", "105", "-2100.00", "L3", "", ""],
                              # Shares moved in from another firm: a security the master lacks.
                              ["B-1", "T-AMZN-1", f"{day:%Y-%m-%d}", "", "transfer_in",
                               ff.AMZN, "AMZN", "3", "", "", "L2", "", ""]]))
    assert bought.status == "loaded", bought.error
    return DataFirm(firm=live, previous_day=previous_day, day=day)


@pytest.fixture(scope="module")
def data_firm(db_call) -> DataFirm:
    return db_call(build_data_firm)


def test_data_manager_reads_a_bad_row_and_adds_an_unknown_security(page, sign_in, data_firm,
                                                                   db_call):
    from accounts.models import Account, AccountHold
    from dataops.models import FeedFile, Security, UnknownSecurity
    from rebal.firm_context import firm_context

    firm = data_firm.firm
    name = f"tax_lots_{data_firm.day:%Y%m%d}.csv"
    lots = ff.tax_lots([
        ["A-1", ff.AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""],
        ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""],
        ["A-2", "", "XOM", "L1", "-200", "18000.00", "2021-11-11", "", ""],
        ["B-1", ff.AAPL, "AAPL", "L1", "10", "1700.00", "2025-12-01", "", ""],
        ["B-1", ff.AMZN, "AMZN", "L2", "3", "540.00", "2024-01-02", "", ""],
        ["A-1", ff.XOM, "XOM", "L3", "20", "2100.00", "2023-05-05", "", ""],
    ])
    sign_in(firm, "data")
    main_nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(main_nav).to_have_text(["Home", "Data", "Households", "Accounts", "Feeds",
                                   "Data exceptions", "Nightly runs", "Filters"])

    # Deliver the file in the browser.
    main_nav.filter(has_text="Feeds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feeds")
    expect(page.get_by_test_id("feed-file-row")).to_have_count(5)
    page.get_by_label("Feed file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": lots}])
    page.get_by_role("button", name="Upload and load").click()

    # The file's page: the outcome, then the quarantined row with its line and reason.
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_test_id("status")).to_have_text("Loaded with errors")
    expect(page.get_by_role("status")).to_contain_text(f"{name}: loaded with errors — 6 read")
    row = page.get_by_test_id("quarantined-row")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("4")
    expect(row.locator("td").nth(1)).to_have_text("quantity")
    expect(row.locator("td").nth(2)).to_have_text("must not be negative, got -200")
    expect(row.locator("td").nth(3)).to_have_text("A-2")
    expect(row.locator("li.culprit")).to_have_text("quantity -200")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "data-feed-file.png"), full_page=True)

    def delivered() -> tuple:
        with firm_context(firm.firm):
            feed_file = FeedFile.objects.get(name=name)
            return (feed_file.door, feed_file.delivered_by, feed_file.rows_read,
                    feed_file.rows_quarantined)

    assert db_call(delivered) == ("api", firm.emails["data"], 6, 1)
    page.get_by_role("link", name="Files received").click()
    expect(page.get_by_test_id("feed-file-row").first.locator("td").first).to_have_text(name)
    page.screenshot(path=str(ARTIFACTS / "data-feeds.png"), full_page=True)
    page.get_by_role("link", name="Expected files").click()
    expect(page.get_by_test_id("monitor-cell")).to_have_count(15)
    page.screenshot(path=str(ARTIFACTS / "data-monitor.png"), full_page=True)

    # The exceptions: A-2 held by the bad row, B-1 by the unknown security.
    main_nav.filter(has_text="Data exceptions").click()
    holds = page.get_by_test_id("hold-row")
    expect(holds).to_have_count(2)
    expect(holds.filter(has_text="A-2")).to_contain_text("line 4")
    expect(holds.filter(has_text="B-1")).to_contain_text("unknown security")
    expect(page.get_by_test_id("accounts-on-hold")).to_have_text("2")
    page.screenshot(path=str(ARTIFACTS / "data-exceptions.png"), full_page=True)

    # Add AMZN to the master from the queue.
    page.get_by_role("link", name="Unknown securities").click()
    card = page.get_by_test_id("unknown-security")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=2)).to_have_text(f"AMZN · CUSIP {ff.AMZN}")
    expect(card.get_by_test_id("holders")).to_have_text("held by 1 account")
    page.screenshot(path=str(ARTIFACTS / "data-unknown-securities.png"), full_page=True)
    add = card.get_by_role("form", name="Add AMZN to the master")
    add.get_by_label("Name").fill("Amazon.com Inc.")
    add.get_by_label("Type").select_option("equity")
    add.get_by_label("Sector").fill("Consumer Discretionary")
    add.get_by_label("Asset class").select_option(label="EQ.US.LARGE")
    add.get_by_label("Reason").fill("New position at the custodian")
    page.evaluate("window.__sameDocument = 'yes'")
    with page.expect_response(lambda r: r.url.endswith("/add/")) as added:
        add.get_by_role("button", name="Add to master").click()

    assert added.value.status == 200
    assert added.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_test_id("resolved-notice")).to_have_text(
        "AMZN added to the security master as Amazon.com Inc.; the holds it caused are cleared.")
    expect(page.get_by_test_id("unknown-security")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") == "yes"  # the card swapped in place
    page.screenshot(path=str(ARTIFACTS / "data-unknown-resolved.png"), full_page=True)
    page.reload()
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    expect(page.get_by_test_id("resolved-row").first).to_contain_text(
        "added as AMZN — Amazon.com Inc.")

    def after() -> dict:
        with firm_context(firm.firm):
            entry = UnknownSecurity.objects.get(ticker="AMZN")
            open_holds = AccountHold.objects.filter(cleared_at__isnull=True)
            return {
                "entry": (entry.status, entry.resolved_by_id),
                "security": Security.objects.get(pk=entry.placeholder_id).status,
                "held": sorted(Account.objects.filter(holds__in=open_holds)
                               .values_list("account_number", flat=True)),
            }

    assert db_call(after) == {"entry": ("resolved", db_call(lambda: _user_id(firm))),
                              "security": "active", "held": ["A-2"]}

    # B-1's page shows AMZN as a holding of the master now, and no hold.
    main_nav.filter(has_text="Accounts").click()
    page.get_by_role("link", name="B-1").click()
    expect(page.get_by_test_id("on-hold")).to_have_count(0)
    expect(page.get_by_test_id("lot-row")).to_have_count(2)
    expect(page.get_by_test_id("lot-row").filter(has_text="AMZN")).to_contain_text(
        "Amazon.com Inc.")
    page.screenshot(path=str(ARTIFACTS / "data-account.png"), full_page=True)


def _user_id(firm: LiveFirm) -> int:
    from rebal.models import User

    return User.objects.get(email=firm.emails["data"]).pk
