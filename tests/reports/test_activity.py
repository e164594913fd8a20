"""Explained activity: the narrative of an account's trades from their reasons, as a page, a
CSV and a PDF (text checked with pdftotext); advisors only for their accounts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client

from optimizer.models import ProposedTrade
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.data_factories import security
from tests.html_text import texts
from tests.pdf_text import pdf_text
from tests.reports.taxes_saved_book import _analysis, _metrics, taxes_saved_book

pytestmark = pytest.mark.django_db
PERIOD = "start=2026-01-01&end=2026-12-31"


def _trade(analysis, sec, side, shares, price, gain, reasons, explanation):
    return ProposedTrade.objects.create(
        analysis=analysis, security=sec, side=side, shares=D(shares), price=D(price),
        value=D(shares) * D(price), realized_gain=D(gain), estimated_tax=D(0),
        reasons=reasons, explanation=explanation)


@pytest.fixture
def account(alice_firm):
    book = taxes_saved_book(alice_firm)
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        aapl, vti, ivv = (security(ticker="AAPL"), security(ticker="VTI"),
                          security(ticker="IVV"))
        day = _analysis(book.taxable, date(2026, 3, 2), 600000, _metrics(), (0, 0, "0"))
        _trade(day, vti, "sell", "100", "200", "-1500", ["harvest_loss"],
               "VTI stands 1,500 below its cost.")
        _trade(day, ivv, "buy", "40", "500", "0", ["replace_harvested"], "")
        later = _analysis(book.taxable, date(2026, 4, 1), 600000, _metrics(), None)
        _trade(later, aapl, "sell", "10", "150", "300", ["asset_class_band", "realizes_gain"],
               "")
    return book.taxable


def test_the_narrative_tells_each_trade_and_the_period(account, alice_firm):
    compliance = Client()
    compliance.force_login(alice_firm.compliance)
    url = f"/reports/activity/accounts/{account.pk}/?{PERIOD}"
    html = compliance.get(url).content.decode()
    overview = texts(html, "activity-overview")[0]
    assert overview == (
        "From January 1, 2026 to December 31, 2026, 3 trades on 2 days: bought $20,000.00 and "
        "sold $21,500.00, realizing $300.00 of gains and $1,500.00 of losses. Why: 1 to harvest"
        " a loss; 1 to keep the exposure of a harvested sale; 1 to bring an asset class back "
        "within its band.")
    assert texts(html, "activity-sentence") == [
        "Sold 100 VTI for $20,000.00 to harvest a loss, realizing a loss of $1,500.00. VTI "
        "stands 1,500 below its cost.",
        "Bought 40 IVV for $20,000.00 to keep the exposure of a harvested sale.",
        "Sold 10 AAPL for $1,500.00 to bring an asset class back within its band, realizing a "
        "gain of $300.00."]
    exported = list(csv.DictReader(io.StringIO(
        compliance.get(url + "&format=csv").content.decode())))
    assert [(r["trade_date"], r["side"], r["security"], r["purpose"]) for r in exported] == [
        ("2026-03-02", "sell", "VTI", "to harvest a loss"),
        ("2026-03-02", "buy", "IVV", "to keep the exposure of a harvested sale"),
        ("2026-04-01", "sell", "AAPL", "to bring an asset class back within its band")]
    printed = " ".join(pdf_text(compliance.get(url + "&format=pdf").content).split())
    assert "Explained activity — T-1 Smith Taxable" in printed
    assert "Monday, March 2, 2026" in printed
    assert "Sold 10 AAPL for $1,500.00 to bring an asset class back within its band" in printed


def test_advisors_read_their_accounts_activity_only(account, alice_firm):
    advisor = Client()
    advisor.force_login(alice_firm.advisor)
    assert advisor.get(f"/reports/activity/accounts/{account.pk}/").status_code == 200
    other = alice_firm.other_account
    assert advisor.get(f"/reports/activity/accounts/{other.pk}/").status_code == 404


def test_the_firm_advisor_and_team_reports_tell_each_account_that_traded(account, alice_firm):
    """T-1 (advisor@alice.test) traded in 2026; T-2 (other@alice.test) did not."""
    compliance = Client()
    compliance.force_login(alice_firm.compliance)
    html = compliance.get(f"/reports/activity/?{PERIOD}").content.decode()
    assert texts(html, "activity-count")[0].startswith("1 account traded")
    assert texts(html, "activity-overview")[0].startswith(
        "From January 1, 2026 to December 31, 2026, 3 trades on 2 days")
    assert "T-1" in html and f'/reports/activity/accounts/{account.pk}/' in html
    narrowed = compliance.get(f"/reports/activity/?{PERIOD}&advisor=other@alice.test")
    assert texts(narrowed.content.decode(), "activity-count")[0].startswith("0 accounts")
    exported = list(csv.DictReader(io.StringIO(
        compliance.get(f"/reports/activity/?{PERIOD}&format=csv").content.decode())))
    assert [(r["account_number"], r["security"]) for r in exported] == [
        ("T-1", "VTI"), ("T-1", "IVV"), ("T-1", "AAPL")]
    printed = " ".join(pdf_text(compliance.get(
        f"/reports/activity/?{PERIOD}&advisor=advisor@alice.test&format=pdf").content).split())
    assert "Explained activity — advisor@alice.test" in printed
    assert "T-1 Smith Taxable" in printed and "Sold 100 VTI for $20,000.00" in printed
    advisor = Client()
    advisor.force_login(alice_firm.advisor)  # their accounts only: T-1's household is theirs
    mine = advisor.get(f"/reports/activity/?{PERIOD}").content.decode()
    assert texts(mine, "activity-count")[0].startswith("1 account traded")
