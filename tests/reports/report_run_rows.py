"""Firm A's finished background report for the isolation harness, made on first use and kept
on the personas object."""

from __future__ import annotations

from datetime import date
from typing import Any

from rebal.firm_context import firm_context


def report_run_row(personas: Any) -> Any:
    run = getattr(personas, "_report_run_row", None)
    if run is None:
        from reports.models import ReportRun

        with firm_context(personas.firm):
            run = ReportRun.objects.create(start=date(1999, 1, 1), end=date(1999, 1, 31),
                                           status=ReportRun.Status.DONE, accounts_total=2,
                                           accounts_done=2, pdf=b"%PDF-", csv="header\n")
        personas._report_run_row = run
    return run
