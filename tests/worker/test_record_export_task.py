"""A large records export through a real Celery worker: the request, committed, queues the
first chunk; each chunk queues the next on commit; the last stores the file and its SHA-256,
the same bytes as the export made at once."""

from __future__ import annotations

import time
from datetime import date

import pytest

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.live import committed

pytestmark = [pytest.mark.worker, pytest.mark.slow]

TIMEOUT = 60


def test_a_large_export_runs_chunk_by_chunk_to_its_file(celery_worker, worker_firm,
                                                        django_db_blocker):
    from accounts.models import Account
    from optimizer.models import Analysis
    from reports.exports import records_export
    from reports.models import RecordExport
    from reports.record_exports import record_export_request

    day = date(2001, 2, 5)  # a day of this test's own records only
    with committed(django_db_blocker):
        with firm_context(worker_firm.firm), audit_context(system_job="tests"):
            account = Account.objects.create(account_number=f"EXP-{time.time_ns()}",
                                             name="Export test",
                                             household=worker_firm.household)
            for n in range(5):
                Analysis.objects.create(
                    account=account, trade_date=day, status="no_trades",
                    summary=f"analysis {n}", before={"value": "1000"}, after={"value": "1000"},
                    trade_metrics={}, calibration={}, solver={"solver": "osqp"})
        with firm_context(worker_firm.firm):
            records = Analysis.objects.filter(account=account)
            export = record_export_request(
                records=records, query={"account": account.account_number}, start=None,
                end=None, file_format="csv", acting_user=worker_firm.admin, chunk=2)
        deadline = time.monotonic() + TIMEOUT
        while True:
            with firm_context(worker_firm.firm):
                export.refresh_from_db()
            if export.status in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with firm_context(worker_firm.firm):
            immediate = records_export(records=Analysis.objects.filter(account=account),
                                       firm_code=worker_firm.firm.code, start=None, end=None,
                                       file_format="csv")
    assert export.status == RecordExport.Status.DONE, export.error
    assert (export.records_done, export.records_total, export.percent_done) == (5, 5, 100)
    assert bytes(export.file) == immediate.file.read()
    assert export.sha256 == immediate.sha256
    assert len(bytes(export.file).decode().splitlines()) == 6  # the header and 5 records
