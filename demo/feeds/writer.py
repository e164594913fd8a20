"""The demo firm as feed files: one CSV per feed, named `<feed>_<YYYYMMDD>.csv` (FEEDS.md).

Every feed is dated the business date, and the custodian's snapshot at the start of the
transaction window is written too, as `tax_lots_<start>.csv` and `cash_<start>.csv` dated the
business day before the window (see `demo.feeds.book`): start snapshot + transactions = the
business date's snapshot.

Written as a custodian writes them: UTF-8, comma-separated, `"` quoting where a value needs it,
one header row with the FEEDS.md column names, `\\n` line ends. Fixed decimals: money 2, closes 2
(money market funds 4), quantities by security (whole shares 0, mutual funds 3, money market 2),
exposures 4, specific variances 6, covariances 10, model weights 8. Optional values that do not
apply are blank. Each file is written under a `.part` name and renamed once complete, so an inbox
never reads half a file. corporate_actions holds its header only: the demo book has no events.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from demo.feeds.book import Book, CashBalance, TaxLot, build_book
from demo.feeds.market import Market, RiskModel, build_risk_model
from demo.feeds.restrictions import Restriction, build_restrictions
from demo.feeds.universe import (
    CASH_EQUIVALENT,
    DemoSecurity,
    SecurityModel,
    Universe,
    load_universe,
    security_models,
)

FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "securities": ("cusip", "ticker", "name", "security_type", "asset_class", "sector",
                   "currency", "isin", "identical_group"),
    "prices": ("as_of_date", "cusip", "ticker", "close"),
    "accounts": ("account_number", "account_name", "household_code", "tax_entity", "advisor",
                 "registration", "tax_status", "status", "discretionary",
                 "approved_for_trading", "program", "opened_date", "x_tier", "x_family"),
    "tax_lots": ("account_number", "cusip", "ticker", "lot_id", "quantity", "cost_basis",
                 "acquired_date", "holding_period_start", "wash_sale_adjustment"),
    "cash": ("account_number", "cash", "pending_withdrawal"),
    "transactions": ("account_number", "transaction_id", "trade_date", "settle_date", "type",
                     "cusip", "ticker", "quantity", "price", "amount", "lot_id",
                     "realized_gain", "cancels"),
    "corporate_actions": ("action_id", "type", "effective_date", "pay_date", "tax_treatment",
                          "old_cusip", "old_ticker", "new_cusip", "new_ticker", "new_name",
                          "ratio_from", "ratio_to", "cash_per_share", "basis_allocation_pct",
                          "cash_in_lieu", "cash_in_lieu_price", "description"),
    "restrictions": ("list_code", "list_name", "cusip", "ticker", "reason"),
    "risk_exposures": ("as_of_date", "cusip", "ticker", "factor", "exposure"),
    "risk_covariance": ("as_of_date", "factor_1", "factor_2", "covariance"),
    "risk_specific": ("as_of_date", "cusip", "ticker", "specific_variance"),
    "models": ("model_code", "model_name", "provider_code", "as_of_date", "cusip", "ticker",
               "weight"),
}

Row = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """A feed file the generator wrote and how many data rows it holds."""

    feed: str
    path: Path
    rows: int


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _quantity(security: DemoSecurity, value: Decimal | None) -> str:
    return "" if value is None else f"{value:.{security.quantity_decimals}f}"


def _close(security: DemoSecurity, value: Decimal) -> str:
    return f"{value:.4f}" if security.security_type == CASH_EQUIVALENT else f"{value:.2f}"


def _flag(value: bool) -> str:
    return "Y" if value else "N"


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def security_rows(universe: Universe) -> Iterator[Row]:
    for s in universe.securities:
        yield (s.cusip, s.ticker, s.name, s.security_type, s.asset_class, s.sector, "USD",
               s.isin, s.identical_group)


def price_rows(market: Market) -> Iterator[Row]:
    for day, security, close in market.price_rows():
        yield day.isoformat(), security.cusip, security.ticker, _close(security, close)


def account_rows(book: Book) -> Iterator[Row]:
    for a in book.accounts:
        household = a.household
        yield (a.number, a.name, household.code, household.tax_entity, household.advisor,
               a.registration, a.tax_status, a.status, _flag(a.discretionary),
               _flag(a.approved_for_trading), a.program, a.opened.isoformat(), household.tier,
               household.surname)


def lot_rows(lots: list[TaxLot]) -> Iterator[Row]:
    for lot in lots:
        security = lot.security
        yield (lot.account_number, security.cusip, security.ticker, lot.lot_id,
               _quantity(security, lot.quantity), _money(lot.cost_basis), lot.acquired.isoformat(),
               _day(lot.holding_period_start), _money(lot.wash_sale_adjustment))


def cash_rows(balances: list[CashBalance]) -> Iterator[Row]:
    for balance in balances:
        yield balance.account_number, _money(balance.cash), _money(balance.pending_withdrawal)


def transaction_rows(book: Book) -> Iterator[Row]:
    for t in book.transactions:
        security = t.security
        if security is None:
            identifiers, quantity, price = ("", ""), "", ""
        else:
            identifiers = (security.cusip, security.ticker)
            quantity = _quantity(security, t.quantity)
            price = "" if t.price is None else _close(security, t.price)
        yield (t.account_number, t.transaction_id, t.trade_date.isoformat(),
               t.settle_date.isoformat(), t.type, *identifiers, quantity, price,
               _money(t.amount), t.lot_id, _money(t.realized_gain), t.cancels)


def restriction_rows(restrictions: list[Restriction]) -> Iterator[Row]:
    for r in restrictions:
        yield r.list_code, r.list_name, r.security.cusip, r.security.ticker, r.reason


def exposure_rows(risk: RiskModel, universe: Universe, as_of: str) -> Iterator[Row]:
    for security in universe.securities:
        for factor, exposure in risk.exposures.get(security.ticker, ()):
            yield as_of, security.cusip, security.ticker, factor, f"{exposure:.4f}"


def covariance_rows(risk: RiskModel, as_of: str) -> Iterator[Row]:
    """The upper triangle with the diagonal: a loader mirrors it."""
    for i, first in enumerate(risk.factors):
        for j in range(i, len(risk.factors)):
            yield as_of, first, risk.factors[j], f"{risk.covariance[i][j]:.10f}"


def specific_rows(risk: RiskModel, universe: Universe, as_of: str) -> Iterator[Row]:
    for security in universe.securities:
        variance = risk.specific_variance.get(security.ticker)
        if variance is not None:
            yield as_of, security.cusip, security.ticker, f"{variance:.6f}"


def model_rows(models: list[SecurityModel], as_of: str) -> Iterator[Row]:
    for model in models:
        for security, weight in model.weights:
            yield (model.code, model.name, model.provider_code, as_of, security.cusip,
                   security.ticker, f"{weight:.8f}")


def feed_file_name(feed: str, business_date: date) -> str:
    return f"{feed}_{business_date:%Y%m%d}.csv"


def write_feed(outdir: Path, feed: str, business_date: date, rows: Iterable[Row]) -> WrittenFile:
    """One feed file, written under `.part` and renamed into place when complete."""
    path = outdir / feed_file_name(feed, business_date)
    partial = path.with_name(path.name + ".part")
    count = 0
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FEED_COLUMNS[feed])
        for row in rows:
            writer.writerow(row)
            count += 1
    os.replace(partial, path)
    return WrittenFile(feed=feed, path=path, rows=count)


def demo_book(*, accounts: int, seed: int, business_date: date) -> Book:
    """The book `write_demo_feeds` writes for the same arguments (its planted wash sales, ...)."""
    universe = load_universe()
    market = Market(universe=universe, business_date=business_date, seed=seed)
    return build_book(universe=universe, market=market, accounts=accounts, seed=seed)


def write_demo_feeds(*, outdir: Path, accounts: int, seed: int,
                     business_date: date) -> list[WrittenFile]:
    """Every feed of a demo firm of `accounts` accounts as of `business_date`, and the start
    of the window's lot and cash snapshot, into `outdir`."""
    outdir.mkdir(parents=True, exist_ok=True)
    universe = load_universe()
    market = Market(universe=universe, business_date=business_date, seed=seed)
    risk = build_risk_model(market, seed=seed)
    book = build_book(universe=universe, market=market, accounts=accounts, seed=seed)
    as_of = business_date.isoformat()
    opening = [write_feed(outdir, "tax_lots", book.opening_date, lot_rows(book.opening_lots)),
               write_feed(outdir, "cash", book.opening_date, cash_rows(book.opening_cash))]
    feeds: list[tuple[str, Iterable[Row]]] = [
        ("securities", security_rows(universe)),
        ("prices", price_rows(market)),
        ("accounts", account_rows(book)),
        ("tax_lots", lot_rows(book.lots)),
        ("cash", cash_rows(book.cash)),
        ("transactions", transaction_rows(book)),
        ("corporate_actions", ()),
        ("restrictions", restriction_rows(build_restrictions(universe, seed=seed))),
        ("risk_exposures", exposure_rows(risk, universe, as_of)),
        ("risk_covariance", covariance_rows(risk, as_of)),
        ("risk_specific", specific_rows(risk, universe, as_of)),
        ("models", model_rows(security_models(universe), as_of)),
    ]
    return [*opening, *(write_feed(outdir, feed, business_date, rows) for feed, rows in feeds)]
