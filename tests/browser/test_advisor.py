"""Issue 9 in a real browser: an advisor's dashboard and account page, the customization editor
(tax sensitivity changed and an asset class excluded, the what-if seen, saved; a change beyond
the limits refused naming the limit), and firm B reaching none of firm A's pages (404)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.live import LiveFirm, unique

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BUSINESS_DATE = date(2026, 11, 24)


@dataclass(frozen=True)
class AdvisorBook:
    code: str
    advisor_email: str
    password: str
    account_ids: list[int]
    household_id: int
    conservative_id: int  # an account whose program allows little change in equity


def build_advisor_book(tmp: Any) -> AdvisorBook:
    """The demo book (30 accounts) with its model book; the advisor has four households."""
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Account, Household
    from accounts.services.grants import advisor_grant
    from demo.model_book import model_book_ensure
    from demo.services import DEMO_PASSWORD, demo_firm_ensure
    from optimizer.services import account_analyze
    from rebal.audit import audit_context
    from rebal.firm_context import firm_context

    firm, users = demo_firm_ensure(code=unique("ADVB"))
    call_command("make_demo_feeds", str(tmp), "--accounts", "30", "--seed", "7",
                 "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    call_command("load_feeds", "--firm", firm.code, str(tmp), stdout=io.StringIO())
    model_book_ensure(firm=firm)
    today = timezone.localdate()
    with firm_context(firm), audit_context(system_job="tests"):
        households = list(Household.objects.filter(accounts__status="open",
                                                   accounts__tax_status="taxable")
                          .exclude(accounts__program_code="").distinct().order_by("code")[:4])
        for household in households:
            advisor_grant(household=household, advisor=users["advisor"],
                                     acting_user=None, reason="the test book")
        mine = list(Account.objects.filter(household__in=households, status="open")
                    .exclude(program_code="").order_by("account_number"))
        for account in mine:
            account_analyze(account=account, as_of=min(today, BUSINESS_DATE))
        taxable = [a for a in mine if a.tax_status == "taxable"]
        conservative = next((a for a in taxable if a.program_code.startswith("CONS")), taxable[0])
    return AdvisorBook(code=firm.code, advisor_email=users["advisor"].email,
                       password=DEMO_PASSWORD, account_ids=[a.pk for a in mine],
                       household_id=households[0].pk, conservative_id=conservative.pk)


@pytest.fixture(scope="module")
def advisor_book(db_call, tmp_path_factory) -> AdvisorBook:
    folder = tmp_path_factory.mktemp("advisor-feeds")
    return db_call(lambda: build_advisor_book(folder))


def _sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/auth/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert "/auth/login/" not in page.url, page.inner_text("body")


def test_an_advisor_customizes_an_account_with_a_what_if_and_a_refusal_naming_the_limit(
        page, advisor_book, db_call):
    _sign_in(page, advisor_book.advisor_email, advisor_book.password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My accounts").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My households and accounts")
    rows = page.get_by_test_id("advisor-account")
    expect(rows).to_have_count(len(advisor_book.account_ids))
    page.screenshot(path=str(ARTIFACTS / "advisor-dashboard.png"), full_page=True)
    # Sorting by account number (a header link, htmx) orders the rows.
    page.get_by_test_id("advisor-accounts").get_by_role("link", name="Account",
                                                        exact=True).click()
    expect(page.locator("th[aria-sort]")).to_contain_text("Account")
    numbers = rows.evaluate_all("rows => rows.map(r => r.dataset.account)")
    assert numbers == sorted(numbers)

    page.goto(f"/advisor/accounts/{advisor_book.conservative_id}/")
    expect(page.get_by_test_id("weights-chart").locator("svg[role=img]")).to_be_visible()
    expect(page.get_by_test_id("valued-lot").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "advisor-account.png"), full_page=True)
    page.get_by_test_id("customize-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customize")
    page.wait_for_load_state("load")  # htmx (deferred) is listening

    # Beyond the limits: excluding every asset class but one, refused live, the limit named.
    boxes = page.locator("input[name=exclude]")
    count = boxes.count()
    assert count >= 3
    for index in range(1, count):
        boxes.nth(index).check()
    last = boxes.nth(count - 1).get_attribute("value")
    expect(page.get_by_test_id("change-list")).to_contain_text(last)
    refusal = page.get_by_test_id("limit-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Limit “")
    page.screenshot(path=str(ARTIFACTS / "advisor-customize-refused.png"), full_page=True)
    page.fill("#reason", "trying everything")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("save-refused")).to_contain_text("Limit “")

    # Within the limits: tax sensitivity up to maximum and one asset class excluded.
    page.goto(f"/advisor/accounts/{advisor_book.conservative_id}/customize/")
    page.select_option("#tax_sensitivity", "maximum")
    expect(page.get_by_test_id("change-list")).to_contain_text("Tax sensitivity: maximum")
    excluded = _exclude_one_within_limits(page)
    expect(page.get_by_test_id("change-list")).to_contain_text(
        f"Excluded asset classes: {excluded}")
    expect(page.get_by_test_id("within-limits")).to_be_visible()
    page.get_by_test_id("run-what-if").click()
    result = page.get_by_test_id("what-if-result")
    expect(result).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("what-if-tax")).not_to_be_empty()
    expect(result.locator("svg[role=img]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "advisor-what-if.png"), full_page=True)
    page.fill("#reason", "client asked at the annual review")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(f"/advisor/accounts/{advisor_book.conservative_id}/")
    expect(page.locator(".flash")).to_contain_text("Tax sensitivity: maximum")
    saved = db_call(lambda: _saved(advisor_book))
    assert saved["tax_sensitivity"] == "maximum"
    assert saved["excluded"] == [excluded]
    assert saved["reason"] == "client asked at the annual review"
    assert saved["who"] == advisor_book.advisor_email


def _exclude_one_within_limits(page: Any) -> str:
    """Tick one asset class after another (each checked live) until one stays within limits."""
    values = page.locator("input[name=exclude]").evaluate_all("els => els.map(e => e.value)")
    for value in reversed(values):
        box = page.locator(f"input[name=exclude][value='{value}']")
        box.check()
        expect(page.get_by_test_id("change-list")).to_contain_text(value)
        if page.get_by_test_id("within-limits").count():
            return value
        box.uncheck()
        expect(page.get_by_test_id("change-list")).not_to_contain_text(value)
    raise AssertionError("no asset class can be excluded within the limits")


def _saved(book: AdvisorBook) -> dict[str, Any]:
    from accounts.models import Account, AccountSettings
    from accounts.settings_catalog import Vocabulary
    from accounts.settings_resolution import effective_settings
    from rebal.firm_context import firm_context
    from rebal.models import Firm

    firm = Firm.objects.get(code=book.code)
    with firm_context(firm):
        account = Account.objects.get(pk=book.conservative_id)
        values = effective_settings(account)
        entry = AccountSettings.history.filter(account_id=account.pk).latest("history_date")
        vocabulary = Vocabulary()
        return {"tax_sensitivity": values["tax_sensitivity"],
                "excluded": sorted(vocabulary.name("asset_classes", pk)
                                   for pk in values["excluded_asset_classes"]),
                "reason": entry.history_change_reason, "who": entry.history_user.email}


def test_a_firm_b_user_reaches_none_of_firm_as_pages(page, sign_in, advisor_book,
                                                    firm_b: LiveFirm):
    account, household = advisor_book.account_ids[0], advisor_book.household_id
    urls = [f"/advisor/accounts/{account}/", f"/advisor/accounts/{account}/customize/",
            f"/accounts/{account}/", f"/accounts/{account}/settings/",
            f"/households/{household}/"]
    for who in ("advisor", "admin"):
        page.context.clear_cookies()
        sign_in(firm_b, who)
        for url in urls:
            response = page.goto(url)
            assert response.status == 404, (who, url, response.status)
        dashboard = page.goto("/advisor/")
        assert dashboard.status == 200
        expect(page.get_by_test_id("advisor-account")).to_have_count(0)
