"""Generated universes and accounts: for the tests, the calibration panel and the benchmark.

Everything is seeded, so a seed names one universe or account forever. The data is shaped
like the real thing: sector asset classes, a market factor with sector and style factors,
cap-weighted index targets, positions held in several lots with gains and losses of every
age. It is not real data and carries no meaning beyond exercising the optimizer.

One simplification, on purpose: `long_term_from` is the anniversary plus one day, which is
what `accounts.tax.holding_period.long_term_from` gives outside leap-day cases; the app always
uses that function, and the tests that care about the boundary build their lots with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from optimizer.core.inputs import (
    AccountSnapshot,
    Lot,
    RiskModelSlice,
    Security,
    Settings,
    Target,
    TaxSensitivity,
    TaxStatus,
    Tracking,
)

SECTORS = ("Energy", "Materials", "Industrials", "Consumer Discretionary", "Consumer Staples",
           "Health Care", "Financials", "Information Technology", "Communication Services",
           "Utilities", "Real Estate")
STYLES = ("Size", "Value", "Momentum", "Volatility", "Quality", "Yield", "Growth", "Leverage")
TRADE_DATE = date(2026, 11, 24)


@dataclass(frozen=True, eq=False)
class Universe:
    """Securities with prices and sectors, their risk model, and index (cap) weights."""

    securities: dict[str, Security]
    risk: RiskModelSlice
    index_weights: dict[str, float]


def _symbol(number: int) -> str:
    letters = ""
    number += 26 * 26  # three letters at least: AAA, AAB, ...
    while number:
        number, rest = divmod(number, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def long_term_from(acquired: date) -> date:
    """Anniversary + 1 day (see the module docstring for why this is enough here)."""
    first = acquired + timedelta(days=1)
    try:
        return first.replace(year=first.year + 1)
    except ValueError:
        return date(first.year + 1, 3, 1)


def universe(*, seed: int, securities: int = 500, factors: int = 20,
             sectors: int = len(SECTORS), as_of: date = TRADE_DATE) -> Universe:
    """A universe of `securities` stocks in `sectors` sectors with a `factors`-factor model.

    With factors ≥ 1 + sectors the model has a market factor, one factor per sector and style
    factors for the rest; with fewer, the market and style factors only.
    """
    rng = np.random.default_rng(seed)
    sector_names = SECTORS[:sectors]
    sector_of = rng.integers(0, sectors, securities)
    use_sectors = factors >= 1 + sectors
    styles = factors - 1 - (sectors if use_sectors else 0)
    names = ("Market", *(sector_names if use_sectors else ()),
             *(STYLES[i % len(STYLES)] + ("" if i < len(STYLES) else f" {i}")
               for i in range(styles)))
    exposures = np.zeros((securities, factors))
    exposures[:, 0] = rng.normal(1.0, 0.25, securities)
    if use_sectors:
        exposures[np.arange(securities), 1 + sector_of] = 1.0
    exposures[:, factors - styles:] = rng.normal(0.0, 0.6, (securities, styles))
    volatility = np.concatenate([[0.16], rng.uniform(0.04, 0.08, sectors if use_sectors else 0),
                                 rng.uniform(0.02, 0.05, styles)])
    correlation = np.corrcoef(rng.normal(size=(factors, 4 * factors)))
    covariance = np.outer(volatility, volatility) * (0.8 * np.eye(factors) + 0.2 * correlation)
    specific = rng.uniform(0.15, 0.35, securities) ** 2
    keys = tuple(f"S{number:04d}" for number in range(securities))
    prices = np.clip(np.exp(rng.normal(4.0, 0.8, securities)), 5, 2000)
    caps = rng.lognormal(0.0, 1.3, securities)
    book = {key: Security(key=key, symbol=_symbol(number),
                          price=Decimal(f"{prices[number]:.2f}"),
                          asset_class=sector_names[sector_of[number]])
            for number, key in enumerate(keys)}
    risk = RiskModelSlice(as_of=as_of, securities=keys, factors=tuple(names),
                          exposures=exposures, factor_covariance=covariance,
                          specific_variance=specific)
    weights = caps / caps.sum()
    return Universe(securities=book, risk=risk,
                    index_weights={key: float(weights[number])
                                   for number, key in enumerate(keys)})


def account(universe: Universe, *, seed: int, positions: int = 150, lots: int = 400,
            value: float = 1_000_000.0, cash: float = 0.02, drift: float = 0.25,
            tax_status: TaxStatus = TaxStatus.TAXABLE, model_cash: float = 0.01,
            gain_mean: float = 0.25, trade_date: date = TRADE_DATE,
            ) -> tuple[AccountSnapshot, Target]:
    """An account targeted at the universe's index (less `model_cash`), holding `positions`
    names (chosen by cap) in `lots` lots, drifted by a lognormal factor of width `drift`.

    Lots are up to six years old; their bases put the typical lot `gain_mean` in the money,
    with enough spread that about a quarter are at a loss.
    """
    rng = np.random.default_rng(seed)
    keys = list(universe.securities)
    weights = np.array([universe.index_weights[key] for key in keys])
    positions = min(positions, len(keys))
    held = rng.choice(len(keys), positions, replace=False, p=weights / weights.sum())
    held_weight = weights[held] * rng.lognormal(0.0, drift, positions)
    held_weight *= (1 - cash) / held_weight.sum()
    lots = max(lots, positions)
    counts = np.ones(positions, dtype=np.int64)
    extra = rng.choice(positions, lots - positions, p=held_weight / held_weight.sum())
    np.add.at(counts, extra, 1)
    snapshot_lots: list[Lot] = []
    invested = Decimal(0)
    for position, security_index in enumerate(held):
        info = universe.securities[keys[security_index]]
        price = float(info.price)
        parts = rng.dirichlet(np.ones(counts[position]))
        for part_number, part in enumerate(parts):
            shares = max(1, round(value * held_weight[position] * part / price))
            age_days = int(rng.uniform(3, 6 * 365))
            acquired = trade_date - timedelta(days=age_days)
            growth = rng.normal(gain_mean * age_days / 365 / 3, 0.25)
            basis_per_share = price / float(np.exp(growth))
            quantity = Decimal(shares)
            snapshot_lots.append(Lot(
                lot_id=f"{info.key}-{part_number}", security=info.key, quantity=quantity,
                cost_basis=Decimal(f"{basis_per_share * shares:.2f}"), acquired=acquired,
                long_term_from=long_term_from(acquired)))
            invested += quantity * info.price
    cash_dollars = max(Decimal(f"{value:.2f}") - invested, Decimal(0))
    target = Target(weights={key: float(weight * (1 - model_cash))
                             for key, weight in zip(keys, weights, strict=True)})
    snapshot = AccountSnapshot(account=f"A{seed:05d}", tax_status=tax_status,
                               cash=cash_dollars, lots=tuple(snapshot_lots))
    return snapshot, target


def reference_account(seed: int = 7, *, minimum_trade: int = 100,
                      ) -> tuple[Universe, AccountSnapshot, Target, Settings]:
    """The benchmark's reference account (DESIGN §8): 150 positions, 400 lots, a 500-security
    universe, 20 factors; taxable, medium tax sensitivity, normal tracking, $1M."""
    world = universe(seed=seed, securities=500, factors=20)
    snapshot, target = account(world, seed=seed, positions=150, lots=400)
    settings = Settings(tax_sensitivity=TaxSensitivity.MEDIUM, tracking=Tracking.NORMAL,
                        minimum_trade=Decimal(minimum_trade))
    return world, snapshot, target, settings


@dataclass(frozen=True, eq=False)
class PanelAccount:
    """One account of the calibration panel, with its settings but for `tracking`."""

    name: str
    snapshot: AccountSnapshot
    target: Target
    settings: Settings


def calibration_panel() -> tuple[Universe, tuple[PanelAccount, ...]]:
    """The fixed calibration panel: 24 accounts over a 300-security, 20-factor universe.

    Taxable and tax-exempt, every tax sensitivity, loss harvesting on in every other account,
    150–300 of the 300 index names held in up to twice as many lots, drift widths 0.15–0.45,
    lots with gains and losses, $100 minimum trade; no restrictions, budgets or caps (so
    "where the constraints allow" means everywhere here).
    """
    world = universe(seed=2024, securities=300, factors=20)
    sensitivities = tuple(TaxSensitivity)
    accounts: list[PanelAccount] = []
    for number in range(24):
        status = TaxStatus.TAX_EXEMPT if number % 4 == 3 else TaxStatus.TAXABLE
        positions = 150 + (number * 37) % 151  # 150–300 of the 300 names
        snapshot, target = account(world, seed=1000 + number, positions=positions,
                                   lots=positions + (number * 53) % 300,
                                   drift=0.15 + 0.3 * ((number * 5) % 7) / 6,
                                   cash=0.005 + 0.01 * (number % 4), tax_status=status)
        settings = Settings(tax_sensitivity=sensitivities[number % len(sensitivities)],
                            loss_harvesting=number % 2 == 0, minimum_trade=Decimal(100))
        accounts.append(PanelAccount(name=f"panel-{number:02d}", snapshot=snapshot,
                                     target=target, settings=settings))
    return world, tuple(accounts)


def with_tracking(settings: Settings, tracking: Tracking) -> Settings:
    return replace(settings, tracking=tracking)
