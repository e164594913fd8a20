"""Celery adapters of the platform core: ids in, one service call."""

from __future__ import annotations

from rebal import services
from rebal.celery import firm_task
from rebal.firm_context import require_firm


@firm_task(name="rebal.alert_raise")
def alert_raise(*, firm_id: int, kind: str, severity: str, subject: str, message: str,
                roles: list[str]) -> int:
    """Raise an alert from a process that has no database session of its own."""
    alert = services.alert_raise(firm=require_firm(), kind=kind, severity=severity,
                                 subject=subject, message=message, roles=roles)
    return alert.pk
