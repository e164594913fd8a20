"""Prices and the factor risk model of the demo firm for its business date.

Calendar: business days are weekdays (exchange holidays are ignored). An *offset* counts business
days back from the business date, which is offset 0.

Prices (the prices feed holds the business date and the WINDOW_DAYS business days before it, so
every transaction has a price; lots go back up to 12 years and are priced by `Market.price`):

- The 20 stocks of prices_20_stocks_1990_2022.csv follow their real adjusted closes, shifted so
  that the last real day (2022-12-28) lands on the business date: offset k takes the close k
  trading days before 2022-12-28. Levels are not rescaled (the 2022 closes are realistic prices
  today), so lots acquired up to 12 years back carry the real 2010-2022 path.
- Every other security runs a seeded geometric random walk backwards from its close on the
  business date (stocks: log-uniform in $25-$500; funds: the level in `FUNDS`): daily steps over
  the window, then 21-business-day steps, interpolated geometrically in between. A stock's step is
  beta × market + its sector's shock + a specific shock, so one sector's names move together and
  the specific shocks match the risk model's specific variances; funds follow their asset class
  (large cap: the market; mid and small cap: a levered market; bonds: a rates shock; ...), and the
  share classes of one fund move identically. Money market funds stay at 1.0000.
- Closes are Decimals: 2 decimals, 4 for money market funds.
- Missing on purpose: HALTED_TICKER (SMCI, trading halted) has no price on the business date,
  only on the 60 business days before it.

Risk model (annualized, decimal²), for the business date:

- Factors (FACTORS): MARKET; styles STYLE.SIZE, STYLE.VALUE, STYLE.MOMENTUM; one per GICS sector,
  SECTOR.<NAME> (SECTOR.COMMUNICATION_SERVICES ... SECTOR.UTILITIES); and for funds
  INTL.DEVELOPED, INTL.EMERGING, BOND.RATES, BOND.CREDIT, BOND.MUNI. Real-estate funds load on
  SECTOR.REAL_ESTATE.
- Exposures: stocks have MARKET = their beta, 1 on their sector, and z-scored size (log made-up
  market cap), value and momentum (12-1 month return of the price path); equity funds the
  cap-weighted (large cap) or equal-weighted (mid, small) sector mix and styles of the members;
  international, bond and REIT funds their factor; money market funds a sliver of BOND.RATES.
- Covariance = correlation ∘ (vol volᵀ), the correlation L Lᵀ + diag(1 − ‖Lᵢ‖²) from a few
  latent drivers (cyclical, defensive, rates, risk appetite) with every ‖Lᵢ‖ < 1, so it is
  positive definite by construction; the written (rounded) matrix is checked again by a Cholesky
  factorization. One triangle is written.
- Specific variance: stocks 0.01-0.09 (smaller caps higher), index funds 0.00002-0.0004, money
  market funds 0.000001.
- Left out on purpose, so the proxy logic runs: RISK_MODEL_OMITTED (SOLV, GEV, SW, VLTO, KVUE —
  recent spin-offs the vendor has not covered yet, about 1% of the held securities) have neither
  exposures nor specific variance.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from demo.feeds import seeded_random
from demo.feeds.universe import (
    BOND_AGG,
    BOND_MUNI,
    CASH,
    CASH_EQUIVALENT,
    DATA_DIR,
    INTL_DEV,
    INTL_EM,
    LARGE,
    MID,
    REAL_ESTATE,
    SECTORS,
    SMALL,
    DemoSecurity,
    Universe,
)

PRICES_CSV = DATA_DIR / "prices_20_stocks_1990_2022.csv"
WINDOW_DAYS = 60
HISTORY_STEP_DAYS = 21
BUSINESS_DAYS_PER_YEAR = 261
HISTORY_YEARS = 13
HALTED_TICKER = "SMCI"
RISK_MODEL_OMITTED: tuple[str, ...] = ("SOLV", "GEV", "SW", "VLTO", "KVUE")

CENT = Decimal("0.01")
_MONEY_MARKET_PLACES = Decimal("0.0001")
_EXPOSURE_PLACES = Decimal("0.0001")
_COVARIANCE_PLACES = Decimal("0.0000000001")
_SPECIFIC_PLACES = Decimal("0.000001")

_DAILY_MARKET_DRIFT, _DAILY_MARKET_VOL = 0.0003, 0.0100

# --- factors ---------------------------------------------------------------------------------


def sector_factor(sector: str) -> str:
    return "SECTOR." + sector.upper().replace(" ", "_")


STYLE_FACTORS = ("STYLE.SIZE", "STYLE.VALUE", "STYLE.MOMENTUM")
FUND_FACTORS = ("INTL.DEVELOPED", "INTL.EMERGING", "BOND.RATES", "BOND.CREDIT", "BOND.MUNI")
FACTORS: tuple[str, ...] = ("MARKET", *STYLE_FACTORS, *(sector_factor(s) for s in SECTORS),
                            *FUND_FACTORS)

# Annualized factor volatility, and loadings on latent drivers
# (cyclical, defensive, rates, risk appetite) that make the correlation matrix.
_FACTOR_SHAPE: dict[str, tuple[float, tuple[float, float, float, float]]] = {
    "MARKET": (0.16, (0.2, -0.1, 0.0, 0.6)),
    "STYLE.SIZE": (0.05, (0.3, -0.1, 0.0, 0.3)),
    "STYLE.VALUE": (0.06, (0.5, 0.0, -0.3, 0.0)),
    "STYLE.MOMENTUM": (0.08, (-0.3, 0.2, 0.1, -0.2)),
    "SECTOR.COMMUNICATION_SERVICES": (0.08, (-0.1, 0.0, 0.1, 0.3)),
    "SECTOR.CONSUMER_DISCRETIONARY": (0.07, (0.3, -0.2, 0.0, 0.3)),
    "SECTOR.CONSUMER_STAPLES": (0.07, (-0.2, 0.6, 0.2, -0.1)),
    "SECTOR.ENERGY": (0.16, (0.6, -0.2, -0.2, 0.1)),
    "SECTOR.FINANCIALS": (0.08, (0.5, -0.1, -0.4, 0.1)),
    "SECTOR.HEALTH_CARE": (0.07, (-0.2, 0.5, 0.1, -0.1)),
    "SECTOR.INDUSTRIALS": (0.05, (0.5, 0.0, -0.1, 0.1)),
    "SECTOR.INFORMATION_TECHNOLOGY": (0.09, (-0.2, -0.2, 0.2, 0.4)),
    "SECTOR.MATERIALS": (0.07, (0.6, 0.0, -0.1, 0.1)),
    "SECTOR.REAL_ESTATE": (0.10, (0.1, 0.3, 0.5, 0.0)),
    "SECTOR.UTILITIES": (0.10, (-0.2, 0.5, 0.5, -0.1)),
    "INTL.DEVELOPED": (0.08, (0.2, 0.0, 0.0, 0.4)),
    "INTL.EMERGING": (0.13, (0.3, -0.1, -0.1, 0.5)),
    "BOND.RATES": (0.06, (-0.2, 0.3, 0.7, -0.3)),
    "BOND.CREDIT": (0.03, (0.2, 0.0, 0.2, 0.4)),
    "BOND.MUNI": (0.04, (0.0, 0.2, 0.6, -0.1)),
}
# Mean beta and value score of a sector's stocks.
_SECTOR_BETA = {
    "Communication Services": 1.05, "Consumer Discretionary": 1.15, "Consumer Staples": 0.65,
    "Energy": 1.0, "Financials": 1.1, "Health Care": 0.8, "Industrials": 1.05,
    "Information Technology": 1.25, "Materials": 1.05, "Real Estate": 0.9, "Utilities": 0.55,
}
_SECTOR_VALUE = {
    "Communication Services": -0.3, "Consumer Discretionary": -0.3, "Consumer Staples": 0.2,
    "Energy": 0.7, "Financials": 0.6, "Health Care": 0.0, "Industrials": 0.1,
    "Information Technology": -0.6, "Materials": 0.3, "Real Estate": 0.2, "Utilities": 0.4,
}
# A fund's fixed exposures besides the equity mix (beta on MARKET, fund factors).
_FUND_EXPOSURES: dict[str, dict[str, float]] = {
    LARGE: {}, MID: {"MARKET": 1.05, "STYLE.SIZE": -1.2, "STYLE.VALUE": 0.1},
    SMALL: {"MARKET": 1.15, "STYLE.SIZE": -2.2, "STYLE.VALUE": 0.2},
    INTL_DEV: {"MARKET": 0.8, "INTL.DEVELOPED": 1.0},
    INTL_EM: {"MARKET": 0.85, "INTL.EMERGING": 1.0},
    BOND_AGG: {"BOND.RATES": 1.0, "BOND.CREDIT": 0.3},
    BOND_MUNI: {"BOND.RATES": 0.8, "BOND.MUNI": 1.0},
    REAL_ESTATE: {"MARKET": 0.85, "SECTOR.REAL_ESTATE": 1.0},
    CASH: {"BOND.RATES": 0.02},
}


def factor_covariance() -> list[list[float]]:
    """The annualized factor covariance in FACTORS order (correlation ∘ vol volᵀ)."""
    vols = [_FACTOR_SHAPE[f][0] for f in FACTORS]
    loadings = [_FACTOR_SHAPE[f][1] for f in FACTORS]
    size = len(FACTORS)
    matrix = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(size):
            if i == j:
                correlation = 1.0
            else:
                correlation = sum(a * b for a, b in zip(loadings[i], loadings[j], strict=True))
            matrix[i][j] = correlation * vols[i] * vols[j]
    return matrix


def is_positive_definite(matrix: list[list[float]]) -> bool:
    """True when a Cholesky factorization of the symmetric `matrix` succeeds."""
    size = len(matrix)
    lower = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            total = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if total <= 0:
                    return False
                lower[i][i] = math.sqrt(total)
            else:
                lower[i][j] = total / lower[j][j]
    return True


# --- calendar --------------------------------------------------------------------------------


class BusinessCalendar:
    """Weekdays counted back from the business date: `day(0)` is the business date."""

    def __init__(self, business_date: date, depth: int) -> None:
        if business_date.weekday() >= 5:
            raise ValueError(f"{business_date} is a weekend day, not a business date")
        self.business_date = business_date
        days: list[date] = []
        day = business_date
        while len(days) <= depth:
            if day.weekday() < 5:
                days.append(day)
            day -= timedelta(days=1)
        self.days = days
        self.depth = depth

    def day(self, offset: int) -> date:
        return self.days[offset]

    def offset_of(self, day: date) -> int:
        """The offset of `day`, or of the business day before it; capped at the depth."""
        calendar_days = (self.business_date - day).days
        weeks, remainder = divmod(calendar_days, 7)
        estimate = min(self.depth, max(0, weeks * 5 + remainder * 5 // 7))
        while estimate < self.depth and self.days[estimate] > day:
            estimate += 1
        while estimate > 0 and self.days[estimate - 1] <= day:
            estimate -= 1
        return estimate


# --- prices ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StockProfile:
    """What drives a stock's price path and its risk: beta, specific variance, value score."""

    beta: float
    specific_variance: float
    value_score: float


