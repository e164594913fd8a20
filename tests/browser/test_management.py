"""Management's dashboard in a real browser: the management review list with its rules, sorted
by a header link and searched, the KPI tiles, chart and teams, and the way to the KPIs by team;
a screenshot of the dashboard under the test output."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def build_management_firm() -> str:
    from accounts.models import Account
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Membership, Role
    from tests.live import create_live_firm
    from tests.workflow.management_book import management_book

    live = create_live_firm("MGMT")
    domain = f"{live.firm.code.lower()}.test"
    with audit_context(system_job="tests"), firm_context(live.firm):
        manager = services.user_ensure(email=f"management@{domain}", password=PASSWORD)
        services.membership_grant(user=manager, roles=[Role.MANAGEMENT], acting_user=None,
                                  system_job="tests")
        for n in (0, 1):
            adviser = services.user_ensure(email=f"adv{n}@{domain}", password=PASSWORD)
            services.membership_grant(user=adviser, roles=[Role.ADVISOR], acting_user=None,
                                      system_job="tests")
    with audit_context(system_job="tests"), firm_context(live.firm):
        for n, team_name in ((0, "West"), (1, "East")):
            team = services.team_create(name=team_name, acting_user=live.admin)
            services.membership_set_team(
                membership=Membership.objects.get(user__email=f"adv{n}@{domain}"), team=team,
                acting_user=live.admin, reason="the office")
        first = Account.objects.create(account_number="FIRST", name="First account",
                                       household=live.household)
        other = Account.objects.create(account_number="OTHER", name="Other account",
                                       household=live.other_household)
    management_book(SimpleNamespace(firm=live.firm, account=first, other_account=other,
                                    household=live.household), accounts=12)
    return manager.email


@pytest.fixture(scope="module")
def manager_email(db_call: Any) -> str:
    return db_call(build_management_firm)


def test_management_dashboard(page, live_site, manager_email):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/auth/login/")
    page.fill("#id_username", manager_email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto("/management/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Management")
    rows = page.get_by_test_id("review-row")
    expect(rows).to_have_count(12)
    expect(rows.first).to_contain_text("MG-000")
    expect(rows.first.get_by_test_id("review-rule")).to_have_text("Large household")
    expect(page.get_by_test_id("review-count")).to_have_text("12")
    expect(page.get_by_test_id("management-chart")).to_be_visible()
    expect(page.get_by_test_id("management-teams")).to_contain_text("West")
    page.screenshot(path=str(ARTIFACTS / "management-dashboard.png"), full_page=True)

    with page.expect_navigation():  # sorted by account already: the header reverses it
        page.get_by_role("link", name="Account", exact=True).click()
    expect(rows.first).to_contain_text("MG-011")
    page.get_by_label("Account number, name or advisor").fill("adv0@")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(6)

    with page.expect_navigation():
        page.get_by_role("link", name="KPIs by team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Program KPIs")
    expect(page.get_by_test_id("kpi-by-team")).to_contain_text("East")
    page.screenshot(path=str(ARTIFACTS / "management-kpis.png"), full_page=True)
