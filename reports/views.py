"""Compliance pages: the records with filters (htmx), one record with its trades, reasons,
inputs and events, and the export of a period for a regulator with its checksum (a large
period in the background, with its progress)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dataops.models import FeedFile
from optimizer.models import Analysis
from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page
from reports.exports import FORMATS, records_export
from reports.filtersets import RecordFilterSet
from reports.models import RecordExport
from reports.record_exports import IMMEDIATE_RECORDS, record_export_request
from reports.selectors import RECORD_SELECT, record_detail, records_for_user

PAGE_SIZE = 50
EXPORTS_SHOWN = 20


def _filtered(request: HttpRequest) -> tuple[RecordFilterSet, str]:
    filters = RecordFilterSet(request.GET, queryset=records_for_user(request.user)
                              .select_related(*RECORD_SELECT).order_by("-trade_date", "-pk"))
    query = urlencode({k: v for k, v in request.GET.items()
                       if k in filters.base_filters and v})
    return filters, query


@dataclass(frozen=True)
class RecordPage:
    """A page of the records, newest first, with whether more follow: previous and next
    without counting the firm's hundreds of thousands of records."""

    rows: list[Analysis]
    number: int
    has_next: bool

    @classmethod
    def of(cls, records: QuerySet[Analysis], number: str | None) -> RecordPage:
        page = int(number) if number and number.isdigit() and 0 < int(number) < 10**9 else 1
        start = (page - 1) * PAGE_SIZE
        rows = list(records[start:start + PAGE_SIZE + 1])
        return cls(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@firm_page("record.view")
def record_list(request: HttpRequest) -> HttpResponse:
    filters, query = _filtered(request)
    records = filters.qs if filters.is_valid() else Analysis.objects.none()
    page = RecordPage.of(records, request.GET.get("page"))
    context = {"filters": filters, "page": page, "query": query,
               "may_export": can(request.user, "record.export")}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "reports/_record_rows.html", context)
    return render(request, "reports/record_list.html", context)


@firm_page("record.view")
def record_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    analysis = access_object(Analysis, request.user, "record.view", pk=pk)
    sources = analysis.record_sources
    recorded = {int(pk): checksum for pk, checksum in sources.get("files", {}).items()}
    files = FeedFile.objects.in_bulk(list(recorded))
    return render(request, "reports/record_detail.html", {
        "detail": record_detail(analysis), "analysis": analysis, "sources": sources,
        "files": [(files.get(pk), checksum) for pk, checksum in sorted(recorded.items())]})


def _exports(request: HttpRequest) -> dict[str, object]:
    exports = (RecordExport.objects.for_user(request.user, "record.export")
               .select_related("requested_by").defer("file", "partial")[:EXPORTS_SHOWN])
    return {"exports": exports, "polling": any(
        e.status in (RecordExport.Status.QUEUED, RecordExport.Status.RUNNING) for e in exports)}


@require_http_methods(["GET", "POST"])
@firm_page("record.export")
def record_export(request: HttpRequest) -> HttpResponse:
    """The export form; with a format chosen, the checksum and count of that export (or, for
    more than `IMMEDIATE_RECORDS` records, the offer to export it in the background); with
    `download`, the file itself (the same bytes: the export is deterministic). A POST queues
    the background export; the page lists the background exports with their progress."""
    if request.method == "POST":
        return _export_in_background(request)
    filters, query = _filtered(request)
    file_format = request.GET.get("file_format", "")
    context: dict[str, object] = {"filters": filters, "formats": list(FORMATS),
                                  "file_format": file_format, **_exports(request),
                                  "immediate_records": IMMEDIATE_RECORDS}
    if file_format in FORMATS and filters.is_valid():
        data = filters.form.cleaned_data
        count = filters.qs.count()
        if count > IMMEDIATE_RECORDS:
            context |= {"large": count, "query_items": [
                *parse_qsl(query), ("file_format", file_format)]}
            return render(request, "reports/record_export.html", context)
        export = records_export(records=filters.qs, firm_code=request.firm.code,  # type: ignore[attr-defined]
                                start=data.get("from"), end=data.get("to"),
                                file_format=file_format)
        if request.GET.get("download"):
            response = FileResponse(export.file, as_attachment=True, filename=export.filename,
                                    content_type=export.content_type)
            response["X-Checksum-SHA256"] = export.sha256
            return response  # type: ignore[return-value]  # a file streams from the spool
        export.file.close()
        context |= {"export": export, "download_query": urlencode(
            {**dict(request.GET.items()), "download": "1"})}
    return render(request, "reports/record_export.html", context)


def _export_in_background(request: HttpRequest) -> HttpResponse:
    filters = RecordFilterSet(request.POST, queryset=records_for_user(request.user))
    file_format = request.POST.get("file_format", "")
    if file_format not in FORMATS or not filters.is_valid():
        return HttpResponseBadRequest("Choose a format and valid filters.")
    data = filters.form.cleaned_data
    record_export_request(
        records=filters.qs, file_format=file_format, start=data.get("from"),
        end=data.get("to"), acting_user=request.user,
        query={k: v for k, v in request.POST.items() if k in filters.base_filters and v})
    return redirect(reverse("record-export") + "#background-exports")


@firm_page("record.export")
def record_export_rows(request: HttpRequest) -> HttpResponse:
    """The background exports with their progress (polled by htmx while one is running)."""
    return render(request, "reports/_record_export_rows.html", _exports(request))


@firm_page("record.export")
def record_export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = access_object(RecordExport, request.user, "record.export", pk=pk,
                           status=RecordExport.Status.DONE)
    response = HttpResponse(bytes(export.file or b""),
                            content_type=FORMATS.get(export.file_format, "text/plain"))
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Checksum-SHA256"] = export.sha256
    return response
