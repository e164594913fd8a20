"""The tax-naive shadow of an analysis: what rebalancing to the same target with taxes ignored
would have realized that day, for the taxes-saved report.

The shadow's trades are the optimizer's on the same problem with taxes ignored (no tax weight,
no loss harvesting, no gain budget, no wash-sale windows). A tax-naive rebalancer leaves the
choice of lots to the custodian's default, first in, first out, so its sales relieve the oldest
lots first: a sale of n shares takes whole lots by acquisition date (then lot id) and a
pro-rata part of the last, the same proceeds and basis arithmetic as the optimizer's own lot
instructions. Pure: no Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from optimizer.core.inputs import AccountSnapshot, Lot, Side, TaxRates, Term
from optimizer.core.outputs import ProposedTrade

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class NaiveShadow:
    """Net realized gains by term (losses netted in), the tax on them, and turnover."""

    short_term_gain: Decimal
    long_term_gain: Decimal
    estimated_tax: Decimal
    turnover: float


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def naive_shadow(*, snapshot: AccountSnapshot, trades: Iterable[ProposedTrade],
                 turnover: float, trade_date: date, tax_rates: TaxRates) -> NaiveShadow:
    """Realized gains and tax of `trades` with first-in-first-out lot relief. A tax-exempt or
    tax-deferred account realizes nothing taxable."""
    if not snapshot.is_taxable:
        return NaiveShadow(ZERO, ZERO, ZERO, turnover)
    lots: dict[str, list[Lot]] = defaultdict(list)
    for lot in snapshot.lots:
        lots[lot.security].append(lot)
    for held in lots.values():
        held.sort(key=lambda lot: (lot.acquired, lot.lot_id))
    gains = {Term.SHORT: ZERO, Term.LONG: ZERO}
    for trade in trades:
        if trade.side != Side.SELL:
            continue
        remaining = trade.shares
        for lot in lots.get(trade.security, ()):
            if remaining <= 0:
                break
            shares = min(remaining, lot.quantity)
            basis = (lot.cost_basis if shares == lot.quantity
                     else lot.cost_basis * shares / lot.quantity)
            gains[lot.term_on(trade_date)] += _cents(shares * trade.price) - _cents(basis)
            remaining -= shares
    rates = {Term.SHORT: Decimal(str(tax_rates.short_term)),
             Term.LONG: Decimal(str(tax_rates.long_term))}
    tax = sum((gain * rates[term] for term, gain in gains.items()), ZERO)
    return NaiveShadow(gains[Term.SHORT], gains[Term.LONG], _cents(tax), turnover)
