"""Metrics before and after: drift per asset class, tracking error, turnover, taxes, cash.

Tracking error is ex-ante and annualized: the square root of the tracking variance of the
weights against the target under the risk model (factor part plus specific part, equivalence
sets aggregated), the same measure the optimizer minimizes. Both "before" and "after" net the
open orders in, so "after" minus "before" is what tonight's trades do.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np

from optimizer.core.explain import cents
from optimizer.core.formulation import Formulation
from optimizer.core.inputs import FloatArray, Term
from optimizer.core.outputs import (
    ClassDrift,
    PortfolioMetrics,
    ProposedTrade,
    ReasonCode,
    TradeMetrics,
)

CASH = "Cash"


def tracking_error(f: Formulation, weights: FloatArray) -> float:
    """Ex-ante annualized tracking error of `weights` against the target."""
    return math.sqrt(max(f.tracking_variance(weights), 0.0))


def drift(f: Formulation, weights: FloatArray, cash_weight: float) -> tuple[ClassDrift, ...]:
    """Every asset class's weight against its target, then cash against the target's cash."""
    by_class = np.bincount(f.asset_class, weights, minlength=len(f.asset_classes))
    rows = [ClassDrift(asset_class=name, weight=float(by_class[position]),
                       target=float(f.class_target[position]))
            for position, name in enumerate(f.asset_classes)]
    rows.append(ClassDrift(asset_class=CASH, weight=cash_weight,
                           target=float(1 - f.target.sum())))
    return tuple(rows)


def portfolio(f: Formulation, weights: FloatArray, cash_dollars: Decimal,
              value_dollars: Decimal) -> PortfolioMetrics:
    cash_weight = float(cash_dollars / value_dollars) if value_dollars else 0.0
    return PortfolioMetrics(value=cents(value_dollars), cash=cents(cash_dollars),
                            tracking_error=tracking_error(f, weights),
                            drift=drift(f, weights, cash_weight))


def trade_metrics(f: Formulation, trades: tuple[ProposedTrade, ...]) -> TradeMetrics:
    """Totals over the proposed trades; tax figures are zero in a tax-advantaged account.

    Gains and losses count every sale; `losses_harvested` only the losses of sales made to
    harvest them (reason `HARVEST_LOSS`), not a loss a forced or tracking sale happened to
    realize.
    """
    zero = Decimal(0)
    bought = sum((trade.value for trade in trades if trade.side == "buy"), zero)
    sold = sum((trade.value for trade in trades if trade.side == "sell"), zero)
    gains = {Term.SHORT: zero, Term.LONG: zero}
    losses = {Term.SHORT: zero, Term.LONG: zero}
    harvested = zero
    if f.taxable:
        for trade in trades:
            for relief in trade.lots:
                if relief.gain > 0:
                    gains[relief.term] += relief.gain
                else:
                    losses[relief.term] -= relief.gain
            if ReasonCode.HARVEST_LOSS in trade.reasons:
                harvested -= sum((relief.gain for relief in trade.lots if relief.gain < 0), zero)
    benefit = sum((trade.tracking_benefit + max(-trade.tax_effect, zero) for trade in trades),
                  zero)
    cost = sum((trade.trading_cost + max(trade.tax_effect, zero) for trade in trades), zero)
    return TradeMetrics(
        turnover=float((bought + sold) / 2 / f.value_dollars) if f.value_dollars else 0.0,
        bought=bought, sold=sold,
        short_term_gains=gains[Term.SHORT], short_term_losses=losses[Term.SHORT],
        long_term_gains=gains[Term.LONG], long_term_losses=losses[Term.LONG],
        estimated_tax=sum((trade.estimated_tax for trade in trades), zero),
        losses_harvested=harvested,
        trading_cost=sum((trade.trading_cost for trade in trades), zero),
        cost_benefit_score=float(benefit / cost) if cost > 0 else None)
