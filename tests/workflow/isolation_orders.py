"""Firm A's released order (with its batch) for the isolation harness, made on first use and
kept on the personas object."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from rebal.audit import audit_context
from rebal.firm_context import firm_context


def released_order(personas: Any) -> Any:
    order = getattr(personas, "_released_order", None)
    if order is None:
        from dataops.models import Security
        from optimizer.models import Analysis, ProposedTrade
        from workflow.models import BatchTrade, NightlyRun, Order, TradeBatch

        code = personas.firm.code
        with firm_context(personas.firm), audit_context(system_job="tests"):
            run = NightlyRun.objects.create(business_date=date(2026, 11, 20), trigger="tests")
            batch = TradeBatch.objects.create(run=run, disposition="review",
                                              status="released")
            analysis = Analysis.objects.create(
                account=personas.account, trade_date=run.business_date, status="optimal",
                summary="", before={}, after={}, trade_metrics={}, calibration={}, solver={})
            security = Security.objects.create(name=f"{code} Widgets", ticker=f"W{code[:3]}")
            proposed = ProposedTrade.objects.create(
                analysis=analysis, security=security, side="buy", shares=Decimal(5),
                price=Decimal(10), value=Decimal(50), realized_gain=Decimal(0),
                estimated_tax=Decimal(0), explanation="")
            trade = BatchTrade.objects.create(
                batch=batch, account=personas.account, analysis=analysis,
                proposed_trade=proposed, security=security, side="buy", shares=Decimal(5),
                price=Decimal(10), discretionary=True)
            order = Order.objects.create(
                trade=trade, batch=batch, account=personas.account, security=security,
                client_order_id=f"{code}-{trade.pk:010d}", side="buy", shares=Decimal(5),
                discretionary=True, released_at=timezone.now())
        personas._released_order = order
    return order
