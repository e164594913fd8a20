"""A firm's records for a period as one file for a regulator, CSV or JSON, with its SHA-256.

The export is deterministic (records in trade-date and id order, keys sorted, no time of
export inside), so exporting the same period again gives the same checksum as long as nothing
was appended to the records' trade events since. Written to a spooled temporary file while
hashing, records read in pages: a large period does not sit in memory. A period of more than
`reports.record_exports.IMMEDIATE_RECORDS` records is exported in the background instead, in
chunks built from the same pieces (`csv_part`, `json_records`…), so its file is byte for byte
the one an immediate export of the same records would give.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
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


def details_of(ids: list[int]) -> Iterator[RecordDetail]:
    """The records of `ids`, in that order, read a page at a time."""
    for start in range(0, len(ids), PAGE):
        page = ids[start:start + PAGE]
        found = Analysis.objects.select_related(*RECORD_SELECT).in_bulk(page)
        yield from record_details([found[pk] for pk in page])


def export_order(records: QuerySet[Analysis]) -> QuerySet[Analysis]:
    return records.order_by("trade_date", "pk")


def _details(records: QuerySet[Analysis]) -> Iterator[RecordDetail]:
    return details_of(list(export_order(records).values_list("pk", flat=True)))


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))


def export_header(*, firm_code: str, start: date | None, end: date | None) -> dict[str, Any]:
    return {"firm": firm_code, "from": start, "to": end,
            "format": "Rebal analysis records, one per account analysis"}


def export_filename(*, firm_code: str, start: date | None, end: date | None,
                    file_format: str) -> str:
    return f"records_{firm_code}_{start or 'start'}_{end or 'end'}.{file_format}"


def json_opening(header: dict[str, Any]) -> str:
    return '{"export":' + _dumps(header) + ',"records":['


def json_records(details: Iterable[RecordDetail], *, first: bool, settings: dict[str, Any],
                 targets: dict[str, Any]) -> tuple[str, int]:
    """The records as JSON array members (with a leading comma unless `first`), gathering
    the settings and target contents they reference into `settings` and `targets`."""
    out, count = [], 0
    for detail in details:
        analysis = detail.analysis
        if analysis.settings_content:
            settings[analysis.settings_content.sha256] = analysis.settings_content.content
        if analysis.target_content:
            targets[analysis.target_content.sha256] = analysis.target_content.content
        out.append(("" if first and not count else ",")
                   + _dumps(record_document(detail, with_contents=False)))
        count += 1
    return "".join(out), count


def json_closing(settings: dict[str, Any], targets: dict[str, Any]) -> str:
    return '],"settings":' + _dumps(settings) + ',"targets":' + _dumps(targets) + "}\n"


def csv_part(details: Iterable[RecordDetail], *, header: bool) -> tuple[str, int]:
    """CSV lines of the records (one per proposed trade), after the header if asked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    count = 0
    for detail in details:
        writer.writerows(_csv_rows(detail))
        count += 1
    return out.getvalue(), count


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
    details = _details(records)
    if file_format == "json":
        settings: dict[str, Any] = {}
        targets: dict[str, Any] = {}
        out.write(json_opening(export_header(firm_code=firm_code, start=start, end=end)))
        text, count = json_records(details, first=True, settings=settings, targets=targets)
        out.write(text + json_closing(settings, targets))
    else:
        text, count = csv_part(details, header=True)
        out.write(text)
    out.flush()
    out.detach().detach()
    spool.seek(0)
    return Export(file=spool, sha256=hashing.digest.hexdigest(), size=hashing.size,
                  records=count, filename=export_filename(firm_code=firm_code, start=start,
                                                          end=end, file_format=file_format),
                  content_type=FORMATS[file_format])
