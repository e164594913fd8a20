"""Compliance pages: the records with filters (htmx), one record with its trades, reasons,
inputs and events, and the export of a period for a regulator with its checksum."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

from dataops.models import FeedFile
from optimizer.models import Analysis
from rebal.access import access_object
from rebal.permissions import can
from rebal.views.base import firm_page
from reports.exports import FORMATS, records_export
from reports.filtersets import RecordFilterSet
from reports.selectors import RECORD_SELECT, record_detail, records_for_user

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[RecordFilterSet, str]:
    filters = RecordFilterSet(request.GET, queryset=records_for_user(request.user)
                              .select_related(*RECORD_SELECT).order_by("-trade_date", "-pk"))
    query = urlencode({k: v for k, v in request.GET.items()
                       if k in filters.base_filters and v})
    return filters, query


@firm_page("record.view")
def record_list(request: HttpRequest) -> HttpResponse:
    filters, query = _filtered(request)
    records = filters.qs if filters.is_valid() else Analysis.objects.none()
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
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


@firm_page("record.export")
def record_export(request: HttpRequest) -> HttpResponse:
    """The export form; with a format chosen, the checksum and count of that export; with
    `download`, the file itself (the same bytes: the export is deterministic)."""
    filters, _ = _filtered(request)
    file_format = request.GET.get("file_format", "")
    context: dict[str, object] = {"filters": filters, "formats": list(FORMATS),
                                  "file_format": file_format}
    if file_format in FORMATS and filters.is_valid():
        data = filters.form.cleaned_data
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
