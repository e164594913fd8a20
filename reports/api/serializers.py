"""Records over the API: the list row and the full record (shapes from reports.records)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from optimizer.models import Analysis
from reports.models import RecordExport
from reports.records import record_document, record_summary
from reports.selectors import record_detail


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    account_number = serializers.CharField(read_only=True)
    account_name = serializers.CharField(read_only=True)
    trade_date = serializers.DateField(read_only=True)
    status = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    estimated_tax = serializers.CharField(read_only=True, allow_null=True)
    turnover = serializers.FloatField(read_only=True, allow_null=True)
    settings_sha256 = serializers.CharField(read_only=True, allow_null=True)
    target_sha256 = serializers.CharField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Analysis) -> dict[str, Any]:
        return record_summary(instance)


class RecordDetailSerializer(RecordSerializer):
    before = serializers.JSONField(read_only=True)
    after = serializers.JSONField(read_only=True)
    trade_metrics = serializers.JSONField(read_only=True)
    relaxations = serializers.JSONField(read_only=True)
    notes = serializers.JSONField(read_only=True)
    calibration = serializers.JSONField(read_only=True)
    solver = serializers.JSONField(read_only=True)
    sources = serializers.JSONField(read_only=True, help_text=(
        "The data used: lot set, cash balance, prices and risk model with their as-of dates "
        "and feed files (id, name, checksum); wash-sale windows and open orders respected; "
        "solver software versions."))
    tax_naive = serializers.JSONField(read_only=True)
    settings = serializers.JSONField(read_only=True, allow_null=True,
                                     help_text="Effective settings with the source of each.")
    target = serializers.JSONField(read_only=True, allow_null=True,
                                   help_text="The resolved target with its provenance.")
    trades = serializers.ListField(child=serializers.DictField(), read_only=True, help_text=(
        "Proposed trades with lots, reasons and explanation, and their batch trades and "
        "orders (client order ids)."))
    events = serializers.ListField(child=serializers.DictField(), read_only=True,
                                   help_text="What happened since, oldest first (workflow).")

    def to_representation(self, instance: Analysis) -> dict[str, Any]:
        return record_document(record_detail(instance))


class ExportChecksumSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    records = serializers.IntegerField()
    filename = serializers.CharField()


class RecordExportSerializer(serializers.ModelSerializer):
    """A background records export: its progress, and its file's SHA-256 once done."""

    percent_done = serializers.IntegerField(read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = RecordExport
        fields = ["id", "file_format", "query", "start", "end", "status", "requested_by_label",
                  "records_total", "records_done", "percent_done", "filename", "sha256", "size",
                  "error", "created_at", "finished_at", "download"]
        read_only_fields = fields

    def get_download(self, export: RecordExport) -> str | None:
        """Where the file is, once done."""
        if export.status != RecordExport.Status.DONE:
            return None
        return reverse("api:record-export-api-download", kwargs={"pk": export.pk})
