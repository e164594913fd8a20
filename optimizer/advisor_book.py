"""Reads behind the advisor's pages: their accounts with each latest analysis's drift, cash and
proposed trades (the whole book read in one query, then filtered, sorted and totalled), an
account's lots valued with their unrealized gains, and an analysis's weights against target for
the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models import Account
from accounts.selectors import holdings
from accounts.tax.holding_period import long_term_from
from dataops.models import Price
from rebal.charts import WeightBar

# Each account of the book (the scope's SQL, evaluated once) with its latest analysis (by trade
# date, then id) through one LATERAL join: its date, status, value, cash, largest drift of any
# asset class before trading (from the stored drift rows), drift band and number of proposed
# trades; and the ranks of its number and household name in the database's collation, so that
# sorting by them in Python keeps the database's order. Fixed SQL around the scope's own.
_BOOK = (
    "SELECT ac.id, ac.household_id, ac.account_number, ac.name, h.name,"
    " dense_rank() OVER (ORDER BY ac.account_number),"
    " dense_rank() OVER (ORDER BY h.name),"
    " l.id, l.trade_date, l.status, l.value, l.cash, l.largest_drift, l.band,"
    " coalesce(l.trade_count, 0)"
    " FROM accounts_account ac JOIN accounts_household h ON h.id = ac.household_id"
    " LEFT JOIN LATERAL (SELECT a.id, a.trade_date, a.status,"
    " (a.before->>'value')::numeric(20, 2) AS value, (a.before->>'cash')::numeric(20, 2) AS cash,"
    " (SELECT max(abs((d->>'weight')::float8 - (d->>'target')::float8))"
    " FROM jsonb_array_elements(a.before->'drift') d) AS largest_drift,"
    " (a.calibration->>'asset_class_band')::float8 AS band,"
    " (SELECT count(*) FROM optimizer_proposedtrade t WHERE t.analysis_id = a.id) AS trade_count"
    " FROM optimizer_analysis a WHERE a.firm_id = ac.firm_id AND a.account_id = ac.id"
    " ORDER BY a.trade_date DESC, a.id DESC LIMIT 1) l ON true"
    " WHERE ac.id IN ({scope})")

SORTS = {
    "account": ("number_rank",), "household": ("household_rank", "number_rank"),
    "drift": ("largest_drift",), "cash": ("cash",), "value": ("value",),
    "trades": ("trade_count",), "date": ("trade_date",),
}


@dataclass(frozen=True)
class BookRow:
    """An account of the book with its latest analysis (None when it has none)."""

    pk: int
    household_id: int
    account_number: str
    name: str
    household_name: str
    number_rank: int
    household_rank: int
    analysis_id: int | None
    trade_date: date | None
    analysis_status: str | None
    value: Decimal | None
    cash: Decimal | None
    largest_drift: float | None
    band: float | None
    trade_count: int

    @property
    def outside_band(self) -> bool:
        return (self.largest_drift is not None and self.band is not None
                and self.largest_drift > self.band)


@dataclass(frozen=True)
class BookTotals:
    accounts: int
    households: int
    outside: int
    with_trades: int


def advisor_book(accounts: Any) -> list[BookRow]:
    """`accounts` (already scoped to the person) with their latest analysis, in one query."""
    scope, params = accounts.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_BOOK.format(scope=scope), params)
        return [BookRow(*row) for row in cursor.fetchall()]


def book_totals(book: list[BookRow]) -> BookTotals:
    return BookTotals(accounts=len(book), households=len({r.household_id for r in book}),
                      outside=sum(r.outside_band for r in book),
                      with_trades=sum(r.trade_count > 0 for r in book))


def advisor_accounts(book: list[BookRow], *, search: str = "", status: str = "",
                     outside_band: bool = False, sort: str = "drift",
                     descending: bool = True) -> list[BookRow]:
    """The book's rows matching the search (in the number, name or household name, ignoring
    case), the latest analysis's status ("none": not analyzed) and the drift band, sorted by
    `sort` (empty values last either way, then by account id)."""
    wanted = search.casefold()
    rows = [r for r in book if not wanted or any(
        wanted in text.casefold() for text in (r.account_number, r.name, r.household_name))]
    if status == "none":
        rows = [r for r in rows if r.analysis_id is None]
    elif status:
        rows = [r for r in rows if r.analysis_status == status]
    if outside_band:
        rows = [r for r in rows if r.outside_band]
    rows.sort(key=lambda r: r.pk)
    for field in reversed(SORTS.get(sort, SORTS["drift"])):
        present = [r for r in rows if getattr(r, field) is not None]
        present.sort(key=lambda r, f=field: getattr(r, f), reverse=descending)  # type: ignore[misc]
        rows = present + [r for r in rows if getattr(r, field) is None]
    return rows


@dataclass(frozen=True)
class ValuedLot:
    """A lot at the latest price: its value and unrealized gain, short or long term."""

    security: Any
    lot_id: str
    quantity: Decimal
    cost_basis: Decimal
    acquired: date
    price: Decimal | None
    value: Decimal | None
    gain: Decimal | None
    long_term: bool


@dataclass(frozen=True)
class LotTotals:
    value: Decimal
    cost_basis: Decimal
    short_term_gain: Decimal
    long_term_gain: Decimal


def valued_lots(account: Account, as_of: date) -> tuple[list[ValuedLot], LotTotals]:
    """The account's lots on `as_of` at each security's latest price on or before it."""
    lots = holdings(account.pk, as_of).lots
    prices = dict(Price.objects.filter(security_id__in={lot.security_id for lot in lots},
                                       as_of_date__lte=as_of)
                  .order_by("security_id", "-as_of_date").distinct("security_id")
                  .values_list("security_id", "close"))
    valued = []
    for lot in lots:
        price = prices.get(lot.security_id)
        value = None if price is None else (lot.quantity * price).quantize(Decimal("0.01"))
        valued.append(ValuedLot(
            security=lot.security, lot_id=lot.lot_id, quantity=lot.quantity,
            cost_basis=lot.cost_basis, acquired=lot.acquired_date, price=price, value=value,
            gain=None if value is None else value - lot.cost_basis,
            long_term=long_term_from(lot.acquired_date, lot.holding_period_start) <= as_of))
    priced = [lot for lot in valued if lot.gain is not None]
    totals = LotTotals(
        value=sum((lot.value for lot in priced if lot.value is not None), Decimal(0)),
        cost_basis=sum((lot.cost_basis for lot in valued), Decimal(0)),
        short_term_gain=sum((lot.gain for lot in priced if not lot.long_term and lot.gain),
                            Decimal(0)),
        long_term_gain=sum((lot.gain for lot in priced if lot.long_term and lot.gain),
                           Decimal(0)))
    return valued, totals


def weight_bars(metrics: dict[str, Any], labels: dict[str, str] | None = None
                ) -> list[WeightBar]:
    """An analysis's stored before/after metrics (or a what-if's) as the chart's rows."""
    # The core's last row, "Cash", is the account's cash, not the firm's cash asset class.
    labels = {**(labels or {}), "Cash": "Cash held"}
    return [WeightBar(labels.get(row["asset_class"], row["asset_class"]), float(row["weight"]),
                      float(row["target"])) for row in metrics.get("drift", [])]
