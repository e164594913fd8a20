"""Orders the OMS has not acknowledged in time raise one alert for the overlay managers; each
late order is counted once (claimed with a conditional UPDATE, so two sweepers never double
count)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rebal.firm_context import require_firm
from rebal.services import alert_raise
from workflow.models import Order, OrderStatus


@transaction.atomic
def orders_unacknowledged_alert(*, now: datetime | None = None) -> int:
    """Alert on released orders older than REBAL_ORDER_ACK_SECONDS; returns how many were
    newly found late."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REBAL_ORDER_ACK_SECONDS)
    late = Order.objects.filter(status=OrderStatus.RELEASED, released_at__lt=cutoff,
                                late_alerted_at__isnull=True)
    newly = late.update(late_alerted_at=now)
    if newly:
        waiting = Order.objects.filter(status=OrderStatus.RELEASED, released_at__lt=cutoff)
        oldest = waiting.order_by("released_at").values_list("client_order_id", flat=True)[:5]
        alert_raise(firm=require_firm(), kind="orders_not_acknowledged", severity="critical",
                    subject="Orders not acknowledged by the OMS",
                    message=(f"{waiting.count()} released order(s) not acknowledged within "
                             f"{settings.REBAL_ORDER_ACK_SECONDS // 60} minutes (e.g. "
                             f"{', '.join(oldest)}); check the OMS connection, or cancel."),
                    roles=["overlay_manager"])
    return newly
