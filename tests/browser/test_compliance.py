"""Issue 9's test 3 in a real browser: compliance finds both changes in the audit history with
who, when and why — an advisor's change to an account's tax sensitivity (saved with a reason
through the settings service), and an overlay manager's trade edit with the batch approved by a
second overlay manager (the workflow services) — filters by object type, person and field,
sees the values before and after, and opens the record behind the trade."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CUSTOMIZATION_REASON = "client asked at the annual review"
EDIT_REASON = "keep cash for the client's December withdrawal"
APPROVAL_REASON = "edit checked against the withdrawal request"


@dataclass(frozen=True)
class ComplianceBook:
    """A live firm's trade book (tests.workflow.trade_book) after both changes."""

    compliance_email: str
    advisor_email: str
    overlay_email: str
    overlay2_email: str
    account_number: str  # whose tax sensitivity the advisor changed
    batch_id: int
    record_id: int  # the analysis behind the edited trade


def build_compliance_book() -> ComplianceBook:
    from accounts.models import Account, AccountHold
    from accounts.services.settings import account_settings_update
    from rebal import services
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context
    from rebal.models import Role
    from tests.live import create_live_firm
    from tests.workflow.trade_book import trade_book
    from workflow.models import AccountDisposition, BatchTrade, TradeBatch
    from workflow.services.batches import (
        batch_approve,
        batch_trade_edit,
        batches_create_for_run,
    )

    live = create_live_firm("CMPB")
    domain = f"{live.firm.code.lower()}.test"
    people = {}
    with audit_context(system_job="tests"), firm_context(live.firm):
        for name, role in (("compliance", Role.COMPLIANCE), ("overlay", Role.OVERLAY_MANAGER),
                           ("overlay2", Role.OVERLAY_MANAGER)):
            people[name] = services.user_ensure(email=f"{name}@{domain}", password=PASSWORD)
            services.membership_grant(user=people[name], roles=[role], acting_user=None,
                                      system_job="tests")
    book = trade_book(SimpleNamespace(firm=live.firm, admin=live.admin))
    with firm_context(live.firm):
        batches_create_for_run(run_id=book.run.pk)
        batch = TradeBatch.objects.get(run=book.run, disposition="review")
        account = Account.objects.get(account_number="F-2")
        with audit_context(system_job="accounts feed"):
            account_settings_update(account=account, changes={"tax_sensitivity": "medium"},
                                    reason="initial settings from the custodian's account file",
                                    acting_user=None)
        # (a) the advisor's customization, (b) the overlay managers' edit and approval.
        account_settings_update(account=account, changes={"tax_sensitivity": "maximum"},
                                reason=CUSTOMIZATION_REASON, acting_user=live.advisor)
        trade = BatchTrade.objects.get(batch=batch, account__account_number="F-1", side="buy")
        batch_trade_edit(trade=trade, shares="30", reason=EDIT_REASON,
                         acting_user=people["overlay"])
        batch_approve(batch=batch, reason=APPROVAL_REASON, acting_user=people["overlay2"])
        # On the compliance list: F-3 by the run's policy; F-6 under a compliance hold.
        listed = AccountDisposition.objects.get(run=book.run, account__account_number="F-3")
        listed.oversight_lists = ["compliance_review"]
        listed.oversight_rules = [{"list": "compliance_review", "policy": book.policy.pk,
                                   "version": 1,
                                   "rule": "policy 9 v1: Non-discretionary accounts"}]
        listed.save()
        with audit_context(user=people["compliance"], reason="client complaint received"):
            AccountHold.objects.create(
                account=Account.objects.get(account_number="F-6"),
                kind=AccountHold.Kind.COMPLIANCE, reason="Client complaint under review",
                source=f"user:{people['compliance'].pk}")
    return ComplianceBook(people["compliance"].email, live.advisor.email,
                          people["overlay"].email, people["overlay2"].email, "F-2", batch.pk,
                          trade.analysis_id)


@pytest.fixture(scope="module")
def compliance_book(db_call) -> ComplianceBook:
    return db_call(build_compliance_book)


def _sign_in(page: Any, email: str) -> None:
    page.goto("/auth/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/auth/login/" not in page.url, page.inner_text("body")


def _filter(page: Any, **choices: str) -> None:
    form = page.get_by_test_id("audit-filters")
    for label, value in choices.items():
        form.get_by_label(label).select_option(label=value)
    with page.expect_navigation():
        form.get_by_role("button", name="Filter").click()


def test_compliance_finds_both_changes_with_who_when_and_why(page, live_site, compliance_book):
    ARTIFACTS.mkdir(exist_ok=True)
    book = compliance_book
    _sign_in(page, book.compliance_email)
    page.goto("/compliance/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance")
    review = page.get_by_test_id("review-row")
    expect(review).to_have_count(1)
    expect(review).to_contain_text("F-3")
    expect(review.get_by_test_id("review-rule")).to_have_text(
        "policy 9 v1: Non-discretionary accounts")
    expect(page.get_by_test_id("hold-row")).to_contain_text("Client complaint under review")
    recent = page.get_by_test_id("recent-changes")
    expect(recent).to_contain_text(APPROVAL_REASON)
    expect(recent).to_contain_text(EDIT_REASON)
    page.screenshot(path=str(ARTIFACTS / "compliance-dashboard.png"), full_page=True)

    page.get_by_role("link", name="The whole audit history →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit history")
    expect(page.get_by_test_id("audit-entry").first.get_by_test_id("audit-why")).to_have_text(
        "client complaint received")  # newest first
    page.screenshot(path=str(ARTIFACTS / "compliance-audit-history.png"), full_page=True)

    # (a) The advisor's change: the account's settings, by the advisor.
    _filter(page, **{"Object type": "Account settings", "Changed by": book.advisor_email})
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("audit-who")).to_contain_text(book.advisor_email)
    expect(entry.get_by_test_id("audit-why")).to_have_text(CUSTOMIZATION_REASON)
    expect(entry.get_by_test_id("audit-what")).to_contain_text(book.account_number)
    expect(entry.get_by_test_id("audit-changes")).to_have_text(
        "values: tax sensitivity medium → maximum")
    when = entry.locator("td").first.inner_text()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", when), when

    # (b) The trade edit: trades whose shares changed, with the record behind the trade.
    page.goto("/compliance/audit/")
    _filter(page, **{"Object type": "Batch trade"})
    _filter(page, **{"Field changed": "shares"})
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("audit-who")).to_contain_text(book.overlay_email)
    expect(entry.get_by_test_id("audit-why")).to_have_text(EDIT_REASON)
    expect(entry.get_by_test_id("audit-changes")).to_have_text("shares 40 → 30")
    expect(entry.get_by_test_id("audit-what")).to_contain_text("F-1")
    page.screenshot(path=str(ARTIFACTS / "compliance-audit-trade-edit.png"), full_page=True)

    # ... and the approval by the second overlay manager.
    _filter(page, **{"Object type": "Trade batch", "Field changed": "status",
                     "Changed by": book.overlay2_email})
    entry = page.get_by_test_id("audit-entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("audit-why")).to_have_text(APPROVAL_REASON)
    expect(entry.get_by_test_id("audit-changes")).to_contain_text("pending_review → approved")
    expect(entry.get_by_test_id("audit-changes")).to_contain_text(
        f"approved by — → {book.overlay2_email}")

    # The record behind the edited trade, from its audit entry.
    page.go_back()
    page.get_by_test_id("audit-entry").get_by_test_id("audit-record").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Record #{book.record_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("F-1")
