"""The model hub: subscriptions, tiered fees, daily accruals on the caller's market values and
a monthly statement reconciling to them to the cent — against figures worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from dataops.models import AssetClass
from models_hub.fees import annual_fee, daily_accrual
from models_hub.models import FeeAccrual, ModelSubscription, SecurityModel
from models_hub.services import (
    FollowingValue,
    billing_statement_issue,
    fee_accruals_record,
    fee_schedule_save,
    provider_save,
    subscription_activate,
    subscription_request,
    subscription_terminate,
)
from models_hub.statements import statement_csv, statement_html
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.models_hub.factories import committee
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db
D = Decimal
# 25 bps on the first $1M, 20 bps on the next $4M, 15 bps above $5M.
TIERS = [("0", "25"), ("1000000", "20"), ("5000000", "15")]


def test_tiered_fees_by_hand():
    tiers = [(D(a), D(b)) for a, b in TIERS]
    # $6M: 1M × 0.25% + 4M × 0.20% + 1M × 0.15% = 2,500 + 8,000 + 1,500.
    assert annual_fee(D("6000000"), tiers, "marginal") == D("12000")
    assert annual_fee(D("800000"), tiers, "marginal") == D("2000")
    assert annual_fee(D("5000000"), tiers, "marginal") == D("10500")
    # Whole: the $6M reach the 15 bps tier, which then applies to all of it.
    assert annual_fee(D("6000000"), tiers, "whole") == D("9000")
    assert annual_fee(D("0"), tiers, "marginal") == 0
    # A day is 1/365 of the year, 1/366 in a leap year, rounded half up to the cent.
    assert daily_accrual(D("12000"), date(2026, 11, 1)) == D("32.88")  # 32.8767…
    assert daily_accrual(D("12000"), date(2028, 2, 29)) == D("32.79")  # 32.7868…
    assert daily_accrual(D("2000"), date(2026, 11, 2)) == D("5.48")  # 5.4794…


@pytest.fixture
def hub(alice_firm):
    ipc, _ = committee(alice_firm)
    with firm_context(alice_firm.firm):
        with audit_context(system_job="tests"):
            large = AssetClass.objects.create(code="EQ.US.LARGE", name="US Large Cap")
            own = SecurityModel.objects.create(code="LCAP_ETF", asset_class=large, kind="etf")
            third = SecurityModel.objects.create(code="NQA_DIV", asset_class=large,
                                                 kind="third_party", provider_code="NQA")
        provider = provider_save(code="NQA", name="Northfield Quant Advisors",
                                 reason="new provider", acting_user=ipc)
        third.refresh_from_db()
        assert third.provider == provider  # the feed's models link up by code
        schedule = fee_schedule_save(provider=provider, code="NQA-2026", name="2026 pricing",
                                     method="marginal", tiers=TIERS, reason="contract",
                                     acting_user=ipc)
        subscription = subscription_request(provider=provider, fee_schedule=schedule,
                                            requested_on=date(2026, 10, 20),
                                            reason="dividend sleeve", acting_user=ipc)
    return {"personas": alice_firm, "ipc": ipc, "provider": provider, "schedule": schedule,
            "subscription": subscription, "own": own, "third": third}


def _values(hub, *rows):
    return [FollowingValue(hub[model].pk, account, D(value)) for model, account, value in rows]


def test_a_month_accrued_and_billed_to_the_cent(hub):
    ipc = hub["ipc"]
    with firm_context(hub["personas"].firm):
        # Pending: nothing accrues.
        assert fee_accruals_record(accrual_date=date(2026, 10, 31), system_job="tests",
                                   values=_values(hub, ("third", 1, "6000000"))) == []
        subscription_activate(subscription=hub["subscription"], start_date=date(2026, 11, 1),
                              reason="signed", acting_user=ipc)
        days = {
            date(2026, 11, 1): [("third", 1, "2500000"), ("third", 2, "3500000"),
                                ("own", 3, "1000000")],
            date(2026, 11, 2): [("third", 1, "800000")],
            date(2026, 11, 3): [("third", 1, "400000"), ("third", 2, "600000")],
            date(2026, 11, 30): [("third", 1, "5000000")],
        }
        # Day 1 first run with a wrong value, then re-run: the re-run replaces it.
        fee_accruals_record(accrual_date=date(2026, 11, 1), system_job="tests",
                            values=_values(hub, ("third", 1, "1")))
        for day, rows in days.items():
            fee_accruals_record(accrual_date=day, system_job="tests",
                                values=_values(hub, *rows))
        accruals = {a.accrual_date: a for a in FeeAccrual.objects.all()}
        assert {day: a.amount for day, a in accruals.items()} == {
            date(2026, 11, 1): D("32.88"),  # $6M → $12,000 a year
            date(2026, 11, 2): D("5.48"),  # $800k → $2,000
            date(2026, 11, 3): D("6.85"),  # $1M → $2,500 (6.8493…)
            date(2026, 11, 30): D("28.77"),  # $5M → $10,500 (28.7671…)
        }
        first = accruals[date(2026, 11, 1)]
        assert (first.market_value, first.account_count) == (D("6000000.00"), 2)
        assert first.by_model == {"NQA_DIV": "6000000.00"}  # the firm's own model is free
        statement = billing_statement_issue(provider=hub["provider"], year=2026, month=11,
                                            acting_user=ipc)
        assert statement.total == D("73.98") == sum(a.amount for a in accruals.values())
        assert statement.accrual_days == 4
        text = statement_csv(statement)
        html = statement_html(statement)
        with pytest.raises(ValidationError, match="already on a billing statement"):
            fee_accruals_record(accrual_date=date(2026, 11, 2), system_job="tests",
                                values=_values(hub, ("third", 1, "9")))
        with pytest.raises(ValidationError, match="already been billed for November 2026"):
            billing_statement_issue(provider=hub["provider"], year=2026, month=11)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2] == ["date", "market_value", "accounts", "annual_fee", "accrual", "by_model"]
    lines = rows[3:-1]
    assert [r[4] for r in lines] == ["32.88", "5.48", "6.85", "28.77"]
    assert sum(D(r[4]) for r in lines) == D(rows[-1][4]) == D("73.98")
    assert rows[3] == ["2026-11-01", "6000000.00", "2", "12000.00", "32.88",
                       "NQA_DIV=6000000.00"]
    assert "Northfield Quant Advisors" in html and "<td>73.98</td>" in html


def test_termination_ends_the_fees_and_whole_tier_pricing(hub):
    ipc = hub["ipc"]
    with firm_context(hub["personas"].firm):
        schedule = fee_schedule_save(provider=hub["provider"], code="NQA-WHOLE", name="Whole",
                                     method="whole", tiers=TIERS, reason="renegotiated",
                                     acting_user=ipc, schedule=hub["schedule"])
        assert schedule.pk == hub["schedule"].pk
        subscription_activate(subscription=hub["subscription"], start_date=date(2026, 11, 1),
                              reason="signed", acting_user=ipc)
        [accrual] = fee_accruals_record(accrual_date=date(2026, 11, 10), system_job="tests",
                                        values=_values(hub, ("third", 1, "6000000")))
        assert accrual.amount == D("24.66")  # $6M × 0.15% = $9,000 / 365 = 24.6575…
        subscription_terminate(subscription=hub["subscription"], end_date=date(2026, 11, 15),
                               reason="sleeve closed", acting_user=ipc)
        assert fee_accruals_record(accrual_date=date(2026, 11, 16), system_job="tests",
                                   values=_values(hub, ("third", 1, "6000000"))) == []
        subscription = ModelSubscription.objects.get()
        assert (subscription.status, subscription.end_date) == ("terminated",
                                                                date(2026, 11, 15))
        history = list(subscription.history.order_by("history_id").values_list(
            "status", "history_change_reason"))
        assert history == [("pending", "dividend sleeve"), ("active", "signed"),
                           ("terminated", "sleeve closed")]


def test_bad_contracts_are_refused(hub):
    ipc = hub["ipc"]
    with firm_context(hub["personas"].firm):
        with pytest.raises(ValidationError, match="first tier starts at \\$0"):
            fee_schedule_save(provider=hub["provider"], code="BAD", name="Bad",
                              method="marginal", tiers=[("100", "10")], reason="x",
                              acting_user=ipc)
        with pytest.raises(ValidationError, match="cannot start before it was requested"):
            subscription_activate(subscription=hub["subscription"],
                                  start_date=date(2026, 10, 1), reason="x", acting_user=ipc)
        subscription_activate(subscription=hub["subscription"], start_date=date(2026, 11, 1),
                              reason="signed", acting_user=ipc)
        second = subscription_request(provider=hub["provider"], fee_schedule=hub["schedule"],
                                      requested_on=date(2026, 11, 2), reason="again",
                                      acting_user=ipc)
        with pytest.raises(ValidationError, match="already has a subscription"):
            subscription_activate(subscription=second, start_date=date(2026, 11, 5),
                                  reason="x", acting_user=ipc)
        with pytest.raises(ValidationError, match="negative market value"):
            fee_accruals_record(accrual_date=date(2026, 11, 3), system_job="tests",
                                values=_values(hub, ("third", 1, "-5")))


def test_hub_over_the_api(hub):
    personas = hub["personas"]
    ipc = Client()
    ipc.force_login(hub["ipc"])
    json = "application/json"
    response = ipc.post(f"/api/v1/model-subscriptions/{hub['subscription'].pk}/activate/",
                        {"date": "2026-11-01", "reason": "signed"}, content_type=json)
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert ipc.get("/api/v1/fee-schedules/").json()["results"][0]["tiers"] == [
        {"assets_from": "0.00", "annual_bps": "25.0000"},
        {"assets_from": "1000000.00", "annual_bps": "20.0000"},
        {"assets_from": "5000000.00", "annual_bps": "15.0000"}]
    with firm_context(personas.firm):
        fee_accruals_record(accrual_date=date(2026, 11, 1), system_job="tests",
                            values=_values(hub, ("third", 1, "6000000")))
    assert ipc.post("/api/v1/billing-statements/", {"provider": "NQA", "year": 2026,
                                                    "month": 11},
                    content_type=json).status_code == 403
    admin = Client()
    admin.force_login(personas.admin)
    response = admin.post("/api/v1/billing-statements/", {"provider": "NQA", "year": 2026,
                                                          "month": 11}, content_type=json)
    assert response.status_code == 201 and response.json()["total"] == "32.88"
    text = ipc.get(f"/api/v1/billing-statements/{response.json()['id']}/csv/").content.decode()
    assert text.splitlines()[-1] == "total,,,,32.88,"
    pdf = ipc.get(f"/api/v1/billing-statements/{response.json()['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    printed = " ".join(pdf_text(pdf.content).split())
    assert "Model fees for November 2026" in printed
    assert "2026-11-01 6000000.00 1" in printed and "Total 32.88" in printed
    advisor = Client()
    advisor.force_login(personas.advisor)
    assert advisor.get("/api/v1/fee-accruals/").status_code == 403
