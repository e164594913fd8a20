"""The firm admin in a real browser: creates a team and puts an advisor in it, grants the
advisor a household with a reason, and the advisor, signed in, then sees it; adds a person,
who signs in with the one-time password shown and must choose their own first. The
dashboard's screenshot is left at test-artifacts/firm-admin-dashboard.png."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import LiveFirm, create_live_firm

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def admin_firm(db_call: Callable[..., Any]) -> LiveFirm:
    """A firm of its own: the grants made here must not change what firm_a's advisor sees."""
    return db_call(lambda: create_live_firm("ADMIN"))


def _signed_in_elsewhere(chromium: Any, live_site: Any, email: str, password: str
                         ) -> tuple[Any, Any]:
    """A browser of its own (a context and its page) signed in through the form."""
    context = chromium.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/auth/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return context, page


def test_firm_admin_makes_a_team_and_grants_a_household_the_advisor_then_sees(
        page, chromium, live_site, sign_in, admin_firm):
    advisor_email = admin_firm.emails["advisor"]
    beta = admin_firm.other_household
    sign_in(admin_firm, "admin")
    page.goto("/administration/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    expect(page.get_by_test_id("admin-counts")).to_contain_text("1 advisor (1 in no team)")

    # A team, and the advisor in it.
    page.get_by_role("link", name="Teams", exact=True).click()
    page.get_by_label("Name", exact=True).fill("West Coast")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team West Coast")
    page.get_by_label("Member's e-mail").fill(advisor_email)
    page.locator("#add-reason").fill("Joins the West Coast desk")
    page.get_by_role("button", name="Put in West Coast").click()
    expect(page.get_by_role("status")).to_contain_text(f"{advisor_email} put in West Coast")
    expect(page.get_by_test_id("team-member-row")).to_have_count(1)
    expect(page.get_by_test_id("team-member-row").locator("td").first).to_have_text(
        advisor_email)
    page.screenshot(path=str(ARTIFACTS / "firm-admin-team.png"), full_page=True)

    # The Beta household granted to the advisor, with a reason.
    page.goto("/administration/grants/")
    advisor_row = page.get_by_test_id("grant-advisor-row").filter(has_text=advisor_email)
    expect(advisor_row.locator("td")).to_have_text([advisor_email, "", "West Coast", "1", "0"])
    advisor_row.get_by_role("link", name=advisor_email).click()
    expect(page.get_by_test_id("granted-row")).to_have_count(1)
    page.get_by_label("Household code or account number").fill(beta.code)
    page.get_by_label("Reason", exact=True).last.fill("Takes over the Beta family")
    page.get_by_role("button", name=f"Grant to {advisor_email}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{beta.name} granted to {advisor_email}")
    expect(page.get_by_test_id("granted-row")).to_have_count(2)
    expect(page.get_by_text("Takes over the Beta family")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "firm-admin-grants.png"), full_page=True)
    page.goto("/administration/schedules/")
    expect(page.get_by_test_id("nightly-schedule")).to_contain_text("Starts at 06:30")
    page.screenshot(path=str(ARTIFACTS / "firm-admin-schedules.png"), full_page=True)
    page.goto("/administration/members/")
    page.get_by_role("link", name=advisor_email).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(advisor_email)
    page.screenshot(path=str(ARTIFACTS / "firm-admin-member.png"), full_page=True)

    page.goto("/administration/")
    expect(page.get_by_test_id("admin-counts")).to_contain_text("1 advisor (0 in no team)")
    page.screenshot(path=str(ARTIFACTS / "firm-admin-dashboard.png"), full_page=True)

    # The advisor, in a browser of their own, now sees the Beta household.
    context, advisor = _signed_in_elsewhere(chromium, live_site, advisor_email,
                                            admin_firm.password)
    try:
        advisor.goto("/households/")
        expect(advisor.locator("tbody tr")).to_have_count(2)
        advisor.get_by_role("link", name=beta.name).click()
        expect(advisor.get_by_role("heading", level=1)).to_contain_text(beta.name)
    finally:
        context.close()


def test_a_new_member_chooses_their_own_password_first(page, chromium, live_site, sign_in,
                                                       admin_firm):
    email = "new.analyst@" + admin_firm.emails["admin"].split("@")[1]
    sign_in(admin_firm, "admin")
    page.goto("/administration/members/")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_role("group", name="Roles").get_by_label("Compliance", exact=True).check()
    page.get_by_label("Reason").fill("Joins compliance")
    page.get_by_role("button", name="Add to the firm").click()
    notice = page.get_by_test_id("added-member")
    expect(notice).to_contain_text(f"{email} is now a member.")
    one_time = notice.locator("code").inner_text()

    context, newcomer = _signed_in_elsewhere(chromium, live_site, email, one_time)
    try:
        expect(newcomer).to_have_url(f"{live_site.url}/auth/password/")
        expect(newcomer.get_by_test_id("password-must-change")).to_be_visible()
        newcomer.goto("/compliance/")  # nothing else opens yet
        expect(newcomer).to_have_url(f"{live_site.url}/auth/password/")
        newcomer.get_by_label("One-time password").fill(one_time)
        newcomer.get_by_label("New password", exact=True).fill("short")
        newcomer.get_by_label("New password again").fill("short")
        newcomer.get_by_role("button", name="Change password").click()
        expect(newcomer.get_by_text("at least 12 characters").first).to_be_visible()
        newcomer.get_by_label("One-time password").fill(one_time)
        newcomer.get_by_label("New password", exact=True).fill("a-compliance-passphrase-3")
        newcomer.get_by_label("New password again").fill("a-compliance-passphrase-3")
        newcomer.get_by_role("button", name="Change password").click()
        expect(newcomer.get_by_role("status")).to_contain_text("Your password was changed.")
        newcomer.screenshot(path=str(ARTIFACTS / "password-changed.png"), full_page=True)
        newcomer.goto("/compliance/")
        expect(newcomer.get_by_role("heading", level=1)).to_be_visible()
        expect(newcomer).to_have_url(f"{live_site.url}/compliance/")
    finally:
        context.close()
