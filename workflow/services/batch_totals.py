"""A batch's stored totals (TradeBatch.account_count … book_value), recomputed from its trades
whenever they change: made, edited or dropped."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from optimizer.models import Analysis
from rebal.audit import update_unaudited_fields
from workflow.models import BatchTrade, TradeBatch
from workflow.models.batches import BATCH_TOTALS

MONEY = DecimalField(max_digits=20, decimal_places=2)
CENT = Decimal("0.01")  # rounded half away from zero, as PostgreSQL rounds numeric
ZERO = Value(0, output_field=MONEY)
COUNTS = {"account_count", "trade_count"}


def _totals(batch_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per batch, over its trades not dropped: accounts and trades, dollars bought and sold
    (shares as edited × price), the proposed gains realized and tax estimated; and the value
    at analysis of every account it holds a trade for. One query for the trades, one a batch
    for the values (a run has a few batches)."""
    live = Q(dropped=False)
    value = ExpressionWrapper(F("shares") * F("price"), output_field=MONEY)
    rows = BatchTrade.objects.filter(batch_id__in=batch_ids).order_by().values("batch_id")
    totals: dict[int, dict[str, Any]] = {pk: {
        "account_count": 0, "trade_count": 0, "bought": Decimal(0), "sold": Decimal(0),
        "realized_gain": Decimal(0), "estimated_tax": Decimal(0)} for pk in batch_ids}
    for row in rows.annotate(
            account_count=Count("account", distinct=True, filter=live),
            trade_count=Count("pk", filter=live),
            bought=Coalesce(Sum(value, filter=live & Q(side="buy")), ZERO),
            sold=Coalesce(Sum(value, filter=live & Q(side="sell")), ZERO),
            realized_gain=Coalesce(Sum("proposed_trade__realized_gain", filter=live), ZERO),
            estimated_tax=Coalesce(Sum("proposed_trade__estimated_tax", filter=live), ZERO)):
        totals[row["batch_id"]].update({k: v for k, v in row.items() if k != "batch_id"})
    for pk, batch_totals in totals.items():
        batch_totals["book_value"] = Analysis.objects.filter(
            pk__in=BatchTrade.objects.filter(batch_id=pk).values("analysis_id")).aggregate(
            total=Sum(Cast(KeyTextTransform("value", "before"), MONEY)))["total"]
    return totals


def batch_totals_refresh(*batches: TradeBatch) -> None:
    """Recompute and store `batches`' totals, and set them on the objects given."""
    totals = _totals([b.pk for b in batches])
    for batch in batches:
        values = {name: value if name in COUNTS or value is None
                  else value.quantize(CENT, ROUND_HALF_UP)
                  for name, value in totals[batch.pk].items()}
        update_unaudited_fields(TradeBatch.objects.filter(pk=batch.pk), **values)
        for name in BATCH_TOTALS:
            setattr(batch, name, values[name])
