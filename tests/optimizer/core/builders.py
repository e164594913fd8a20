"""A small named universe and one-line builders for the optimizer's scenario tests.

Twelve securities in five asset classes, a six-factor model, and SPY / IVV / VOO as one
equivalence set with identical exposures. Prices are round numbers so expected dollars are
easy to read. Lots take their long-term date from `accounts.tax.holding_period`, exactly as the
app does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import numpy as np

from accounts.tax.holding_period import long_term_from
from optimizer.core.analyze import analyze
from optimizer.core.inputs import (
    AccountSnapshot,
    Costs,
    EquivalenceSet,
    Lot,
    OpenOrder,
    RiskModelSlice,
    Security,
    Settings,
    Target,
    TaxRates,
    TaxStatus,
    WashWindow,
)
from optimizer.core.outputs import Analysis

TRADE_DATE = date(2026, 11, 24)
RATES = TaxRates(short_term=0.408, long_term=0.238)
COSTS = Costs(commission_rate=0.0, default_half_spread=0.0005)
LARGE_CAP = EquivalenceSet(name="S&P 500 trackers", members=("SPY", "IVV", "VOO"))

FACTORS = ("Market", "Energy", "Technology", "Financials", "Real Estate", "Value")
# symbol: (price, asset class, exposures, specific volatility)
UNIVERSE: dict[str, tuple[str, str, tuple[float, ...], float]] = {
    "XOM": ("110.00", "Energy", (0.9, 1.0, 0.0, 0.0, 0.0, 0.6), 0.22),
    "CVX": ("150.00", "Energy", (0.95, 1.0, 0.0, 0.0, 0.0, 0.5), 0.22),
    "COP": ("100.00", "Energy", (1.1, 1.0, 0.0, 0.0, 0.0, 0.4), 0.26),
    "AAPL": ("200.00", "Information Technology", (1.2, 0.0, 1.0, 0.0, 0.0, -0.5), 0.24),
    "MSFT": ("400.00", "Information Technology", (1.1, 0.0, 1.0, 0.0, 0.0, -0.4), 0.22),
    "JPM": ("200.00", "Financials", (1.1, 0.0, 0.0, 1.0, 0.0, 0.5), 0.20),
    "BAC": ("40.00", "Financials", (1.2, 0.0, 0.0, 1.0, 0.0, 0.6), 0.25),
    "SPY": ("600.00", "US Large Cap", (1.0, 0.04, 0.3, 0.12, 0.02, 0.0), 0.01),
    "IVV": ("600.00", "US Large Cap", (1.0, 0.04, 0.3, 0.12, 0.02, 0.0), 0.01),
    "VOO": ("550.00", "US Large Cap", (1.0, 0.04, 0.3, 0.12, 0.02, 0.0), 0.01),
    "VNQ": ("90.00", "Real Estate", (0.8, 0.0, 0.0, 0.0, 1.0, 0.3), 0.15),
    "PLD": ("110.00", "Real Estate", (0.9, 0.0, 0.0, 0.0, 1.0, 0.2), 0.24),
}


def _world() -> tuple[dict[str, Security], RiskModelSlice]:
    keys = tuple(UNIVERSE)
    securities = {key: Security(key=key, symbol=key, price=Decimal(price), asset_class=klass)
                  for key, (price, klass, _, _) in UNIVERSE.items()}
    volatility = np.array([0.16, 0.08, 0.07, 0.06, 0.07, 0.04])
    correlation = np.full((6, 6), 0.1) + 0.9 * np.eye(6)
    risk = RiskModelSlice(
        as_of=TRADE_DATE, securities=keys, factors=FACTORS,
        exposures=np.array([UNIVERSE[key][2] for key in keys]),
        factor_covariance=np.outer(volatility, volatility) * correlation,
        specific_variance=np.array([UNIVERSE[key][3] ** 2 for key in keys]))
    return securities, risk


SECURITIES, RISK = _world()


def price(symbol: str) -> Decimal:
    return SECURITIES[symbol].price


def lot(symbol: str, shares: int | str, basis_per_share: str | float, acquired: date,
        lot_id: str | None = None) -> Lot:
    """A lot of `shares` bought at `basis_per_share` on `acquired`."""
    quantity = Decimal(shares)
    return Lot(lot_id=lot_id or f"{symbol}-{acquired:%Y%m%d}", security=symbol,
               quantity=quantity,
               cost_basis=(quantity * Decimal(str(basis_per_share))).quantize(Decimal("0.01")),
               acquired=acquired, long_term_from=long_term_from(acquired))


def account(lots: Sequence[Lot], cash: int | str = 0,
            status: TaxStatus = TaxStatus.TAXABLE, name: str = "A-1") -> AccountSnapshot:
    return AccountSnapshot(account=name, tax_status=status, cash=Decimal(cash),
                           lots=tuple(lots))


def target(weights: Mapping[str, float], *, sets: Sequence[EquivalenceSet] = (LARGE_CAP,),
           ) -> Target:
    return Target(weights=dict(weights), equivalence_sets=tuple(sets))


def run(snapshot: AccountSnapshot, goal: Target, settings: Settings | None = None, *,
        trade_date: date = TRADE_DATE, wash_windows: Sequence[WashWindow] = (),
        open_orders: Sequence[OpenOrder] = (), costs: Costs = COSTS) -> Analysis:
    return analyze(snapshot, goal, settings or Settings(), RISK, securities=SECURITIES,
                   costs=costs, tax_rates=RATES, trade_date=trade_date,
                   wash_windows=wash_windows, open_orders=open_orders)


def trades_of(analysis: Analysis) -> dict[tuple[str, str], Decimal]:
    """(symbol, side) → shares."""
    return {(trade.symbol, trade.side.value): trade.shares for trade in analysis.trades}


def trade(analysis: Analysis, symbol: str, side: str):
    matches = [item for item in analysis.trades
               if item.symbol == symbol and item.side.value == side]
    assert matches, f"no {side} of {symbol} in {trades_of(analysis)}"
    return matches[0]
