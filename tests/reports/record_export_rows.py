"""Firm A's finished background records export for the isolation harness, made on first use
and kept on the personas object."""

from __future__ import annotations

from typing import Any

from rebal.firm_context import firm_context


def record_export_row(personas: Any) -> Any:
    export = getattr(personas, "_record_export_row", None)
    if export is None:
        from reports.models import RecordExport

        with firm_context(personas.firm):
            export = RecordExport.objects.create(
                file_format="csv", through_record=0, status=RecordExport.Status.DONE,
                requested_by_label="isolation@a.test", records_total=1, records_done=1,
                file=b"record_id\n", filename="records_isolation.csv",
                sha256=f"{personas.firm.pk:064d}", size=10)
        personas._record_export_row = export
    return export
