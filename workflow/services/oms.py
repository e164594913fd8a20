"""What the OMS reports about released orders: acknowledgement (with the executing broker),
fills (idempotent by execution id, never beyond the order's shares) and cancellation. Each moves
the order through its state table, appends its event and brings the batch's status along."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from workflow.models import EventKind, Fill, Order, OrderStatus, TradeBatch
from workflow.services.batch_states import batch_move, batch_status_from_orders, order_move
from workflow.services.trade_events import trade_event_record


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("trade").get(pk=order.pk)


def _batch_follow(order: Order) -> None:
    batch = TradeBatch.objects.select_for_update().get(pk=order.batch_id)
    status = batch_status_from_orders(list(Order.objects.filter(batch=batch).values_list(
        "status", "filled_shares")))
    if status != batch.status:
        batch_move(batch, status)
        batch.save()


def _event(kind: str, order: Order, *, reason: str = "", details: dict | None = None) -> None:
    trade_event_record(kind, order=order, batch_id=order.batch_id, trade_id=order.trade_id,
                       account_id=order.account_id, analysis_id=order.trade.analysis_id,
                       reason=reason, details=details or {})


@transaction.atomic
def order_acknowledge(*, order: Order, broker: str, oms_order_id: str = "") -> Order:
    """The OMS has the order; `broker` is where it will execute (for the 204-2 memorandum)."""
    order = _locked(order)
    order_move(order, OrderStatus.ACKNOWLEDGED)
    order.broker, order.oms_order_id = broker.strip(), oms_order_id.strip()
    order.acknowledged_at = timezone.now()
    order.save()
    _event(EventKind.ACKNOWLEDGED, order, details={"broker": order.broker,
                                                    "oms_order_id": order.oms_order_id})
    _batch_follow(order)
    return order


@transaction.atomic
def order_fill_record(*, order: Order, execution_id: str, shares: Decimal, price: Decimal,
                      executed_at: datetime, broker: str = "") -> tuple[Fill, bool]:
    """Record an execution; the same execution id again returns the first fill (created is
    False). A fill beyond the order's open shares is refused."""
    order = _locked(order)
    execution_id = execution_id.strip()
    if not execution_id:
        raise ValidationError("An execution id is required.")
    earlier = Fill.objects.filter(execution_id=execution_id).first()
    if earlier is not None:
        if earlier.order_id != order.pk or earlier.shares != shares or earlier.price != price:
            raise ValidationError(f"Execution {execution_id} was already reported differently.")
        return earlier, False
    if shares <= 0 or price <= 0:
        raise ValidationError("A fill has positive shares and price.")
    if shares > order.open_shares:
        raise ValidationError(f"Overfill: the order has {order.open_shares.normalize():f} "
                              f"shares open, not {shares.normalize():f}.")
    order.filled_shares += shares
    order_move(order, OrderStatus.FILLED if order.filled_shares == order.shares
               else OrderStatus.PARTIALLY_FILLED)
    if order.status == OrderStatus.FILLED:
        order.closed_at = timezone.now()
    if broker and not order.broker:
        order.broker = broker
    try:
        with transaction.atomic():
            fill = Fill.objects.create(order=order, execution_id=execution_id, shares=shares,
                                       price=price, executed_at=executed_at,
                                       broker=broker or order.broker)
    except IntegrityError:  # the same execution posted at the same moment: theirs counts
        raise ValidationError(f"Execution {execution_id} is being recorded; retry.") from None
    order.save()
    _event(EventKind.FILLED, order, details={
        "execution_id": execution_id, "shares": str(shares), "price": str(price),
        "executed_at": executed_at.isoformat(), "broker": fill.broker,
        "filled_shares": str(order.filled_shares)})
    _batch_follow(order)
    return fill, True


@transaction.atomic
def order_cancel(*, order: Order, reason: str) -> Order:
    """The order is cancelled (what was filled stays filled)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A reason is required to cancel an order.")
    order = _locked(order)
    order_move(order, OrderStatus.CANCELLED)
    order.closed_at = timezone.now()
    order.save()
    _event(EventKind.CANCELLED, order, reason=reason,
           details={"filled_shares": str(order.filled_shares)})
    _batch_follow(order)
    return order
