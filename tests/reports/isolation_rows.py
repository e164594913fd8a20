"""Firm A's analysis record for the isolation harness, made on first use and kept on the
personas object (the harness builds new personas for every test)."""

from __future__ import annotations

from datetime import date
from typing import Any

from rebal.firm_context import firm_context


def record_row(personas: Any) -> Any:
    record = getattr(personas, "_record_row", None)
    if record is None:
        from optimizer.models import Analysis

        with firm_context(personas.firm):
            record = Analysis.objects.create(
                account=personas.account, trade_date=date(2026, 11, 24), status="no_trades",
                summary=f"{personas.firm.code} record: within tolerance", before={}, after={},
                trade_metrics={}, calibration={}, solver={"solver": "osqp", "status": "solved"})
        personas._record_row = record
    return record
