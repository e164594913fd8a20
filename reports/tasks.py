"""Report tasks: a chunk of a background report or records export, and the monthly schedule
(Celery beat)."""

from __future__ import annotations

from django.utils import timezone

from rebal.celery import app, firm_task
from reports.record_exports import record_export_continue
from reports.report_runs import monthly_report_request, report_run_continue

OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@firm_task(name="reports.report_run_chunk", **OPTIONS)
def report_run_chunk_task(*, firm_id: int, run_id: int, offset: int) -> None:
    report_run_continue(run_id=run_id, offset=offset)


@firm_task(name="reports.monthly_report", **OPTIONS)
def monthly_report_task(*, firm_id: int) -> int | None:
    run = monthly_report_request(today=timezone.localdate())
    return run.pk if run else None


@app.task(name="reports.monthly_reports_all")
def monthly_reports_all() -> int:
    """Beat, on the first of the month: each active firm's report of the previous month."""
    from rebal.models import Firm

    firm_ids = list(Firm.objects.filter(is_active=True).values_list("pk", flat=True))
    for firm_id in firm_ids:
        monthly_report_task.delay(firm_id=firm_id)
    return len(firm_ids)


@firm_task(name="reports.record_export_chunk", **OPTIONS)
def record_export_chunk_task(*, firm_id: int, export_id: int, offset: int) -> None:
    record_export_continue(export_id=export_id, offset=offset)
