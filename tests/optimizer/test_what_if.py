"""The advisor's what-if: an account analyzed under settings not yet saved, over the API; and the
proposals stored for an entity's other accounts reaching an account's wash-sale windows."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Account, AccountSettings
from accounts.settings_resolution import effective_settings
from demo.model_book import model_book_ensure
from demo.services import demo_firm_ensure
from optimizer.account_inputs import account_inputs
from optimizer.models import Analysis
from optimizer.services import account_analyze, account_what_if
from rebal.audit import audit_context
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db
BUSINESS_DATE = date(2026, 11, 24)
JSON = "application/json"


@pytest.fixture
def demo(tmp_path):
    firm, users = demo_firm_ensure(code="WHATIF")
    folder = tmp_path / "feeds"
    call_command("make_demo_feeds", str(folder), "--accounts", "30", "--seed", "7",
                 "--date", BUSINESS_DATE.isoformat(), stdout=io.StringIO())
    call_command("load_feeds", "--firm", firm.code, str(folder), stdout=io.StringIO())
    model_book_ensure(firm=firm)
    return firm, users


def _taxable(firm) -> Account:
    with firm_context(firm):
        return (Account.objects.filter(status="open", tax_status="taxable")
                .exclude(program_code="").order_by("account_number").first())


def test_a_what_if_raises_the_cash_asked_for_and_saves_nothing(demo):
    firm, users = demo
    account = _taxable(firm)
    by = (timezone.localdate() + timedelta(days=10)).isoformat()
    with firm_context(firm):
        history = AccountSettings.history.filter(account_id=account.pk).count()
        before = account_inputs(account, BUSINESS_DATE)
        found = account_what_if(account=account, as_of=BUSINESS_DATE,
                                changes={"cash_to_raise": {"amount": "50000", "by": by}},
                                acting_user=users["overlay_manager"])
        assert effective_settings(account)["cash_to_raise"] is None
        assert AccountSettings.history.filter(account_id=account.pk).count() == history

    result = found.result
    assert found.inputs.settings.cash_to_raise == Decimal("50000.00")
    assert before.settings.cash_to_raise == 0
    assert result.after.cash - result.before.cash >= Decimal("50000") - Decimal("1")
    assert {trade.side for trade in result.trades} >= {"sell"}


def test_the_what_if_endpoint_shows_trades_and_refuses_what_saving_refuses(demo):
    firm, users = demo
    account = _taxable(firm)
    client = Client()
    client.force_login(users["overlay_manager"])
    url = f"/api/v1/account-analyses/{account.pk}/what-if/"
    by = (timezone.localdate() + timedelta(days=10)).isoformat()

    response = client.post(url, {"changes": {"cash_to_raise": {"amount": "50000", "by": by}},
                                 "as_of": BUSINESS_DATE.isoformat()}, content_type=JSON)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account_number"] == account.account_number
    sells = [trade for trade in body["trades"] if trade["side"] == "sell"]
    assert sells and all(trade["explanation"] and trade["lots"] for trade in sells)
    assert Decimal(body["after"]["cash"]) - Decimal(body["before"]["cash"]) >= 49_999
    refused = client.post(url, {"changes": {"do_not_buy": ["NOPE"]}}, content_type=JSON)
    assert refused.status_code == 400
    assert "NOPE" in refused.content.decode()
    # Someone who may only read the account may not run a what-if on it.
    reader = Client()
    reader.force_login(users["compliance"])
    assert reader.post(url, {"changes": {}}, content_type=JSON).status_code == 404


def test_the_latest_analysis_and_its_history_over_the_api(demo):
    firm, users = demo
    account = _taxable(firm)
    client = Client()
    client.force_login(users["compliance"])
    url = f"/api/v1/account-analyses/{account.pk}/"
    assert client.get(url).status_code == 404  # none yet
    with firm_context(firm), audit_context(system_job="test"):
        stored = account_analyze(account=account, as_of=BUSINESS_DATE)
        trades = stored.trades.count()

    body = client.get(url).json()

    assert body["id"] == stored.pk and body["status"] == stored.status
    assert len(body["trades"]) == trades
    assert client.get(url + "history/").json()[0]["id"] == stored.pk


def test_a_loss_sale_stored_tonight_in_another_account_of_the_entity_blocks_the_buy(demo):
    firm, _ = demo
    with firm_context(firm):
        entity_accounts: dict[int, list[Account]] = {}
        for account in (Account.objects.filter(status="open").exclude(tax_entity=None)
                        .order_by("tax_status", "account_number")):
            entity_accounts.setdefault(account.tax_entity_id, []).append(account)
        first, second = next(
            (next(a for a in group if a.tax_status == "taxable"),
             next(a for a in group if a.tax_status != "taxable" or a is not group[0]))
            for group in entity_accounts.values()
            if len(group) > 1 and any(a.tax_status == "taxable" for a in group))
        assert first != second
        held = account_inputs(second, BUSINESS_DATE)
        security = next(iter(held.target.weights))
        wash_key = held.securities[security].wash_key
        assert all(w.key != wash_key or w.buy_blocked_until is None for w in held.wash_windows)
        analysis = Analysis.objects.create(
            account=first, trade_date=BUSINESS_DATE, status="trades", summary="test",
            before={}, after={}, trade_metrics={}, calibration={}, solver={})
        analysis.trades.create(
            firm=firm, security_id=int(security), side="sell", shares=10, price=100,
            value=1000, realized_gain=-200, estimated_tax=-50, explanation="test",
            lots=[{"lot_id": "x", "gain": "-200.00"}])

        after = account_inputs(second, BUSINESS_DATE)
        later = account_inputs(second, BUSINESS_DATE + timedelta(days=1))

    window = next(w for w in after.wash_windows if w.key == wash_key)
    assert window.buy_blocked_until == BUSINESS_DATE + timedelta(days=30)
    assert f"account {first.account_number}" in window.opened_by
    # A proposal of another date is not tonight's.
    assert all(w.key != wash_key or w.buy_blocked_until is None for w in later.wash_windows)
