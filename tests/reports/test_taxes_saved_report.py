"""The taxes-saved report on stored analyses: the hand-computed account of
tests/reports/taxes_saved_book.py through the report, its pages, CSV and PDF (text checked
with pdftotext), and advisors limited to their accounts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal as D

import pytest
from django.test import Client

from accounts.models import Account
from rebal.firm_context import firm_context
from reports.taxes_saved_report import taxes_saved_report
from tests.html_text import rows
from tests.pdf_text import pdf_text
from tests.reports.taxes_saved_book import END, START, taxes_saved_book

pytestmark = pytest.mark.django_db
PERIOD = f"start={START}&end={END}"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def book(alice_firm):
    return taxes_saved_book(alice_firm)


def test_the_report_nets_the_years_and_splits_deferred_from_permanent(book, alice_firm):
    with firm_context(alice_firm.firm):
        report = taxes_saved_report(
            accounts=Account.objects.filter(pk__in=[book.taxable.pk, book.ira.pk]),
            start=START, end=END)
    taxable, ira = report.rows
    # the superseded analysis and the day without a shadow are left out: 2 days compared
    assert taxable.days == 2 and taxable.value == D("600000.00")
    assert (taxable.aware.short_term, taxable.aware.long_term) == (D(-12000), D(10000))
    assert (taxable.naive.short_term, taxable.naive.long_term) == (D(0), D(10000))
    assert (taxable.saved.tax_aware, taxable.saved.tax_naive) == (D("-1086.00"), D("2880.00"))
    assert (taxable.saved.saved, taxable.saved.deferred, taxable.saved.permanent) == (
        D("3966.00"), D("3456.00"), D("510.00"))
    assert taxable.percent == D("0.66")  # 3,966 / 600,000
    assert not ira.taxable and ira.saved.saved == 0 and ira.value == D(250000)
    assert (report.firm.saved, report.firm.value) == (D("3966.00"), D("850000.00"))
    assert [(a.name, a.saved) for a in report.advisors] == [
        ("advisor@alice.test", D("3966.00")), ("other@alice.test", D(0))]
    # by month: the stored daily estimates, naive − tax-aware (1,152 + 4,344; 1,728 − 1,728)
    assert [(m.month, m.saved) for m in report.months] == [
        ("2025-03", D("5496.00")), ("2026-02", D("0.00"))]


def test_firm_page_csv_and_pdf(book, alice_firm):
    compliance = _client(alice_firm.compliance)
    page = compliance.get(f"/reports/taxes-saved/?{PERIOD}")
    assert page.status_code == 200
    lines = {r[0].split()[0]: r for r in rows(page.content.decode(), "taxes-saved-row")}
    assert lines["T-1"][5:] == ["3,966.00", "0.66%", "3,456.00", "510.00"]
    assert "T-2" in lines
    summary = dict(rows(page.content.decode(), "taxes-saved-summary-row"))
    assert summary["Taxes saved"].startswith("3,966.00")
    assert "<svg" in page.content.decode()

    exported = compliance.get(f"/reports/taxes-saved/?{PERIOD}&format=csv")
    table = {r["account_number"]: r for r in csv.DictReader(io.StringIO(exported.content.decode()))}
    assert (table["T-1"]["taxes_saved"], table["T-1"]["deferred"],
            table["T-1"]["permanently_saved"], table["T-1"]["percent_of_value"]) == (
        "3966.00", "3456.00", "510.00", "0.66")
    assert table["T-2"]["taxes_saved"] == "0"

    pdf = compliance.get(f"/reports/taxes-saved/?{PERIOD}&format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Taxes saved — ALICE Advisors" in text
    assert "3,966.00 (0.47% of value)" in text  # 3,966 / 850,000
    assert "How the estimate is made" in text and "$1,500 married filing separately" in text
    account_line = next(line for line in text.splitlines() if line.startswith("T-1"))
    assert account_line.split() == ["T-1", "advisor@alice.test", "600,000.00", "2,880.00",
                                    "-1,086.00", "3,966.00", "0.66%", "3,456.00", "510.00"]


def test_account_page_and_pdf(book, alice_firm):
    compliance = _client(alice_firm.compliance)
    url = f"/reports/taxes-saved/accounts/{book.taxable.pk}/?{PERIOD}"
    page = compliance.get(url)
    assert page.status_code == 200
    assert rows(page.content.decode(), "taxes-saved-account-row") == [
        ["Tax-naive rebalance", "0.00", "10,000.00", "2,880.00"],
        ["Tax-aware trades", "-12,000.00", "10,000.00", "-1,086.00"]]
    text = pdf_text(compliance.get(url + "&format=pdf").content)
    assert "T-1 — Smith Taxable" in text
    assert "Taxes saved: 3,966.00 (0.66% of the portfolio's value of 600,000.00)" in " ".join(
        text.split())
    assert "deferred 3,456.00, permanently saved 510.00" in " ".join(text.split())


def test_advisors_see_their_accounts_only(book, alice_firm):
    advisor = _client(alice_firm.advisor)
    page = advisor.get(f"/reports/taxes-saved/?{PERIOD}")
    numbers = [r[0].split()[0] for r in rows(page.content.decode(), "taxes-saved-row")]
    assert "T-1" in numbers and "T-2" not in numbers
    assert advisor.get(f"/reports/taxes-saved/accounts/{book.ira.pk}/").status_code == 404
    assert advisor.get(f"/reports/taxes-saved/accounts/{book.taxable.pk}/").status_code == 200


def test_taxes_saved_per_team_on_the_page_pdf_and_csv(book, alice_firm):
    from rebal.models import Membership
    from rebal.services import membership_set_team, team_create

    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=alice_firm.admin)
        membership_set_team(membership=Membership.objects.get(user=alice_firm.advisor),
                            team=west, acting_user=alice_firm.admin, reason="the West office")
    assert alice_firm.advisor.email == "advisor@alice.test"  # T-1's advisor; T-2's has no team
    with firm_context(alice_firm.firm):
        report = taxes_saved_report(
            accounts=Account.objects.filter(pk__in=[book.taxable.pk, book.ira.pk]),
            start=START, end=END)
    assert [(t.name, t.accounts, t.saved) for t in report.teams] == [
        ("(no team)", 1, D(0)), ("West", 1, D("3966.00"))]
    assert [r.team for r in report.rows] == ["West", ""]

    compliance = _client(alice_firm.compliance)
    page = compliance.get(f"/reports/taxes-saved/?{PERIOD}").content.decode()
    teams = {r[0]: r for r in rows(page, "taxes-saved-team")}
    assert teams["West"][3] == "3,966.00"
    only_west = compliance.get(f"/reports/taxes-saved/?{PERIOD}&team=West").content.decode()
    numbers = {r[0].split()[0] for r in rows(only_west, "taxes-saved-row")}
    assert "T-1" in numbers and "T-2" not in numbers
    assert "Taxes saved — team West" in only_west
    exported = compliance.get(f"/reports/taxes-saved/?{PERIOD}&format=csv")
    table = {r["account_number"]: r for r in csv.DictReader(io.StringIO(exported.content.decode()))}
    assert (table["T-1"]["team"], table["T-2"]["team"]) == ("West", "")
    text = " ".join(pdf_text(compliance.get(f"/reports/taxes-saved/?{PERIOD}&format=pdf"
                                            ).content).split())
    assert "By team" in text and "West 1" in text


def test_more_accounts_than_computed_on_request_point_to_the_background_report(
        book, alice_firm, monkeypatch):
    from datetime import date

    from django.utils import timezone

    from reports.models import ReportRun

    monkeypatch.setattr("reports.views_taxes_saved.LIVE_LIMIT", 1)
    with firm_context(alice_firm.firm):
        run = ReportRun.objects.create(start=date(2026, 1, 1), end=date(2026, 10, 31),
                                       status=ReportRun.Status.DONE, accounts_total=4,
                                       csv="account_number\n", finished_at=timezone.now())
    compliance = _client(alice_firm.compliance)
    html = compliance.get(f"/reports/taxes-saved/?{PERIOD}").content.decode()
    assert not rows(html, "taxes-saved-row")  # nothing computed on request
    assert "more than the 1 a page computes on request" in html
    assert f"/reports/runs/{run.pk}/csv/" in html and "2026-01-01 to 2026-10-31" in html
    monkeypatch.setattr("reports.views_taxes_saved.LIVE_LIMIT", 5000)
    assert rows(compliance.get(f"/reports/taxes-saved/?{PERIOD}").content.decode(),
                "taxes-saved-row")
