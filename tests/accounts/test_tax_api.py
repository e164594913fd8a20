"""Realized lots, wash sales across a tax entity, the lot overlay and the windows, through the
API, from feeds loaded into PostgreSQL (IRS Publication 550 rules)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Account
from rebal.firm_context import firm_context
from tests import feed_files as ff

pytestmark = pytest.mark.django_db


@pytest.fixture
def smith(alice_firm, tmp_path):
    """Sold 100 AAPL at a $3,000 loss on 2026-11-02, bought 60 back on 2026-11-20."""
    files = [
        ("securities_20261001.csv", ff.securities()),
        ("accounts_20261001.csv", ff.accounts()),
        ("tax_lots_20261001.csv", ff.tax_lots([
            ["A-1", ff.AAPL, "AAPL", "L1", "100", "15000.00", "2020-03-02", "", ""],
            ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""]])),
        ("cash_20261001.csv", ff.cash([["A-1", "0", ""], ["A-2", "0", ""], ["B-1", "0", ""]])),
        ("transactions_20261124.csv", ff.transactions([
            ["A-1", "S1", "2026-11-02", "2026-11-03", "sell", ff.AAPL, "", "-100", "120",
             "12000.00", "L1", "-3000.00", ""],
            ["A-1", "B1", "2026-11-20", "2026-11-21", "buy", ff.AAPL, "", "60", "125",
             "-7500.00", "L6", "", ""]])),
        ("tax_lots_20261124.csv", ff.tax_lots([
            ["A-1", ff.AAPL, "AAPL", "L6", "60", "7500.00", "2026-11-20", "", ""],
            ["A-1", ff.MSFT, "", "L2", "50", "9000.50", "2022-06-01", "", ""]])),
        ("cash_20261124.csv", ff.cash([["A-1", "4500", ""], ["A-2", "0", ""], ["B-1", "0", ""]])),
    ]
    for name, data in files:
        ff.write(tmp_path, name, data)
    call_command("load_feeds", "--firm", "ALICE", str(tmp_path), stdout=io.StringIO())
    with firm_context(alice_firm.firm):
        return Account.objects.get(account_number="A-1")


def test_realized_lot_shows_the_partly_disallowed_loss(client, alice_firm, smith):
    client.force_login(alice_firm.admin)
    body = client.get(f"/api/v1/accounts/{smith.pk}/realized/?as_of=2026-11-24").json()
    assert body["problems"] == {}
    [lot] = body["results"]
    assert (lot["lot_id"], lot["security"], lot["term"]) == ("L1", "AAPL", "long")
    assert Decimal(lot["proceeds"]) == Decimal("12000.00")
    assert Decimal(lot["cost_basis"]) == Decimal("15000.00")
    assert Decimal(lot["gain"]) == Decimal("-3000.00")
    # 60 of the 100 shares were replaced within 30 days: 60% of the loss is disallowed.
    assert Decimal(lot["disallowed_loss"]) == Decimal("1800.00")
    assert Decimal(lot["recognized_gain"]) == Decimal("-1200.00")


def test_replacement_lot_carries_the_disallowed_loss_and_holding_period(client, alice_firm,
                                                                       smith):
    client.force_login(alice_firm.admin)
    lots = client.get(f"/api/v1/accounts/{smith.pk}/lots/?as_of=2026-11-24").json()
    aapl = [lot for lot in lots if lot["security"] == "AAPL"]
    assert len(aapl) == 1
    lot = aapl[0]
    assert Decimal(lot["custodian_cost_basis"]) == Decimal("7500.00")  # untouched
    assert Decimal(lot["overlay_basis_adjustment"]) == Decimal("1800.00")
    assert Decimal(lot["adjusted_cost_basis"]) == Decimal("9300.00")
    # Held since 2020-03-02 until the sale on 2026-11-02: carried over, so already long-term.
    assert lot["long_term_from"] <= "2026-11-24"


def test_windows_tell_the_optimizer_when_a_buy_would_wash(client, alice_firm, smith):
    client.force_login(alice_firm.admin)
    windows = client.get(
        f"/api/v1/accounts/{smith.pk}/wash-sale-windows/?as_of=2026-11-24").json()
    aapl = next(w for w in windows if w["security"] == "AAPL")
    assert aapl["buy_blocked_until"] == "2026-12-02"  # 30 days after the loss sale
    assert aapl["loss_sale_blocked_until"] is None  # the 60 bought were used as replacements


def test_other_firm_cannot_read_the_tax_views(client, bob_firm, smith):
    client.force_login(bob_firm.admin)
    for path in ("realized", "lots", "wash-sale-windows"):
        assert client.get(f"/api/v1/accounts/{smith.pk}/{path}/").status_code == 404
