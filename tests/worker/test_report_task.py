"""The monthly report through a real Celery worker: the firm task asks for the previous
month's report, whose chunk task (queued on commit) prints the PDF and CSV."""

from __future__ import annotations

import time

import pytest

from rebal.firm_context import firm_context

pytestmark = [pytest.mark.worker, pytest.mark.slow]

TIMEOUT = 60


def test_the_monthly_report_runs_to_its_files(celery_worker, worker_firm, db):
    from reports.models import ReportRun
    from reports.tasks import monthly_report_task

    run_id = monthly_report_task.delay(firm_id=worker_firm.firm.pk).get(timeout=TIMEOUT)
    if run_id is None:  # an earlier session already made this month's
        with firm_context(worker_firm.firm):
            run_id = ReportRun.objects.filter(requested_by__isnull=True).latest("pk").pk
    deadline = time.monotonic() + TIMEOUT
    while True:
        with firm_context(worker_firm.firm):
            run = ReportRun.objects.get(pk=run_id)
        if run.status == ReportRun.Status.DONE or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert run.status == ReportRun.Status.DONE and run.requested_by is None
    assert bytes(run.pdf).startswith(b"%PDF-")
    assert run.csv.splitlines()[0].startswith("account_number,name,advisor")
    assert run.accounts_done == run.accounts_total == len(run.csv.splitlines()) - 1
