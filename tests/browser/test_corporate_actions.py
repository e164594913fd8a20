"""A data manager in a real browser enters a split no file brought, inspects each holder's
expected lots, and sees the account whose custodian disagrees held, with both versions."""

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
class ActionFirm:
    firm: LiveFirm
    before: Any  # the business date of the lots before the split
    ex_date: Any


def build_action_firm() -> ActionFirm:
    """A firm with a data manager; A-1 holds 100 AAPL and B-1 10 AAPL the day before."""
    from django.utils import timezone

    from dataops.calendar import business_days_back
    from dataops.models import FeedFile
    from dataops.services.feeds import Delivery, feed_file_receive_for
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role

    live = create_live_firm("CORPA")
    email = f"data@{live.code.lower()}.test"
    with audit_context(system_job="tests"), firm_context(live.firm):
        manager = services.user_ensure(email=email, password=PASSWORD)
        services.membership_grant(user=manager, roles=[Role.DATA_MANAGER], acting_user=None,
                                  system_job="tests")
    live.emails["data"] = email
    today = timezone.now().astimezone(ZoneInfo(live.firm.timezone)).date()
    ex_date, before = business_days_back(today, 3)[1:]
    stamp = f"{before:%Y%m%d}"
    delivery = Delivery(door=FeedFile.Door.CLI, delivered_by="custodian nightly")
    for name, data in [(f"securities_{stamp}.csv", ff.securities()),
                       (f"prices_{stamp}.csv", ff.prices(f"{before:%Y-%m-%d}")),
                       (f"accounts_{stamp}.csv", ff.accounts()),
                       (f"tax_lots_{stamp}.csv", ff.tax_lots()),
                       (f"cash_{stamp}.csv", ff.cash())]:
        loaded = feed_file_receive_for(firm=live.firm, name=name, data=data, delivery=delivery)
        assert loaded.status == "loaded", (name, loaded.error)
    return ActionFirm(firm=live, before=before, ex_date=ex_date)


@pytest.fixture(scope="module")
def action_firm(db_call) -> ActionFirm:
    return db_call(build_action_firm)


def _custodian_reports(action_firm: ActionFirm) -> None:
    """The ex-date's files: A-1's lots one share short of the split, prices split."""
    from dataops.models import FeedFile
    from dataops.services.feeds import Delivery, feed_file_receive_for

    day = action_firm.ex_date
    delivery = Delivery(door=FeedFile.Door.CLI, delivered_by="custodian nightly")
    for name, data in [
            (f"prices_{day:%Y%m%d}.csv", ff.csv_bytes(
                ["as_of_date", "cusip", "close"],
                [[f"{day:%Y-%m-%d}", ff.AAPL, "57.85"], [f"{day:%Y-%m-%d}", ff.MSFT, "415.10"],
                 [f"{day:%Y-%m-%d}", ff.XOM, "112.35"]])),
            (f"tax_lots_{day:%Y%m%d}.csv", ff.tax_lots([
                ["A-1", ff.AAPL, "AAPL", "L1", "399", "15000.00", "2020-03-02", "", ""],
                ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""],
                ["A-2", "", "XOM", "L1", "200", "18000.00", "2021-11-11", "", ""],
                ["B-1", ff.AAPL, "AAPL", "L1", "40", "1700.00", "2025-12-01", "", ""]]))]:
        loaded = feed_file_receive_for(firm=action_firm.firm.firm, name=name, data=data,
                                       delivery=delivery)
        assert loaded.status == "loaded", (name, loaded.error)


def test_data_manager_enters_a_split_and_sees_the_disagreeing_account_held(
        page, sign_in, action_firm, db_call):
    sign_in(action_firm.firm, "data")
    page.goto("/data/corporate-actions/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Corporate actions")
    form = page.get_by_test_id("enter-action")
    form.get_by_label("Action id").fill("CA-AAPL-4FOR1")
    form.get_by_label("Type").select_option("split")
    form.get_by_label("Effective (ex-) date").fill(f"{action_firm.ex_date:%Y-%m-%d}")
    form.get_by_label("Old ticker").fill("AAPL")
    form.get_by_label("New shares (ratio_to)").fill("4")
    form.get_by_label("per old shares (ratio_from)").fill("1")
    form.get_by_label("Reason").fill("issuer announcement; no file came")
    with page.expect_navigation():
        form.get_by_role("button", name="Enter the action").click()

    # Applied at once (its date has come): each holder's lots before and expected after.
    expect(page.get_by_role("heading", level=1)).to_contain_text("CA-AAPL-4FOR1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Applied")
    holders = page.get_by_test_id("holder-row")
    expect(holders).to_have_count(2)
    expect(holders.filter(has_text="A-1")).to_contain_text("AAPL 400 sh, 15,000.00")
    expect(holders.filter(has_text="B-1")).to_contain_text("AAPL 40 sh, 1,700.00")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "corporate-action-entered.png"), full_page=True)

    # The custodian's snapshot of the ex-date splits B-1 but shows A-1 one share short.
    db_call(lambda: _custodian_reports(action_firm))
    page.reload()
    expect(holders.filter(has_text="B-1")).to_contain_text("Custodian agrees")
    expect(holders.filter(has_text="A-1")).to_contain_text("Custodian disagrees")
    held = page.get_by_test_id("action-hold-row")
    expect(held).to_have_count(1)
    expect(held).to_contain_text(
        "should hold AAPL 400 shares, basis 15,000.00; the custodian shows AAPL 399 shares, "
        "basis 15,000.00")
    page.goto("/data/corporate-actions/report/")
    expect(page.get_by_test_id("accounts-held")).to_have_text("1")
    expect(page.get_by_test_id("held-row")).to_contain_text("A-1")
    page.screenshot(path=str(ARTIFACTS / "corporate-action-report.png"), full_page=True)
