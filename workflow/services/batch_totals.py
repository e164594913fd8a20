"""A batch's stored totals (TradeBatch.account_count … book_value), recomputed from its trades
whenever they change: made, edited or dropped."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from optimizer.models import Analysis
from rebal.audit import update_unaudited_fields
from workflow.models import BatchTrade, TradeBatch
from workflow.models.batches import BATCH_TOTALS

MONEY = DecimalField(max_digits=20, decimal_places=2)
CENT = Decimal("0.01")  # rounded half away from zero, as PostgreSQL rounds numeric
COUNTS = {"account_count", "trade_count"}


def _totals(batch_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per batch, over its trades not dropped: accounts and trades, dollars bought and sold
    (shares as edited × price), the proposed gains realized and tax estimated; and the value
    at analysis of every account it holds a trade for."""
    live = Q(trades__dropped=False)
    value = ExpressionWrapper(F("trades__shares") * F("trades__price"), output_field=MONEY)
    analyses = BatchTrade.objects.filter(batch=OuterRef(OuterRef("pk"))).values("analysis_id")
    book = (Analysis.objects.filter(pk__in=analyses).order_by().values("firm")
            .annotate(total=Sum(Cast(KeyTextTransform("value", "before"), MONEY)))
            .values("total"))
    rows = TradeBatch.objects.filter(pk__in=batch_ids).order_by().values("pk").annotate(
        account_count=Count("trades__account", distinct=True, filter=live),
        trade_count=Count("trades", filter=live),
        bought=Coalesce(Sum(value, filter=live & Q(trades__side="buy")), 0, output_field=MONEY),
        sold=Coalesce(Sum(value, filter=live & Q(trades__side="sell")), 0, output_field=MONEY),
        realized_gain=Coalesce(Sum("trades__proposed_trade__realized_gain", filter=live), 0,
                               output_field=MONEY),
        estimated_tax=Coalesce(Sum("trades__proposed_trade__estimated_tax", filter=live), 0,
                               output_field=MONEY),
        book_value=Subquery(book, output_field=MONEY))
    return {row["pk"]: {name: value for name, value in row.items() if name != "pk"}
            for row in rows}


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
