"""Celery adapters of the data-operations room."""

from __future__ import annotations

from dataops.services.inbox import inbox_scan
from dataops.services.monitoring import feed_schedules_check
from rebal.celery import app, firm_task


@firm_task(name="dataops.inbox_scan")
def inbox_scan_task(*, firm_id: int) -> list[int]:
    return [feed_file.pk for feed_file in inbox_scan()]


@firm_task(name="dataops.feed_schedules_check")
def feed_schedules_check_task(*, firm_id: int) -> int:
    return len(feed_schedules_check())


@app.task(name="dataops.inbox_scan_all")
def inbox_scan_all() -> int:
    """Beat: one scan task per active firm, each in its own firm context."""
    from rebal.models import Firm

    firm_ids = list(Firm.objects.filter(is_active=True).values_list("pk", flat=True))
    for firm_id in firm_ids:
        inbox_scan_task.delay(firm_id=firm_id)
        feed_schedules_check_task.delay(firm_id=firm_id)
    return len(firm_ids)
