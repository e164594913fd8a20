"""A firm's records for a period as one file for a regulator, CSV or JSON, with its SHA-256.

The export is deterministic (records in trade-date and id order, keys sorted, no time of
export inside), so exporting the same period again gives the same checksum as long as nothing
was appended to the records' trade events since. Written to a spooled temporary file while
hashing, records read in pages: a large period does not sit in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from optimizer.models import Analysis
from reports.records import record_document
from reports.selectors import RECORD_SELECT, RecordDetail, record_details

PAGE = 500
FORMATS = {"csv": "text/csv", "json": "application/json"}
CSV_COLUMNS = (
    "record_id", "trade_date", "account_number", "status", "summary", "settings_sha256",
    "target_sha256", "lot_set_file_checksum", "price_file_checksums", "risk_model_as_of",
    "solver", "solver_status", "trade_id", "side", "ticker", "cusip", "shares", "price", "value",
    "realized_gain", "estimated_tax", "reasons", "explanation", "client_order_ids", "events")


@dataclass(frozen=True)
class Export:
    """The written export, rewound, with its checksum."""

    file: IO[bytes]
    sha256: str
    size: int
    records: int
    filename: str
    content_type: str


class _Hashing(io.RawIOBase):
    """Writes through to `target`, hashing and counting the bytes."""

    def __init__(self, target: IO[bytes]):
        self.target, self.digest, self.size = target, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.target.write(chunk)
        return len(chunk)


def _details(records: QuerySet[Analysis]) -> Iterator[RecordDetail]:
    ids = list(records.order_by("trade_date", "pk").values_list("pk", flat=True))
    for start in range(0, len(ids), PAGE):
        page = ids[start:start + PAGE]
        found = Analysis.objects.select_related(*RECORD_SELECT).in_bulk(page)
        yield from record_details([found[pk] for pk in page])


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))


def _write_json(out: io.TextIOWrapper, records: QuerySet[Analysis], header: dict[str, Any]
                ) -> int:
    """{"export": header, "records": [...], "settings": {sha: content}, "targets": {...}}."""
    settings: dict[str, Any] = {}
    targets: dict[str, Any] = {}
    out.write('{"export":' + _dumps(header) + ',"records":[')
    count = 0
    for detail in _details(records):
        analysis = detail.analysis
        if analysis.settings_content:
            settings[analysis.settings_content.sha256] = analysis.settings_content.content
        if analysis.target_content:
            targets[analysis.target_content.sha256] = analysis.target_content.content
        out.write(("," if count else "") + _dumps(record_document(detail, with_contents=False)))
        count += 1
    out.write('],"settings":' + _dumps(settings) + ',"targets":' + _dumps(targets) + "}\n")
    return count


def _csv_rows(detail: RecordDetail) -> Iterator[list[Any]]:
    analysis, sources = detail.analysis, detail.analysis.record_sources
    files = sources.get("files", {})
    lot_set = sources.get("lot_set") or {}
    record = [
        analysis.pk, analysis.trade_date.isoformat(), analysis.account.account_number,
        analysis.status, analysis.summary,
        analysis.settings_content.sha256 if analysis.settings_content else "",
        analysis.target_content.sha256 if analysis.target_content else "",
        files.get(str(lot_set.get("file")), ""),
        " ".join(files.get(str(f), "") for f in sources.get("prices", {}).get("files", [])),
        (sources.get("risk_model") or {}).get("as_of", ""),
        analysis.solver.get("solver", ""), analysis.solver.get("status", "")]
    events = "; ".join(f"{e.created_at:%Y-%m-%d %H:%M} {e.kind}" for e in detail.events)
    if not detail.trades:
        yield [*record, *[""] * 11, events]
    for item in detail.trades:
        trade = item.trade
        yield [*record, trade.pk, trade.side, trade.security.ticker, trade.security.cusip,
               trade.shares, trade.price, trade.value, trade.realized_gain, trade.estimated_tax,
               _dumps(trade.reasons), trade.explanation,
               " ".join(o.client_order_id for o in item.orders), events]


def records_export(*, records: QuerySet[Analysis], firm_code: str, start: date | None,
                   end: date | None, file_format: str) -> Export:
    """Write the records (already scoped and filtered) as `file_format` ("csv" or "json")."""
    if file_format not in FORMATS:
        raise ValueError(f"format: one of {', '.join(FORMATS)}")
    spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115
    hashing = _Hashing(spool)
    out = io.TextIOWrapper(io.BufferedWriter(hashing), encoding="utf-8", newline="")
    if file_format == "json":
        count = _write_json(out, records, {
            "firm": firm_code, "from": start, "to": end,
            "format": "Rebal analysis records, one per account analysis"})
    else:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        seen: set[int] = set()
        for detail in _details(records):
            seen.add(detail.analysis.pk)
            writer.writerows(_csv_rows(detail))
        count = len(seen)
    out.flush()
    out.detach().detach()
    spool.seek(0)
    period = f"{start or 'start'}_{end or 'end'}"
    return Export(file=spool, sha256=hashing.digest.hexdigest(), size=hashing.size,
                  records=count, filename=f"records_{firm_code}_{period}.{file_format}",
                  content_type=FORMATS[file_format])
