"""The records API: list with filters, one record with its events, and the export of a period
(CSV or JSON) with its SHA-256 (in the X-Checksum-SHA256 header, and on its own); a period of
more than `IMMEDIATE_RECORDS` records is exported in the background (`/record-exports/`)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from optimizer.models import Analysis
from rebal.api.viewsets import FirmScopedReadOnlyViewSet, FirmScopedViewSet
from reports.api.serializers import (
    ExportChecksumSerializer,
    RecordDetailSerializer,
    RecordExportSerializer,
    RecordSerializer,
)
from reports.exports import FORMATS, Export, records_export
from reports.filtersets import RecordFilterSet
from reports.models import RecordExport
from reports.record_exports import IMMEDIATE_RECORDS, record_export_request
from reports.selectors import RECORD_SELECT

FILE_FORMAT = OpenApiParameter("file_format", str, enum=list(FORMATS),
                               description="csv (one row per proposed trade) or json")


def _file_format(request: Request) -> str:
    file_format = request.query_params.get("file_format", "json")
    if file_format not in FORMATS:
        raise ValidationError({"file_format": f"one of {', '.join(FORMATS)}"})
    return file_format


def _valid_filters(request: Request) -> RecordFilterSet:
    filters = RecordFilterSet(request.query_params, queryset=Analysis.objects.none())
    if not filters.is_valid():
        raise ValidationError(filters.errors)
    return filters


class RecordViewSet(FirmScopedReadOnlyViewSet):
    """Analysis records (SEC Rule 204-2): the settings, target, data and reasons behind
    every proposed trade, and what happened to it."""

    model = Analysis
    serializer_class = RecordSerializer
    permission_object = "record"
    filterset_class = RecordFilterSet
    select_related = RECORD_SELECT
    ordering = ("-trade_date", "-pk")
    action_permissions = {"export": "record.export", "export_checksum": "record.export"}

    def get_serializer_class(self) -> Any:
        return RecordDetailSerializer if self.action == "retrieve" else RecordSerializer

    def _export(self, request: Request) -> Export:
        file_format = _file_format(request)
        filters = _valid_filters(request)
        records = self.filter_queryset(self.get_queryset())
        count = records.count()
        if count > IMMEDIATE_RECORDS:
            raise ValidationError({"detail": (
                f"{count} records: more than {IMMEDIATE_RECORDS} are exported in the "
                "background. POST the same parameters to /api/v1/record-exports/, then "
                "download the file from the export when its status is done.")})
        return records_export(records=records,
                              firm_code=request.firm.code,  # type: ignore[attr-defined]
                              start=filters.form.cleaned_data.get("from"),
                              end=filters.form.cleaned_data.get("to"), file_format=file_format)

    @extend_schema(parameters=[FILE_FORMAT], responses={
        (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> FileResponse:
        """The records the filters select, as one file; its SHA-256 in X-Checksum-SHA256."""
        export = self._export(request)
        response = FileResponse(export.file, as_attachment=True, filename=export.filename,
                                content_type=export.content_type)
        response["X-Checksum-SHA256"] = export.sha256
        response["X-Record-Count"] = str(export.records)
        return response

    @extend_schema(parameters=[FILE_FORMAT], responses=ExportChecksumSerializer)
    @action(detail=False, methods=["get"], url_path="export-checksum", pagination_class=None)
    def export_checksum(self, request: Request) -> Response:
        """The SHA-256, size and record count of the export the same query downloads."""
        export = self._export(request)
        export.file.close()
        return Response(ExportChecksumSerializer({
            "sha256": export.sha256, "size": export.size, "records": export.records,
            "filename": export.filename}).data)


RECORD_FILTERS = [OpenApiParameter(name, str) for name in RecordFilterSet.base_filters]


class RecordExportViewSet(FirmScopedViewSet):
    """Records exports made in the background: POST the export's parameters (the records'
    filters and `file_format`, as query parameters), follow its progress, download its file."""

    model = RecordExport
    serializer_class = RecordExportSerializer
    permission_object = "record"
    ordering = ("-created_at", "-pk")
    action_permissions = {"list": "record.export", "retrieve": "record.export",
                          "create": "record.export", "download": "record.export"}

    @extend_schema(parameters=[FILE_FORMAT, *RECORD_FILTERS], request=None,
                   responses={202: RecordExportSerializer})
    def create(self, request: Request) -> Response:
        """Queue the export of the records the filters select (any number of them)."""
        file_format = _file_format(request)
        filters = _valid_filters(request)
        data = filters.form.cleaned_data
        records = filters.filter_queryset(
            Analysis.objects.for_user(request.user, "record.export"))
        export = record_export_request(
            records=records, file_format=file_format, start=data.get("from"),
            end=data.get("to"), acting_user=request.user,
            query={k: v for k, v in request.query_params.items()
                   if k in filters.base_filters and v})
        return Response(RecordExportSerializer(export).data, status=202)

    @extend_schema(responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
                              (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    @action(detail=True, methods=["get"], url_name="api-download")
    def download(self, request: Request, pk: str) -> HttpResponse:
        """The finished export's file; its SHA-256 in X-Checksum-SHA256 (404 until done)."""
        export = self.get_object()
        if export.status != RecordExport.Status.DONE:
            raise NotFound("The export has not finished.")
        response = HttpResponse(bytes(export.file or b""),
                                content_type=FORMATS.get(export.file_format, "text/plain"))
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["X-Checksum-SHA256"] = export.sha256
        return response
