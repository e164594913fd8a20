"""The advisor's pages on the demo book: their accounts only, with the latest analysis's drift,
cash and trades, sortable and filterable in a bounded number of queries; an account's chart,
lots and trades; the customization editor's live check, what-if and save."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Account, AccountSettings, Household
from accounts.services.grants import advisor_grant
from accounts.settings_resolution import effective_settings
from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure
from optimizer.services import account_analyze
from rebal.audit import audit_context
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db
BUSINESS_DATE = date(2026, 11, 24)


def text_of(page: bytes) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.decode())).split())


@pytest.fixture
def book(tmp_path):
    """The demo book; the advisor is assigned three households; their accounts analyzed."""
    firm, users = demo_firm_ensure(code="ADVPG")
    folder = tmp_path / "feeds"
    call_command("make_demo_feeds", str(folder), "--accounts", "30", "--seed", "7",
                 "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    call_command("load_feeds", "--firm", firm.code, str(folder), stdout=io.StringIO())
    model_book_ensure(firm=firm)
    with firm_context(firm), audit_context(system_job="tests"):
        households = list(Household.objects.filter(accounts__status="open",
                                                   accounts__tax_status="taxable")
                          .exclude(accounts__program_code="").distinct().order_by("code")[:3])
        for household in households:
            advisor_grant(household=household, advisor=users["advisor"],
                                     acting_user=None, reason="the test book")
        mine = list(Account.objects.filter(household__in=households, status="open")
                    .exclude(program_code="").order_by("account_number"))
        analyses = {a.account_number: account_analyze(account=a, as_of=BUSINESS_DATE)
                    for a in mine}
    return firm, users, mine, analyses


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_lists_only_the_advisors_accounts_with_their_latest_analysis(
        book, django_assert_max_num_queries):
    firm, users, mine, analyses = book
    advisor = client_for(users["advisor"])
    advisor.get("/advisor/")  # sessions and caches warm

    with django_assert_max_num_queries(12):
        response = advisor.get("/advisor/?sort=drift&dir=desc")

    assert response.status_code == 200
    rows = re.findall(rb'data-account="([^"]+)"', response.content)
    assert sorted(r.decode() for r in rows) == sorted(a.account_number for a in mine)
    with firm_context(firm):
        others = Account.objects.exclude(pk__in=[a.pk for a in mine]).values_list(
            "account_number", flat=True)
        assert not set(others) & {r.decode() for r in rows}
    drifts = {number: max(abs(d["weight"] - d["target"]) for d in analysis.before["drift"])
              for number, analysis in analyses.items()}
    assert [r.decode() for r in rows] == sorted(drifts, key=lambda n: (-drifts[n]))
    first = rows[0].decode()
    page = text_of(response.content)
    assert f"{drifts[first] * 100:.1f}%" in page
    with firm_context(firm):
        trade_count = analyses[first].trades.count()
    row = re.search(rf'data-account="{first}">(.*?)</tr>'.encode(), response.content, re.S)
    assert re.search(rb'data-testid="trades">%d<' % trade_count, row.group(1))
    assert f"{len(mine)} accounts" in page.replace("</strong>", "")

    # Filtered and sorted by account number (ascending); an htmx request gets the table only.
    one = mine[-1]
    filtered = advisor.get(f"/advisor/?q={one.account_number}&sort=account&dir=asc",
                           headers={"HX-Request": "true"})
    assert re.findall(rb'data-account="([^"]+)"', filtered.content) == [
        one.account_number.encode()]
    assert b"<h1>" not in filtered.content
    by_number = advisor.get("/advisor/?sort=account&dir=asc")
    assert [r.decode() for r in re.findall(rb'data-account="([^"]+)"', by_number.content)] == \
        sorted(a.account_number for a in mine)
    # Other roles have no advisor dashboard.
    assert client_for(users["compliance"]).get("/advisor/").status_code == 403


def test_the_account_page_shows_weights_against_target_lots_and_trades_with_reasons(book):
    firm, users, mine, analyses = book
    with firm_context(firm):
        account = next(a for a in mine if analyses[a.account_number].trades.exists())
    response = client_for(users["advisor"]).get(f"/advisor/accounts/{account.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart drift-bars" role="img"' in body
    analysis = analyses[account.account_number]
    assert body.count('class="bar-row') == len(analysis.before["drift"])
    with firm_context(firm):
        trades = list(analysis.trades.all())
    assert body.count('data-testid="proposed-trade"') == len(trades)
    reason = trades[0].reasons[0]
    assert str(reason).replace("_", " ") in text_of(response.content)
    lots = body.count('data-testid="valued-lot"')
    assert lots > 0
    short = Decimal(re.search(r'data-testid="short-term-gain">([^<]*)<', body).group(1)
                    .replace(",", ""))
    long = Decimal(re.search(r'data-testid="long-term-gain">([^<]*)<', body).group(1)
                   .replace(",", ""))
    value = Decimal(re.search(r'data-testid="lots-value">([^<]*)<', body).group(1)
                    .replace(",", ""))
    basis = Decimal(re.search(r'data-testid="lots-basis">([^<]*)<', body).group(1)
                    .replace(",", ""))
    # Every lot is priced: the unrealized gains, short and long, add up to value less basis.
    assert "no price" not in body
    assert value > 0 and abs((short + long) - (value - basis)) < Decimal("0.01")


def test_the_editor_checks_live_runs_a_what_if_and_saves_with_a_reason(book):
    firm, users, mine, _ = book
    account = mine[0]
    advisor = client_for(users["advisor"])
    base = f"/advisor/accounts/{account.pk}/customize/"
    page = advisor.get(base)
    assert page.status_code == 200
    classes = re.findall(rb'name="exclude" value="([^"]+)"', page.content)
    assert classes
    with firm_context(firm):
        current = effective_settings(account)["tax_sensitivity"]
    wanted = "maximum" if current != "maximum" else "low"

    checked = advisor.post(base + "check/", {"tax_sensitivity": wanted})
    assert b'data-testid="within-limits"' in checked.content
    assert f"Tax sensitivity: {wanted}" in text_of(checked.content)
    # Excluding every asset class but one leaves the account beyond the firm's limits.
    everything = [c.decode() for c in classes[1:]]
    refused = advisor.post(base + "check/", {"exclude": everything})
    assert b'data-testid="limit-refusal"' in refused.content

    # Excluding cash would break the firm's cash floor; some other class may go.
    cash = advisor.post(base + "check/", {"exclude": ["CASH"]})
    assert "Limit “Cash floor”" in text_of(cash.content)
    excluded = next(c.decode() for c in classes if b'data-testid="within-limits"' in advisor.post(
        base + "check/", {"exclude": [c.decode()]}).content)
    what_if = advisor.post(base + "what-if/", {"tax_sensitivity": wanted, "exclude": [excluded]})
    assert what_if.status_code == 200
    assert b'data-testid="what-if-result"' in what_if.content, text_of(what_if.content)
    assert b'data-testid="what-if-tax"' in what_if.content
    with firm_context(firm):
        assert not AccountSettings.objects.filter(account=account).exists()

    no_reason = advisor.post(base, {"tax_sensitivity": wanted, "reason": ""})
    assert no_reason.status_code == 400 and b"A reason is required" in no_reason.content
    saved = advisor.post(base, {"tax_sensitivity": wanted, "reason": "annual review"})
    assert saved.status_code == 302 and saved["Location"] == f"/advisor/accounts/{account.pk}/"
    with firm_context(firm):
        assert effective_settings(account)["tax_sensitivity"] == wanted
        entry = AccountSettings.history.filter(account_id=account.pk).latest("history_date")
        assert entry.history_change_reason == "annual review"
        assert entry.history_user_id == users["advisor"].pk
        # Only what changed is stored on the account; the rest stays inherited.
        assert set(AccountSettings.objects.get(account=account).values) == {"tax_sensitivity"}
