"""The records API: list with filters, one record with its events, and the export of a period
(CSV or JSON) with its SHA-256 (in the X-Checksum-SHA256 header, and on its own)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from optimizer.models import Analysis
from rebal.api.viewsets import FirmScopedReadOnlyViewSet
from reports.api.serializers import (
    ExportChecksumSerializer,
    RecordDetailSerializer,
    RecordSerializer,
)
from reports.exports import FORMATS, Export, records_export
from reports.filtersets import RecordFilterSet
from reports.selectors import RECORD_SELECT

FILE_FORMAT = OpenApiParameter("file_format", str, enum=list(FORMATS),
                               description="csv (one row per proposed trade) or json")


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
        file_format = request.query_params.get("file_format", "json")
        if file_format not in FORMATS:
            raise ValidationError({"file_format": f"one of {', '.join(FORMATS)}"})
        filters = RecordFilterSet(request.query_params, queryset=Analysis.objects.none())
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        return records_export(records=self.filter_queryset(self.get_queryset()),
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
