"""The cost of moving one account to a new target, estimated without the optimizer: the
tax-naive rebalance (every holding traded to its target weight of the account's value, cash
included), selling the highest-basis lots first so the realized gain is the smallest a plain
sale could give. Turnover is the larger of what is sold and bought; the estimated tax is the
short- and long-term net gains at the account's combined rates (a net loss saves nothing here).
Equivalence sets are not substituted: a holding of an equivalent counts as off target. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class EstimateLot:
    security_id: int
    quantity: Decimal
    cost_basis: Decimal
    long_term_from: date


@dataclass(frozen=True, slots=True)
class MoveEstimate:
    value: Decimal
    turnover_value: Decimal
    short_term_gain: Decimal
    long_term_gain: Decimal
    estimated_tax: Decimal

    @property
    def realized_gain(self) -> Decimal:
        return self.short_term_gain + self.long_term_gain


def move_estimate(*, lots: Sequence[EstimateLot], cash: Decimal, prices: Mapping[int, Decimal],
                  target: Mapping[int, Decimal], as_of: date, short_term_rate: Decimal,
                  long_term_rate: Decimal) -> MoveEstimate:
    """The tax-naive move of an account (its lots and cash at `prices`) to `target`
    ({security id: weight}; the rest is cash)."""
    held: dict[int, Decimal] = {}
    for lot in lots:
        held[lot.security_id] = held.get(lot.security_id, ZERO) + lot.quantity * prices[
            lot.security_id]
    value = sum(held.values(), ZERO) + cash
    sold = bought = short = long = ZERO
    for security_id in sorted(set(held) | set(target)):
        want = value * target.get(security_id, ZERO)
        have = held.get(security_id, ZERO)
        if want > have:
            bought += want - have
            continue
        to_sell = have - want
        if to_sell <= 0:
            continue
        sold += to_sell
        price = prices[security_id]
        mine = sorted((lot for lot in lots if lot.security_id == security_id),
                      key=lambda lot: -(lot.cost_basis / lot.quantity))
        for lot in mine:
            if to_sell <= 0:
                break
            shares = min(lot.quantity, to_sell / price)
            gain = shares * price - lot.cost_basis * shares / lot.quantity
            if lot.long_term_from <= as_of:
                long += gain
            else:
                short += gain
            to_sell -= shares * price
    tax = max(short * short_term_rate + long * long_term_rate, ZERO)
    return MoveEstimate(value.quantize(CENT), max(sold, bought).quantize(CENT),
                        short.quantize(CENT), long.quantize(CENT), tax.quantize(CENT))
