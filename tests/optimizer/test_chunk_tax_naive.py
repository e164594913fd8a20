"""The tax-naive shadow relieves lots first in, first out: a worked example."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from optimizer.core.inputs import AccountSnapshot, Lot, Side, TaxRates, TaxStatus
from optimizer.core.outputs import ProposedTrade
from optimizer.tax_naive import naive_shadow

TRADE_DATE = date(2026, 11, 24)
RATES = TaxRates(short_term=0.40, long_term=0.20)


def _sell(security: str, shares: str, price: str) -> ProposedTrade:
    zero = Decimal(0)
    return ProposedTrade(
        security=security, symbol=security, asset_class="EQ", side=Side.SELL,
        shares=Decimal(shares), price=Decimal(price), value=Decimal(shares) * Decimal(price),
        lots=(), realized_gain=zero, estimated_tax=zero, trading_cost=zero,
        tracking_benefit=zero, tax_effect=zero, cost_benefit_score=None, reasons=(),
        explanation="")


def _snapshot(status: TaxStatus) -> AccountSnapshot:
    return AccountSnapshot(account="A1", tax_status=status, cash=Decimal(0), lots=(
        # Listed newest first: FIFO must still take the 2020 lot first.
        Lot("L3", "1", Decimal(10), Decimal("1500.00"), date(2026, 6, 1), date(2027, 6, 2)),
        Lot("L1", "1", Decimal(10), Decimal("500.00"), date(2020, 3, 2), date(2021, 3, 3)),
        Lot("L2", "1", Decimal(10), Decimal("2000.00"), date(2025, 11, 24), date(2026, 11, 25)),
        Lot("L9", "2", Decimal(4), Decimal("100.00"), date(2026, 1, 5), date(2027, 1, 6)),
    ))


def test_sales_relieve_the_oldest_lots_first_and_tax_each_term_at_its_rate():
    trades = [_sell("1", "15", "120"), _sell("2", "4", "20")]
    shadow = naive_shadow(snapshot=_snapshot(TaxStatus.TAXABLE), trades=trades, turnover=0.1,
                          trade_date=TRADE_DATE, tax_rates=RATES)
    # Security 1: all of L1 (2020, long term): 1,200 − 500 = +700; then 5 of L2 (bought
    # 2025-11-24, long term only from 2026-11-25: short term today): 600 − 1,000 = −400.
    # Security 2: L9, short term: 80 − 100 = −20.
    assert shadow.long_term_gain == Decimal("700.00")
    assert shadow.short_term_gain == Decimal("-420.00")
    assert shadow.estimated_tax == Decimal("700") * Decimal("0.2") + Decimal("-420") * \
        Decimal("0.4")
    assert shadow.turnover == 0.1


def test_a_tax_advantaged_account_realizes_nothing_taxable():
    shadow = naive_shadow(snapshot=_snapshot(TaxStatus.TAX_EXEMPT),
                          trades=[_sell("1", "15", "120")], turnover=0.05,
                          trade_date=TRADE_DATE, tax_rates=RATES)
    assert (shadow.short_term_gain, shadow.long_term_gain, shadow.estimated_tax) == (0, 0, 0)
    assert shadow.turnover == 0.05