@dataclass(frozen=True, slots=True)
class _Step:
    """The common shocks of one step of the walk (a day, or HISTORY_STEP_DAYS days)."""

    days: int
    market: float
    sectors: dict[str, float]
    rates: float


def _read_real_closes() -> dict[str, list[float]]:
    with PRICES_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        tickers = next(reader)[1:]
        columns: list[list[float]] = [[] for _ in tickers]
        for row in reader:
            for column, value in zip(columns, row[1:], strict=True):
                column.append(float(value))
    return dict(zip(tickers, columns, strict=True))


def _z_scores(values: dict[str, float]) -> dict[str, float]:
    mean = sum(values.values()) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values.values()) / len(values)) or 1.0
    return {key: (value - mean) / spread for key, value in values.items()}


class Market:
    """Closes over the window and a price for any offset of the calendar, per ticker."""

    def __init__(self, *, universe: Universe, business_date: date, seed: int) -> None:
        self.universe = universe
        self.calendar = BusinessCalendar(business_date,
                                         HISTORY_YEARS * BUSINESS_DAYS_PER_YEAR)
        rng = seeded_random(seed, "market")
        stocks = universe.stocks
        self.size_scores = _z_scores({s.ticker: math.log(s.market_cap) for s in stocks})
        self.profiles: dict[str, StockProfile] = {}
        for stock in stocks:
            specific_vol = min(0.30, max(0.10, 0.19 - 0.035 * self.size_scores[stock.ticker]
                                         + rng.gauss(0, 0.04)))
            self.profiles[stock.ticker] = StockProfile(
                beta=min(2.0, max(0.4, rng.gauss(_SECTOR_BETA[stock.sector], 0.15))),
                specific_variance=specific_vol ** 2,
                value_score=rng.gauss(_SECTOR_VALUE[stock.sector], 0.8))
        history_steps = -(-(self.calendar.depth - WINDOW_DAYS) // HISTORY_STEP_DAYS) + 1
        steps = ([self._step(rng, 1) for _ in range(WINDOW_DAYS)]
                 + [self._step(rng, HISTORY_STEP_DAYS) for _ in range(history_steps)])
        real = _read_real_closes()
        self._real: dict[str, list[float]] = {t: real[t] for t in real if t in universe.by_ticker}
        self._window: dict[str, list[float]] = {}
        self._anchors: dict[str, list[float]] = {}
        self.closes: dict[str, list[Decimal]] = {}
        family_paths: dict[str, list[float]] = {}
        for security in universe.securities:
            if security.ticker in self._real:
                series = self._real[security.ticker]
                log_path = [math.log(series[-1 - offset]) for offset in range(WINDOW_DAYS + 1)]
            elif security.security_type == CASH_EQUIVALENT:
                log_path = [0.0] * (WINDOW_DAYS + 1 + history_steps)
            elif security.identical_group in family_paths:
                # Classes of one fund or one company move together, at their own level.
                first = family_paths[security.identical_group]
                shift = (math.log(security.fund_price) - first[0] if security.is_fund
                         else rng.uniform(-0.02, 0.02))
                log_path = [value + shift for value in first]
            else:
                log_path = self._walk(rng, security, steps)
                if security.identical_group:
                    family_paths[security.identical_group] = log_path
            places = _MONEY_MARKET_PLACES if security.security_type == CASH_EQUIVALENT else CENT
            closes = [max(places, Decimal(math.exp(v)).quantize(places))
                      for v in log_path[:WINDOW_DAYS + 1]]
            self.closes[security.ticker] = closes
            self._window[security.ticker] = [float(c) for c in closes]
            self._anchors[security.ticker] = log_path[WINDOW_DAYS:]

    @staticmethod
    def _step(rng: random.Random, days: int) -> _Step:
        scale = math.sqrt(days)
        return _Step(
            days=days,
            market=rng.gauss(_DAILY_MARKET_DRIFT * days, _DAILY_MARKET_VOL * scale),
            sectors={sector: rng.gauss(0, _FACTOR_SHAPE[sector_factor(sector)][0] / 15.9 * scale)
                     for sector in SECTORS},
            rates=rng.gauss(0, scale))

    def _step_return(self, rng: random.Random, security: DemoSecurity, step: _Step) -> float:
        """The log return of one step for a stock or a (non money market) fund."""
        scale = math.sqrt(step.days)
        if not security.is_fund:
            profile = self.profiles[security.ticker]
            specific = math.sqrt(profile.specific_variance / 252) * scale
            return (profile.beta * step.market + step.sectors[security.sector]
                    + rng.gauss(0, specific))
        tracking = rng.gauss(0, 0.0003 * scale)
        asset_class = security.asset_class
        if asset_class == LARGE:
            move = step.market
        elif asset_class == MID:
            move = 1.05 * step.market + rng.gauss(0, 0.004 * scale)
        elif asset_class == SMALL:
            move = 1.15 * step.market + rng.gauss(0, 0.006 * scale)
        elif asset_class == INTL_DEV:
            move = 0.8 * step.market + rng.gauss(0, 0.005 * scale)
        elif asset_class == INTL_EM:
            move = 0.85 * step.market + rng.gauss(0, 0.008 * scale)
        elif asset_class == BOND_AGG:
            move = -0.03 * step.market + 0.003 * step.rates + 0.00012 * step.days
        elif asset_class == BOND_MUNI:
            move = 0.0025 * step.rates + rng.gauss(0, 0.0008 * scale) + 0.0001 * step.days
        else:  # real estate
            move = (0.85 * step.market + step.sectors["Real Estate"]
                    + rng.gauss(0, 0.003 * scale))
        return move + tracking

    def _walk(self, rng: random.Random, security: DemoSecurity, steps: list[_Step]) -> list[float]:
        """Log prices at offsets 0..WINDOW_DAYS, then every HISTORY_STEP_DAYS further back."""
        start = (security.fund_price if security.is_fund
                 else math.exp(rng.uniform(math.log(25), math.log(500))))
        path = [math.log(start)]
        for step in steps:
            # Walking backwards: the earlier price is the later one less the step's return.
            path.append(path[-1] - self._step_return(rng, security, step))
        return path

    def close(self, ticker: str, offset: int) -> Decimal:
        """The close `offset` business days before the business date (within the window)."""
        return self.closes[ticker][offset]

    def price(self, ticker: str, offset: int) -> float:
        """The price `offset` business days back, for any offset of the calendar."""
        real = self._real.get(ticker)
        if real is not None:
            return real[max(0, len(real) - 1 - offset)]
        if offset <= WINDOW_DAYS:
            return self._window[ticker][offset]
        anchors = self._anchors[ticker]
        position = (offset - WINDOW_DAYS) / HISTORY_STEP_DAYS
        index = int(position)
        if index + 1 >= len(anchors):
            return math.exp(anchors[-1])
        return math.exp(anchors[index] + (anchors[index + 1] - anchors[index]) * (position - index))

    def price_rows(self) -> list[tuple[date, DemoSecurity, Decimal]]:
        """(as_of_date, security, close) for the window, oldest date first; the halted security
        has no row on the business date."""
        rows = []
        for offset in range(WINDOW_DAYS, -1, -1):
            day = self.calendar.day(offset)
            for security in self.universe.securities:
                if offset == 0 and security.ticker == HALTED_TICKER:
                    continue
                rows.append((day, security, self.closes[security.ticker][offset]))
        return rows


# --- risk model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskModel:
    """The risk-model feeds' content, already rounded as written."""

    factors: tuple[str, ...]
    covariance: tuple[tuple[Decimal, ...], ...]
    exposures: dict[str, tuple[tuple[str, Decimal], ...]]  # ticker -> (factor, exposure)
    specific_variance: dict[str, Decimal]


def _weighted_mix(stocks: list[DemoSecurity], weights: list[float],
                  stock_exposures: dict[str, dict[str, float]]) -> dict[str, float]:
    total = sum(weights)
    mix: dict[str, float] = {}
    for stock, weight in zip(stocks, weights, strict=True):
        for factor, exposure in stock_exposures[stock.ticker].items():
            mix[factor] = mix.get(factor, 0.0) + exposure * weight / total
    return mix


def build_risk_model(market: Market, *, seed: int) -> RiskModel:
    rng = seeded_random(seed, "risk")
    universe = market.universe
    stocks = universe.stocks
    value_scores = _z_scores({s.ticker: market.profiles[s.ticker].value_score for s in stocks})
    momentum_scores = _z_scores({
        s.ticker: math.log(market.price(s.ticker, 21) / market.price(s.ticker, 252))
        for s in stocks})
    stock_exposures: dict[str, dict[str, float]] = {}
    for stock in stocks:
        stock_exposures[stock.ticker] = {
            "MARKET": market.profiles[stock.ticker].beta,
            "STYLE.SIZE": market.size_scores[stock.ticker],
            "STYLE.VALUE": value_scores[stock.ticker],
            "STYLE.MOMENTUM": momentum_scores[stock.ticker],
            sector_factor(stock.sector): 1.0,
        }
    large = [s for s in stocks if s.asset_class == LARGE]
    large_mix = _weighted_mix(large, [s.market_cap for s in large], stock_exposures)
    equal_mix = _weighted_mix(stocks, [1.0] * len(stocks), stock_exposures)
    exposures: dict[str, tuple[tuple[str, Decimal], ...]] = {}
    specific: dict[str, Decimal] = {}
    for security in universe.securities:
        if security.ticker in RISK_MODEL_OMITTED:
            continue
        if not security.is_fund:
            raw = stock_exposures[security.ticker]
            variance = market.profiles[security.ticker].specific_variance
        else:
            if security.asset_class == LARGE:
                raw = dict(large_mix)
            elif security.asset_class in (MID, SMALL):
                raw = {f: v for f, v in equal_mix.items() if f.startswith("SECTOR.")}
            else:
                raw = {}
            raw.update(_FUND_EXPOSURES[security.asset_class])
            if security.security_type == CASH_EQUIVALENT:
                variance = 0.000001
            elif security.asset_class in (BOND_AGG, BOND_MUNI):
                variance = rng.uniform(0.00002, 0.0001)
            else:
                variance = rng.uniform(0.0001, 0.0004)
        rounded = tuple((factor, Decimal(raw[factor]).quantize(_EXPOSURE_PLACES))
                        for factor in FACTORS if factor in raw)
        exposures[security.ticker] = tuple((f, e) for f, e in rounded if e != 0)
        specific[security.ticker] = Decimal(variance).quantize(_SPECIFIC_PLACES)
    covariance = tuple(tuple(Decimal(value).quantize(_COVARIANCE_PLACES) for value in row)
                       for row in factor_covariance())
    if not is_positive_definite([[float(v) for v in row] for row in covariance]):
        raise ValueError("the demo factor covariance is not positive definite")
    return RiskModel(factors=FACTORS, covariance=covariance, exposures=exposures,
                     specific_variance=specific)
