"""Issue 9's test 4 in a real browser: a data manager resolves unknown securities — one mapped to
a security the master knows, one added to the master — from the dashboard, and the accounts held
for them leave the data-error list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import PASSWORD, LiveFirm, create_live_firm

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class HeldFirm:
    firm: LiveFirm
    numbers: list[str]  # U-1 holds the old Apple ticker, U-2 the new listing, U-3 both


def build_held_firm() -> HeldFirm:
    """A data manager; AAPL in the master; a lot file naming APPL.OLD (an old identifier of
    AAPL) and NEWCO (unknown to the master) held by three accounts, each held for it."""
    from accounts.models import Account
    from dataops.models import AssetClass, FeedFile
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role
    from tests import data_factories as df

    live = create_live_firm("UNKWN")
    email = f"data@{live.code.lower()}.test"
    day = date(2026, 11, 24)
    with audit_context(system_job="tests"), firm_context(live.firm):
        manager = services.user_ensure(email=email, password=PASSWORD)
        services.membership_grant(user=manager, roles=[Role.DATA_MANAGER], acting_user=None,
                                  system_job="tests")
        AssetClass.objects.create(code="EQ.US.LARGE", name="US Large Cap")
        apple = df.security(ticker="AAPL", cusip="037833100", name="Apple Inc.")
        file = df.feed_file(name=f"tax_lots_{day:%Y%m%d}.csv", rows_read=4, rows_loaded=4)
        old = df.unknown_security(file=file, ticker="APPLOLD")
        new = df.unknown_security(file=file, ticker="NEWCO", cusip="65249B109")
        holdings = {"U-1": [old], "U-2": [new], "U-3": [old, new]}
        for number, unknowns in holdings.items():
            account = Account.objects.create(account_number=number, name=f"Held {number}",
                                             household=live.household)
            lots = [df.Lot(apple, "10", "1500.00", date(2021, 3, 1))] + [
                df.Lot(u.placeholder, "5", "500.00", date(2024, 1, 2), lot_id=f"L{n + 2}")
                for n, u in enumerate(unknowns)]
            df.snapshot(account, file=file, lots=lots)
            for unknown in unknowns:
                df.hold(account, reason=f"holds {unknown.ticker}, unknown to the master",
                        source=f"unknown_security:{unknown.placeholder_id}")
        assert FeedFile.objects.count() == 1
    live.emails["data"] = email
    return HeldFirm(firm=live, numbers=list(holdings))


@pytest.fixture(scope="module")
def held_firm(db_call) -> HeldFirm:
    return db_call(build_held_firm)


def test_resolving_unknown_securities_clears_the_accounts_held_for_them(page, sign_in,
                                                                       held_firm, db_call):
    sign_in(held_firm.firm, "data")
    page.goto("/data/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data dashboard")
    expect(page.get_by_test_id("accounts-data-error")).to_have_text("3")
    expect(page.get_by_test_id("unknown-count")).to_have_text("2")
    expect(page.get_by_test_id("unknown-row")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "data-dashboard.png"), full_page=True)

    # The data-error list: every account held, U-3 twice.
    page.get_by_role("link", name="Holds and breaks").first.click()
    page.get_by_label("Kind").select_option("data_error")
    expect(page.get_by_test_id("hold-row")).to_have_count(4)
    assert _held(page) == ["U-1", "U-2", "U-3", "U-3"]

    # APPLOLD is an identifier the custodian still uses for AAPL: map it.
    page.goto("/data/")
    page.get_by_test_id("unknown").get_by_role("link", name="Resolve").click()
    card = page.get_by_test_id("unknown-security").filter(has_text="APPLOLD")
    expect(card.get_by_test_id("holders")).to_have_text("held by 2 accounts")
    page.screenshot(path=str(ARTIFACTS / "data-unknown-securities.png"), full_page=True)
    mapping = card.get_by_role("form", name="Map APPLOLD to an existing security")
    mapping.get_by_label("Ticker or CUSIP of the security").fill("aapl")
    mapping.get_by_label("Reason").fill("The custodian's old ticker for Apple")
    mapping.get_by_role("button", name="Map to existing").click()
    expect(page.get_by_test_id("resolved-notice")).to_have_text(
        "APPLOLD mapped to AAPL (Apple Inc.); the holds it caused are cleared.")

    page.get_by_role("link", name="Holds and breaks").first.click()
    page.get_by_label("Kind").select_option("data_error")
    expect(page.get_by_test_id("hold-row")).to_have_count(2)
    assert _held(page) == ["U-2", "U-3"]  # U-1 has left the list; U-3 still holds NEWCO

    # NEWCO is a new listing: add it to the master.
    page.get_by_role("link", name="Unknown securities").click()
    card = page.get_by_test_id("unknown-security")
    expect(card).to_have_count(1)
    add = card.get_by_role("form", name="Add NEWCO to the master")
    add.get_by_label("Name").fill("Newco Holdings")
    add.get_by_label("Type").select_option("equity")
    add.get_by_label("Sector").fill("Industrials")
    add.get_by_label("Asset class").select_option(label="US Large Cap (EQ.US.LARGE)")
    add.get_by_label("Reason").fill("Listed last week")
    add.get_by_role("button", name="Add to master").click()
    expect(page.get_by_test_id("resolved-notice")).to_contain_text("NEWCO added to the security")

    page.get_by_role("link", name="Holds and breaks").first.click()
    page.get_by_label("Kind").select_option("data_error")
    expect(page.get_by_test_id("hold-row")).to_have_count(0)
    expect(page.get_by_test_id("holds")).to_contain_text("No account is on hold")

    page.goto("/data/")
    expect(page.get_by_test_id("accounts-data-error")).to_have_text("0")
    expect(page.get_by_test_id("unknown-count")).to_have_text("0")
    page.screenshot(path=str(ARTIFACTS / "data-dashboard-resolved.png"), full_page=True)

    assert db_call(lambda: _open_holds(held_firm)) == []


def _held(page) -> list[str]:
    return sorted(page.get_by_test_id("hold-row").locator("td:first-child a").all_inner_texts())


def _open_holds(held: HeldFirm) -> list[str]:
    from accounts.models import AccountHold
    from rebal.firm_context import firm_context

    with firm_context(held.firm.firm):
        return list(AccountHold.objects.filter(cleared_at__isnull=True)
                    .values_list("account__account_number", flat=True))
