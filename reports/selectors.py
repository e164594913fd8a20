"""Reads of analysis records for compliance: who may see which, the filters, one record with
what happened to its trades afterwards (the workflow's trade events and orders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from optimizer.models import Analysis, ProposedTrade
from workflow.models import BatchTrade, Order, TradeEvent

RECORD_SELECT = ("account", "settings_content", "target_content", "data_content")


def records_for_user(user: Any) -> QuerySet[Analysis]:
    """The records `user` may read: the firm's, or an advisor's accounts' only."""
    return Analysis.objects.for_user(user, "record.view")


def records_filter(records: QuerySet[Analysis], *, account: str = "",
                   start: date | None = None, end: date | None = None, security: str = "",
                   client_order_id: str = "", order: int | None = None) -> QuerySet[Analysis]:
    """Records of an account (number), a trade-date range, proposing a trade in a security
    (ticker, CUSIP or id), or behind an order (client order id or order id)."""
    if account:
        records = records.filter(account__account_number=account)
    if start:
        records = records.filter(trade_date__gte=start)
    if end:
        records = records.filter(trade_date__lte=end)
    if security:
        match = Q(security__ticker__iexact=security) | Q(security__cusip__iexact=security)
        if security.isdigit():
            match |= Q(security_id=int(security))
        records = records.filter(Exists(ProposedTrade.objects.filter(
            match, analysis_id=OuterRef("pk"))))
    if client_order_id or order is not None:
        orders = Order.objects.all()
        if client_order_id:
            orders = orders.filter(client_order_id=client_order_id)
        if order is not None:
            orders = orders.filter(pk=order)
        records = records.filter(pk__in=orders.values("trade__analysis_id"))
    return records


@dataclass(frozen=True)
class RecordTrade:
    """A proposed trade with what became of it: its batch trade and order, if any."""

    trade: ProposedTrade
    batch_trades: list[BatchTrade]
    orders: list[Order]


@dataclass(frozen=True)
class RecordDetail:
    """One record with its trades and the events that followed it, oldest first."""

    analysis: Analysis
    trades: list[RecordTrade]
    events: list[TradeEvent]


def record_details(analyses: list[Analysis]) -> list[RecordDetail]:
    """Each record with its trades and what followed (in a few queries for the whole list):
    events naming the analysis, its batch trades or their orders, and the batch-level events
    (approval, consent, release) of the batches holding its trades."""
    ids = [a.pk for a in analyses]
    trades: dict[int, list[ProposedTrade]] = {pk: [] for pk in ids}
    for trade in (ProposedTrade.objects.filter(analysis_id__in=ids).select_related("security")
                  .order_by("analysis_id", "side", "pk")):
        trades[trade.analysis_id].append(trade)
    batch_trades: dict[int, list[BatchTrade]] = {}
    batches: dict[int, set[int]] = {}  # batch → analyses with trades in it
    for batch_trade in BatchTrade.objects.filter(analysis_id__in=ids).order_by("pk"):
        batch_trades.setdefault(batch_trade.proposed_trade_id, []).append(batch_trade)
        batches.setdefault(batch_trade.batch_id, set()).add(batch_trade.analysis_id)
    orders: dict[int, list[Order]] = {}
    for one in (Order.objects.filter(trade__analysis_id__in=ids).select_related("trade")
                .order_by("pk")):
        orders.setdefault(one.trade.proposed_trade_id, []).append(one)
    events: dict[int, list[TradeEvent]] = {pk: [] for pk in ids}
    for event in (TradeEvent.objects.filter(
            Q(analysis_id__in=ids) | Q(trade__analysis_id__in=ids)
            | Q(order__trade__analysis_id__in=ids)
            | Q(batch_id__in=list(batches), trade__isnull=True, order__isnull=True))
            .select_related("actor_user", "actor_token", "order__trade", "trade")
            .order_by("created_at", "pk")):
        owners = ({event.analysis_id} if event.analysis_id
                  else {event.trade.analysis_id} if event.trade_id  # type: ignore[union-attr]
                  else {event.order.trade.analysis_id} if event.order_id  # type: ignore[union-attr]
                  else batches.get(event.batch_id or 0, set()))
        for owner in owners & events.keys():
            events[owner].append(event)
    return [RecordDetail(
        analysis=a,
        trades=[RecordTrade(t, batch_trades.get(t.pk, []), orders.get(t.pk, []))
                for t in trades[a.pk]],
        events=events[a.pk]) for a in analyses]


def record_detail(analysis: Analysis) -> RecordDetail:
    return record_details([analysis])[0]
