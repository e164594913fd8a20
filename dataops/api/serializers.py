from __future__ import annotations

from rest_framework import serializers

from dataops.models import AssetClass, FeedFile, QuarantinedRow, Security, UnknownSecurity


class FeedFileSerializer(serializers.ModelSerializer):
    duration = serializers.FloatField(source="duration_seconds", read_only=True, allow_null=True,
                                      help_text="Seconds from the start of loading to its end.")

    class Meta:
        model = FeedFile
        fields = ["id", "name", "feed", "business_date", "seq", "status", "rows_read",
                  "rows_loaded", "rows_quarantined", "error", "checksum", "size", "door",
                  "delivered_by", "duplicate_of", "received_at", "started_at", "finished_at",
                  "duration"]
        read_only_fields = fields


class FeedUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The feed file, named `<feed>_<YYYYMMDD>[_<seq>].csv[.gz]` (see FEEDS.md).")


class QuarantinedRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuarantinedRow
        fields = ["id", "line_number", "column", "reason", "account_number", "raw"]
        read_only_fields = fields


class UnknownSecuritySerializer(serializers.ModelSerializer):
    first_seen_file_name = serializers.CharField(source="first_seen_file.name", read_only=True)
    resolved_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="email", read_only=True)

    class Meta:
        model = UnknownSecurity
        fields = ["id", "cusip", "ticker", "status", "placeholder", "first_seen_file",
                  "first_seen_file_name", "resolved_to", "resolved_at", "resolved_by"]
        read_only_fields = fields


class UnknownSecurityAddSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    security_type = serializers.ChoiceField(choices=Security.Type.choices)
    # Querysets built here carry the firm predicate and run in the request's firm.
    asset_class = serializers.SlugRelatedField(
        slug_field="code", queryset=AssetClass.objects.all(),
        help_text="The asset class code, e.g. EQ.US.LARGE.")
    sector = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500)


class UnknownSecurityMapSerializer(serializers.Serializer):
    security = serializers.PrimaryKeyRelatedField(
        queryset=Security.objects.exclude(status=Security.Status.PLACEHOLDER),
        help_text="The id of a security of the master (not another unknown one).")
    reason = serializers.CharField(max_length=500)
