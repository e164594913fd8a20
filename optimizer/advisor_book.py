"""Reads behind the advisor's pages: their accounts with each latest analysis's drift, cash and
proposed trades (sortable in the database), an account's lots valued with their unrealized
gains, and an analysis's weights against target for the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from accounts.models import Account
from accounts.selectors import holdings
from accounts.tax.holding_period import long_term_from
from dataops.models import Price
from optimizer.models import Analysis, ProposedTrade
from rebal.charts import WeightBar

# The latest analysis of the outer query's account (the same order as `latest_analysis`). Fixed
# SQL, no parameters: the ORM cannot take the largest drift out of the stored JSON rows.
_LATEST = ("SELECT a.id FROM optimizer_analysis a WHERE a.account_id = accounts_account.id "
           "ORDER BY a.trade_date DESC, a.id DESC LIMIT 1")
# Its largest drift of any asset class before trading, from the stored drift rows.
_LARGEST_DRIFT = RawSQL(  # noqa: S611 (constant SQL, no input)  # nosec B611 B608
    "(SELECT max(abs((d->>'weight')::float8 - (d->>'target')::float8)) "  # nosec B608
    "FROM optimizer_analysis a, jsonb_array_elements(a.before->'drift') d "
    "WHERE a.id = (" + _LATEST + "))", [], output_field=FloatField())
_BAND = RawSQL(  # noqa: S611 (constant SQL, no input)  # nosec B611 B608
    "(SELECT (a.calibration->>'asset_class_band')::float8 "  # nosec B608
    "FROM optimizer_analysis a WHERE a.id = (" + _LATEST + "))", [], output_field=FloatField())

MONEY = DecimalField(max_digits=20, decimal_places=2)
SORTS = {
    "account": ("account_number",), "household": ("household__name", "account_number"),
    "drift": ("largest_drift",), "cash": ("cash",), "value": ("value",),
    "trades": ("trade_count",), "date": ("trade_date",),
}


def advisor_accounts(accounts: Any, *, search: str = "", status: str = "",
                     outside_band: bool = False, sort: str = "drift",
                     descending: bool = True) -> Any:
    """`accounts` (already scoped to the person) annotated with their latest analysis: its date,
    status, largest drift, drift band, value, cash and number of proposed trades; filtered and
    sorted in the database, so a page of them costs one query whatever the book's size."""
    latest = Analysis.objects.filter(account=OuterRef("pk")).order_by("-trade_date", "-pk")
    trades = (ProposedTrade.objects.filter(analysis_id=OuterRef("analysis_id"))
              .values("analysis_id").annotate(n=Count("pk")).values("n"))
    rows = (accounts.select_related("household")
            .annotate(analysis_id=Subquery(latest.values("pk")[:1]))
            .annotate(trade_date=Subquery(latest.values("trade_date")[:1]),
                      analysis_status=Subquery(latest.values("status")[:1]),
                      value=Cast(Subquery(latest.annotate(v=KeyTextTransform("value", "before"))
                                          .values("v")[:1]), MONEY),
                      cash=Cast(Subquery(latest.annotate(v=KeyTextTransform("cash", "before"))
                                         .values("v")[:1]), MONEY),
                      largest_drift=_LARGEST_DRIFT, band=_BAND,
                      trade_count=Coalesce(Subquery(trades, output_field=IntegerField()),
                                           Value(0))))
    if search:
        rows = rows.filter(Q(account_number__icontains=search) | Q(name__icontains=search)
                           | Q(household__name__icontains=search))
    if status == "none":
        rows = rows.filter(analysis_id__isnull=True)
    elif status:
        rows = rows.filter(analysis_status=status)
    if outside_band:
        rows = rows.filter(largest_drift__gt=F("band"))
    fields = SORTS.get(sort, SORTS["drift"])
    order = [F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
             for field in fields]
    return rows.order_by(*order, "pk")


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
