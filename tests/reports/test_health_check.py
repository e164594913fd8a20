"""Portfolio health check: each account's checks from the day's analysis (drift and cash
within the band, restrictions, data), the responses to the calls to action (who, when, what;
append-only), the page, CSV and PDF, and advisors limited to their accounts."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from optimizer.models import Analysis, ProposedTrade
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from reports.models import HealthCheckResponse
from tests.data_factories import security
from tests.html_text import texts
from tests.pdf_text import pdf_text
from tests.reports.taxes_saved_book import taxes_saved_book

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 24)


def _analysis(account, drift, band="0.05", status="trades"):
    return Analysis.objects.create(
        account=account, trade_date=DAY, status=status, summary=f"{account}",
        before={"value": "100000", "cash": "1000", "drift": [
            {"asset_class": c, "weight": w, "target": t} for c, w, t in drift]},
        after={}, trade_metrics={}, calibration={"asset_class_band": float(band)},
        solver={})


@pytest.fixture
def book(alice_firm):
    book = taxes_saved_book(alice_firm)
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        # T-1: equities 8 points over (band 5), cash 1 point under, a restricted holding
        day = _analysis(book.taxable, [("EQ.US", 0.68, 0.60), ("FI.US", 0.31, 0.35),
                                       ("Cash", 0.01, 0.02)])
        ProposedTrade.objects.create(
            analysis=day, security=security(ticker="XOM"), side="sell", shares=D(10),
            price=D(100), value=D(1000), realized_gain=D(0), estimated_tax=D(0),
            reasons=["restricted"], explanation="XOM is on the firm's restricted list.")
        # T-2: on target
        _analysis(book.ira, [("EQ.US", 0.61, 0.60), ("Cash", 0.02, 0.02)])
    return book


def test_checks_and_responses(book, alice_firm):
    overlay = Client()
    overlay.force_login(alice_firm.overlay_manager)
    url = f"/reports/health-check/?day={DAY}"
    html = overlay.get(url).content.decode()
    assert texts(html, "health-summary") == [
        "4 accounts checked on 2026-11-24: 3 with calls to action, 3 not yet answered."]
    rows = {text.split()[0]: text for text in texts(html, "health-row")}
    assert "drift: EQ.US at 68.0% against 60.0% (band ±5.0%)" in rows["T-1"]
    assert "restrictions: Holds restricted or excluded securities: XOM" in rows["T-1"]
    assert "cash:" not in rows["T-1"]  # 1 point under is within the band
    assert rows["T-2"].startswith("T-2 Jones IRA All checks pass")
    assert "data: Not analyzed with current data: no analysis that day" in rows["ALICE-001"]

    response = overlay.post(f"/reports/health-check/accounts/{book.taxable.pk}/respond/", {
        "check_date": DAY, "failed_check": "drift", "action": "trade",
        "note": "Approved the rebalance in batch 12."})
    assert response.status_code == 302
    html = overlay.get(url).content.decode()
    answer = texts(html, "health-response")[0]
    assert answer.startswith("overlay_manager@alice.test, 2026-")
    assert answer.endswith("Drift within bands — Trades approved or placed: Approved the "
                           "rebalance in batch 12.")
    exported = list(csv.DictReader(io.StringIO(overlay.get(url + "&format=csv").content.decode())))
    assert [(r["account_number"], r["check"], r["responded_by"], r["action"])
            for r in exported if r["account_number"] == "T-1"] == [
        ("T-1", "drift", "overlay_manager@alice.test", "trade"), ("T-1", "restrictions", "", "")]
    printed = " ".join(pdf_text(overlay.get(url + "&format=pdf").content).split())
    assert "Portfolio health check — 2026-11-24" in printed
    assert "EQ.US at 68.0% against 60.0% (band ±5.0%)" in printed
    assert "Approved the rebalance in batch 12." in printed
    assert "T-2" not in printed  # the PDF lists the calls to action

    with firm_context(alice_firm.firm):
        recorded = HealthCheckResponse.objects.get()
        assert (recorded.responded_by, recorded.failed_check) == (alice_firm.overlay_manager,
                                                                 "drift")
        with pytest.raises(DatabaseError), transaction.atomic():
            HealthCheckResponse.objects.filter(pk=recorded.pk).update(note="changed")


def test_advisors_check_and_answer_their_accounts_only(book, alice_firm):
    advisor = Client()
    advisor.force_login(alice_firm.advisor)
    html = advisor.get(f"/reports/health-check/?day={DAY}").content.decode()
    numbers = [text.split()[0] for text in texts(html, "health-row")]
    assert "T-1" in numbers and "T-2" not in numbers
    form = {"check_date": DAY, "failed_check": "drift", "action": "contact_client",
            "note": "Called the client."}
    assert advisor.post(f"/reports/health-check/accounts/{book.ira.pk}/respond/",
                        form).status_code == 404
    assert advisor.post(f"/reports/health-check/accounts/{book.taxable.pk}/respond/",
                        form).status_code == 302
    management = Client()
    management.force_login(alice_firm.admin)
    assert management.get(f"/reports/health-check/?day={DAY}").status_code == 200


def test_the_account_report_charts_allocation_against_target(book, alice_firm):
    compliance = Client()
    compliance.force_login(alice_firm.compliance)
    url = f"/reports/taxes-saved/accounts/{book.taxable.pk}/?start=2025-01-01&end={DAY}"
    html = compliance.get(url).content.decode()
    charts = texts(html, "account-chart")
    assert len(charts) == 2  # allocation on the last day; largest drift over the 4 days
    assert "Allocation against target on 2026-11-24" in charts[0]
    assert "Outside the band: EQ.US." in charts[0]
    assert "Largest asset-class drift by day" in charts[1] and "latest 8.00%" in charts[1]
    printed = " ".join(pdf_text(compliance.get(url + "&format=pdf").content).split())
    assert "EQ.US" in printed and "outside band" in printed


def test_the_page_checks_only_its_own_accounts(book, alice_firm, monkeypatch):
    monkeypatch.setattr("reports.views_health_check.PAGE_SIZE", 3)
    overlay = Client()
    overlay.force_login(alice_firm.overlay_manager)
    first = overlay.get(f"/reports/health-check/?day={DAY}").content.decode()
    second = overlay.get(f"/reports/health-check/?day={DAY}&page=2").content.decode()
    numbers = [[text.split()[0] for text in texts(html, "health-row")]
               for html in (first, second)]
    assert len(numbers[0]) == 3 and len(numbers[1]) == 1
    assert len(set(numbers[0] + numbers[1])) == 4  # each account on one page
    summary = texts(second, "health-summary")[0]
    assert summary.startswith("4 accounts checked on 2026-11-24: of accounts 4–4 (this page;")
    assert "page=2" in first  # the pager links the next page
    calls_only = overlay.get(f"/reports/health-check/?day={DAY}&calls_only=on&page=1")
    assert "T-2" not in [t.split()[0] for t in texts(calls_only.content.decode(), "health-row")]


def test_the_check_narrows_to_an_advisor_or_a_team(book, alice_firm):
    """T-1 is advisor@alice.test's (the West team's), T-2 other@alice.test's."""
    from rebal.models import Membership
    from rebal.services import membership_set_team, team_create

    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        west = team_create(name="West", acting_user=alice_firm.admin)
        membership_set_team(membership=Membership.objects.get(user=alice_firm.advisor),
                            team=west, acting_user=alice_firm.admin, reason="the West office")
    overlay = Client()
    overlay.force_login(alice_firm.overlay_manager)

    def listed(**narrow):
        html = overlay.get("/reports/health-check/", {"day": DAY, **narrow}).content.decode()
        return sorted(t.split()[0] for t in texts(html, "health-row")), html

    for narrow in ({"advisor": "advisor@alice.test"}, {"team": "West"}):
        numbers, html = listed(**narrow)
        assert numbers == ["T-1"]
        assert "T-2" not in numbers and "Portfolio health check — 2026-11-24 — " in html
    assert listed(advisor="other@alice.test")[0] == ["T-2"]
    assert "T-1" in listed()[0] and "T-2" in listed()[0]
