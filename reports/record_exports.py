"""Large records exports in the background: a period of more than `IMMEDIATE_RECORDS` records
is written by chunks of `CHUNK` records, each its own task and transaction, so that the export's
row shows its progress; each chunk stores its bytes as a part, and the last joins the parts into
the file and stores its SHA-256. The pieces are those of `reports.exports`, so the file is the
one an immediate export of the same records gives, byte for byte.

`record.export` is firm-wide for every role that holds it (rebal.permissions), so the chunks
select from the firm's records with the filters as asked, up to the newest record at the time
of the request.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from optimizer.models import Analysis
from rebal.chunked_jobs import job_chunk_continue
from rebal.firm_context import require_firm
from reports.exports import (
    FORMATS,
    csv_part,
    details_of,
    export_filename,
    export_header,
    export_order,
    json_closing,
    json_opening,
    json_records,
)
from reports.filtersets import RecordFilterSet
from reports.models import RecordExport, RecordExportPart

IMMEDIATE_RECORDS = 2000  # at most this many are exported while the person waits
CHUNK = 1000


def _enqueue(export: RecordExport, offset: int) -> None:
    from reports import tasks

    firm_id, export_id = export.firm_id, export.pk
    transaction.on_commit(lambda: tasks.record_export_chunk_task.delay(
        firm_id=firm_id, export_id=export_id, offset=offset))


def record_export_request(*, records: QuerySet[Analysis], query: dict[str, str],
                          start: date | None, end: date | None, file_format: str,
                          acting_user: Any, chunk: int = CHUNK) -> RecordExport:
    """Queue the export of `records` (the firm's, filtered by `query`)."""
    if file_format not in FORMATS:
        raise ValueError(f"format: one of {', '.join(FORMATS)}")
    firm = require_firm()
    person = acting_user if getattr(acting_user, "pk", None) else None
    export = RecordExport.objects.create(
        file_format=file_format, query=query, start=start, end=end,
        through_record=records.aggregate(newest=Max("pk"))["newest"] or 0,
        requested_by=person,
        requested_by_label=(person.email if person else str(acting_user))[:200],
        records_total=records.count(), chunk=chunk,
        filename=export_filename(firm_code=firm.code, start=start, end=end,
                                 file_format=file_format))
    _enqueue(export, 0)
    return export


def _records(export: RecordExport) -> QuerySet[Analysis]:
    filters = RecordFilterSet(export.query, queryset=Analysis.objects.all())
    return export_order(filters.qs.filter(pk__lte=export.through_record))


def record_export_chunk(*, export_id: int, offset: int) -> int | None:
    """Write the export's next `chunk` records from offset as a part; returns the next
    offset, or None when the export is finished (or was already, or this chunk was delivered
    twice)."""
    export = RecordExport.objects.select_for_update().get(pk=export_id)
    chunk = export.chunk
    if export.status in (RecordExport.Status.DONE, RecordExport.Status.FAILED):
        return None
    if offset < export.records_done:
        return None
    ids = list(_records(export).values_list("pk", flat=True)[offset:offset + chunk])
    if export.file_format == "json":
        settings = export.partial.get("settings", {})
        targets = export.partial.get("targets", {})
        text, _ = json_records(details_of(ids), first=offset == 0, settings=settings,
                               targets=targets)
        if offset == 0:
            text = json_opening(export_header(firm_code=require_firm().code,
                                              start=export.start, end=export.end)) + text
        export.partial = {"settings": settings, "targets": targets}
    else:
        text, _ = csv_part(details_of(ids), header=offset == 0)
    RecordExportPart.objects.create(export=export, offset=offset, data=text.encode())
    export.records_done = offset + len(ids)
    export.status = RecordExport.Status.RUNNING
    if len(ids) == chunk and export.records_done < export.records_total:
        export.save(update_fields=["partial", "status", "records_done"])
        return export.records_done
    _finish(export)
    return None


def _finish(export: RecordExport) -> None:
    digest, pieces = hashlib.sha256(), []
    for data in export.parts.order_by("offset").values_list("data", flat=True).iterator():
        pieces.append(bytes(data))
    if export.file_format == "json":
        pieces.append(json_closing(export.partial.get("settings", {}),
                                   export.partial.get("targets", {})).encode())
    content = b"".join(pieces)
    digest.update(content)
    export.file, export.sha256, export.size = content, digest.hexdigest(), len(content)
    export.records_total = export.records_done
    export.partial, export.status = {}, RecordExport.Status.DONE
    export.finished_at = timezone.now()
    export.save()
    export.parts.all().delete()


def record_export_continue(*, export_id: int, offset: int) -> None:
    """One chunk, then the next queued; a chunk that raises marks the export failed with the
    error, shown where it is listed."""
    job_chunk_continue(job_model=RecordExport, job_id=export_id, offset=offset,
                       run_chunk=lambda at: record_export_chunk(export_id=export_id, offset=at),
                       enqueue=_enqueue)
