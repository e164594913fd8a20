"""Taxes saved: the method, as arithmetic on one account's realized gains. Pure: no Django.

For each day in the period on which the account traded, the nightly cycle stored what the
tax-aware analysis realizes (short- and long-term gains and losses of its proposed sales) and
what a tax-naive rebalance to the same target would have realized that day (the shadow,
`optimizer.tax_naive`). Both are summed by calendar year and taxed as a return would tax them
(`year_tax`): short- and long-term netted within and across terms, a net capital loss deducted
from ordinary income up to $3,000 a year ($1,500 married filing separately) and the rest
carried to the next year keeping its term. Taxes saved = the naive tax − the tax-aware tax.

What is saved is split in two (`split_saved`):
- **deferred**: gain the tax-aware account has not realized (or loss it realized early) is
  still in the portfolio, in a lower cost basis; it is taxed when sold later. We assume then at
  the long-term rate, so the difference in the net amount taxed × the long-term rate is tax
  postponed, not avoided;
- **permanently saved**: the rest, the difference in rate. Short-term gain avoided (or
  short-term loss harvested and deducted) saves the short-term rate now but costs only the
  long-term rate later: (short-term rate − long-term rate) × the difference in the net amount
  taxed at the short-term rate (short-term gains less losses deducted from ordinary income,
  which this estimate taxes at the short-term rate too).
Losses still carried forward at the end of the period have saved nothing yet; they are
reported as the carryforward, not as taxes saved.

The period starts, on both sides alike, with the tax entity's configured capital-loss
carryforwards (`carried_in`); a taxpayer's carryforward is shared among the entity's taxable
accounts in proportion to their value (`allocate_carryforward`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

ZERO = Decimal(0)
CENT = Decimal("0.01")
LOSS_LIMIT = Decimal(3000)
LOSS_LIMIT_MARRIED_SEPARATELY = Decimal(1500)


class SettingValues(Protocol):
    """Effective settings, or any mapping of setting name to value."""

    def __getitem__(self, name: str) -> Any: ...


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


@dataclass(frozen=True)
class Rates:
    """Combined marginal rates as fractions: federal + state (+ NIIT where it applies)."""

    short_term: Decimal
    long_term: Decimal

    @classmethod
    def from_settings(cls, values: SettingValues) -> Rates:
        """From effective settings (percent values: federal and state rates, the NIIT flag)."""
        get = values.__getitem__
        niit = ZERO if get("net_investment_income_tax") is False else Decimal("3.8")
        return cls(
            short_term=(get("federal_short_term_rate") + get("state_short_term_rate") + niit)
            / 100,
            long_term=(get("federal_long_term_rate") + get("state_long_term_rate") + niit) / 100)


def loss_limit(filing_status: str) -> Decimal:
    """The most net capital loss a year deducts from ordinary income (IRC §1211(b))."""
    return LOSS_LIMIT_MARRIED_SEPARATELY if filing_status == "married_separate" else LOSS_LIMIT


@dataclass(frozen=True)
class Realized:
    """Net realized gain of a year by term (negative: a net loss)."""

    short_term: Decimal = ZERO
    long_term: Decimal = ZERO

    def __add__(self, other: Realized) -> Realized:
        return Realized(self.short_term + other.short_term, self.long_term + other.long_term)


@dataclass(frozen=True)
class Carryforward:
    """Capital losses carried into a year, by term (positive amounts)."""

    short_term: Decimal = ZERO
    long_term: Decimal = ZERO


def allocate_carryforward(carryforward: Carryforward,
                          weights: dict[int, Decimal]) -> dict[int, Carryforward]:
    """Share a taxpayer's carryforward among its accounts in proportion to `weights` (their
    values; equally when none has one), in cents, the last account taking what rounding left
    so that the shares add up to the whole."""
    if not weights:
        return {}
    total = sum(weights.values(), ZERO)
    keys = sorted(weights)
    shares = {k: (weights[k] / total if total else Decimal(1) / len(keys)) for k in keys}
    found: dict[int, Carryforward] = {}
    short_left, long_left = carryforward.short_term, carryforward.long_term
    for key in keys[:-1]:
        part = Carryforward(cents(carryforward.short_term * shares[key]),
                            cents(carryforward.long_term * shares[key]))
        found[key] = part
        short_left -= part.short_term
        long_left -= part.long_term
    found[keys[-1]] = Carryforward(short_left, long_left)
    return found


@dataclass(frozen=True)
class YearTax:
    """How a year's gains are taxed: the amount taxed at each rate, the loss deducted from
    ordinary income, the tax, and the losses carried to the next year."""

    taxed_short_term: Decimal
    taxed_long_term: Decimal
    loss_deducted: Decimal
    tax: Decimal
    carried: Carryforward

    @property
    def net_taxed(self) -> Decimal:
        """The net amount the year taxes (gains taxed less the loss deducted)."""
        return self.taxed_short_term + self.taxed_long_term - self.loss_deducted


def year_tax(realized: Realized, carried_in: Carryforward, *, rates: Rates,
             limit: Decimal) -> YearTax:
    """Schedule D netting: each term nets its own gains and losses (carryforwards included); a
    net loss in one term offsets a net gain in the other; what is left as a net loss is
    deducted from ordinary income up to `limit`, short-term loss first, and the rest carries
    forward keeping its term. The deduction is valued at the short-term rate."""
    short = realized.short_term - carried_in.short_term
    long = realized.long_term - carried_in.long_term
    if short >= 0 and long >= 0:
        taxed_short, taxed_long, deducted = short, long, ZERO
        carried = Carryforward()
    elif short < 0 <= long or long < 0 <= short:
        total = short + long
        if total >= 0:
            taxed_short, taxed_long = (total, ZERO) if short > 0 else (ZERO, total)
            deducted, carried = ZERO, Carryforward()
        else:
            taxed_short = taxed_long = ZERO
            deducted = min(-total, limit)
            left = -total - deducted
            carried = Carryforward(left, ZERO) if short < 0 else Carryforward(ZERO, left)
    else:
        taxed_short = taxed_long = ZERO
        deducted = min(-short - long, limit)
        from_short = min(-short, deducted)
        carried = Carryforward(-short - from_short, -long - (deducted - from_short))
    tax = cents((taxed_short - deducted) * rates.short_term + taxed_long * rates.long_term)
    return YearTax(taxed_short, taxed_long, deducted, tax, carried)


@dataclass(frozen=True)
class Saved:
    """Taxes saved over a period, and how: deferred or permanently saved."""

    tax_aware: Decimal
    tax_naive: Decimal
    saved: Decimal
    deferred: Decimal
    permanent: Decimal
    carryforward: Carryforward  # the tax-aware side's losses still carried at the end


def split_saved(aware: Iterable[YearTax], naive: Iterable[YearTax], *, rates: Rates) -> Saved:
    """Sum the years of both sides and split what is saved (see the module docstring)."""
    aware, naive = list(aware), list(naive)
    aware_tax = sum((year.tax for year in aware), ZERO)
    naive_tax = sum((year.tax for year in naive), ZERO)
    postponed = (sum((year.net_taxed for year in naive), ZERO)
                 - sum((year.net_taxed for year in aware), ZERO))
    saved = naive_tax - aware_tax
    deferred = cents(postponed * rates.long_term)
    carried = aware[-1].carried if aware else Carryforward()
    return Saved(aware_tax, naive_tax, saved, deferred, saved - deferred, carried)


def taxes_saved(years: Iterable[tuple[Realized, Realized]], *, rates: Rates,
                filing_status: str,
                carried_in: Carryforward = Carryforward()) -> Saved:
    """Taxes saved over consecutive calendar years, each given as (tax-aware, tax-naive)
    realized gains; each side carries its own losses from year to year."""
    limit = loss_limit(filing_status)
    aware_years: list[YearTax] = []
    naive_years: list[YearTax] = []
    aware_carry = naive_carry = carried_in
    for aware, naive in years:
        aware_years.append(year_tax(aware, aware_carry, rates=rates, limit=limit))
        naive_years.append(year_tax(naive, naive_carry, rates=rates, limit=limit))
        aware_carry, naive_carry = aware_years[-1].carried, naive_years[-1].carried
    return split_saved(aware_years, naive_years, rates=rates)
