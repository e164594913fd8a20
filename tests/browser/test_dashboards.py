"""Every role's dashboard in a real browser, on one firm with a book: each role signs in, opens
its dashboard (which answers, with the role's navigation and no error), and leaves a screenshot
under test-artifacts/dashboards/<role>.png for a person to look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
COMMITTEE_PASSWORD = "correct-horse-9"  # tests.models_hub.factories.committee
SHOTS = ARTIFACTS / "dashboards"
RUN_DATE = date(2026, 11, 24)

# role: (dashboard URL name, its first heading)
DASHBOARDS = {
    "advisor": ("advisor-dashboard", "My households and accounts"),
    "ipc": ("ipc-change-list", None),
    "overlay_manager": ("overlay-dashboard", None),
    "compliance": ("compliance-dashboard", None),
    "management": ("management-dashboard", None),
    "data_manager": ("data-dashboard", "Data dashboard"),
    "firm_admin": ("administration", None),
    "platform_operator": ("operations-firms", None),
}


@dataclass
class DashboardFirm:
    emails: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)


def build_dashboard_firm() -> DashboardFirm:
    """The impact book (a model book, three accounts of the advisor's household with lots and
    prices, two committee members), a sorted nightly run with analyses and batches, data
    exceptions, and a person for every role."""
    from accounts.models import ReconciliationBreak
    from dataops.models import CorporateAction, FeedFile
    from optimizer.models import ProposedTrade
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role, User
    from tests import data_factories as df
    from tests.live import create_live_firm, unique
    from tests.workflow.filter_book import analysis
    from tests.workflow.impact_book import build_impact_book
    from workflow.models import AccountDisposition, NightlyRun, RunAccount
    from workflow.services.batches import batches_create_for_run

    live = create_live_firm("DASH")
    rows = build_impact_book(live)
    built = DashboardFirm()
    domain = f"{live.code.lower()}.test"
    built.emails.update(advisor=live.advisor.email, firm_admin=live.admin.email,
                        ipc=rows.book.ipc.email)
    with audit_context(system_job="tests"), firm_context(live.firm):
        for role in (Role.OVERLAY_MANAGER, Role.COMPLIANCE, Role.MANAGEMENT, Role.DATA_MANAGER):
            user = services.user_ensure(email=f"{role}@{domain}", password=PASSWORD)
            services.membership_grant(user=user, roles=[role], acting_user=None,
                                      system_job="tests")
            built.emails[str(role)] = user.email
        securities = rows.book.securities
        run = NightlyRun.objects.create(business_date=RUN_DATE, trigger="schedule",
                                        status=NightlyRun.Status.SUCCEEDED)
        sorting = {"steady": ("auto_trade", 0.02), "budget": ("review", 0.09),
                   "other": ("suspend", 0.15)}
        for key, account in rows.accounts.items():
            disposition, drift = sorting[key]
            made = analysis(account, day=RUN_DATE, value=250_000, turnover=drift / 2,
                            tax=int(drift * 10_000), tracking_error=drift / 3, drift=drift)
            for side, ticker, shares in (("sell", "IVV", 12), ("buy", "AGG", 30)):
                price = Decimal(100)
                ProposedTrade.objects.create(
                    analysis=made, security=securities[ticker], side=side, shares=shares,
                    price=price, value=price * shares, lots=[], realized_gain=Decimal(0),
                    estimated_tax=Decimal(0), reasons=["drift"], explanation=f"{side} {ticker}")
            RunAccount.objects.create(run=run, account=account, status="analyzed",
                                      analysis=made)
            AccountDisposition.objects.create(run=run, account=account, disposition=disposition,
                                              rule=f"{disposition} by the firm's policy",
                                              oversight_lists=["compliance_review"]
                                              if key == "budget" else [])
        batches_create_for_run(run_id=run.pk)
        lots = df.feed_file(name=f"tax_lots_{RUN_DATE:%Y%m%d}.csv",
                            status=FeedFile.Status.LOADED_WITH_ERRORS, rows_read=40,
                            rows_loaded=39, rows_quarantined=1)
        df.quarantined_row(lots, line_number=17, column="quantity",
                           reason="must not be negative, got -5",
                           raw={"account_number": "IMP-3", "quantity": "-5"})
        unknown = df.unknown_security(file=lots, ticker="NEWCO", cusip="65249B109")
        df.hold(rows.accounts["other"], reason="holds NEWCO, unknown to the master",
                source=f"unknown_security:{unknown.placeholder_id}")
        df.reconciliation_break(rows.accounts["steady"], day=RUN_DATE,
                                reason="lots do not add up to the day's transactions",
                                kind=ReconciliationBreak.Kind.LOTS_VS_TRANSACTIONS)
        CorporateAction.objects.create(action_id="CA-2026-118", type=CorporateAction.Type.SPLIT,
                                       effective_date=date(2026, 12, 1), ratio_from=1,
                                       ratio_to=4, old_ticker="IVV")
    with audit_context(system_job="tests"):
        email = f"{unique('ops').lower()}@host.test"
        operator = User.objects.create(username=email, email=email, is_platform_operator=True)
        operator.set_password(PASSWORD)
        operator.save()
    built.emails["platform_operator"] = email
    built.passwords = {role: COMMITTEE_PASSWORD if role == "ipc" else PASSWORD
                       for role in built.emails}
    return built


@pytest.fixture(scope="module")
def dashboard_firm(db_call) -> DashboardFirm:
    return db_call(build_dashboard_firm)


def _sign_in(page: Any, email: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/auth/login/" not in page.url, page.inner_text("body")


@pytest.mark.parametrize("role", list(DASHBOARDS))
def test_each_role_sees_its_dashboard(page, dashboard_firm, role):
    from django.urls import reverse

    name, heading = DASHBOARDS[role]
    _sign_in(page, dashboard_firm.emails[role], dashboard_firm.passwords[role])
    response = page.goto(reverse(name))

    assert response is not None and response.status == 200, (role, name)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    if heading:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    if role != "platform_operator":  # the operator's pages are reached from their own links
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert "Traceback" not in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{role}.png"), full_page=True)
