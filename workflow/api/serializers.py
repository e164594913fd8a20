"""Serializers of the workflow API: saved filters, dispositions policies, settings rules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from workflow.filters import describe
from workflow.models import DispositionPolicy, SavedFilter, SettingsRule


class SavedFilterSerializer(serializers.ModelSerializer):
    shared = serializers.BooleanField(source="is_shared", read_only=True)
    description_of_query = serializers.SerializerMethodField()

    class Meta:
        model = SavedFilter
        fields = ["id", "name", "description", "query", "shared", "owner", "created_by",
                  "created_at", "updated_at", "description_of_query"]
        read_only_fields = fields

    def get_description_of_query(self, obj: SavedFilter) -> str:
        return describe(obj.query)


class SavedFilterWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    query = serializers.JSONField()
    shared = serializers.BooleanField(default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FilterCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    as_of = serializers.DateField()


class FilterAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_number = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()


class DispositionPolicySerializer(serializers.ModelSerializer):
    description_of_query = serializers.SerializerMethodField()

    class Meta:
        model = DispositionPolicy
        fields = ["id", "name", "target", "priority", "query", "saved_filter", "is_active",
                  "version", "approved_by", "approved_at", "description_of_query"]
        read_only_fields = fields

    def get_description_of_query(self, obj: DispositionPolicy) -> str:
        return describe(obj.query)


class DispositionPolicyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    target = serializers.ChoiceField(choices=DispositionPolicy.Target.choices)
    priority = serializers.IntegerField(min_value=0)
    query = serializers.JSONField()
    is_active = serializers.BooleanField(default=True)
    reason = serializers.CharField()


class SettingsRuleSerializer(serializers.ModelSerializer):
    exemptions = serializers.SerializerMethodField()

    class Meta:
        model = SettingsRule
        fields = ["id", "name", "query", "values", "position", "is_active", "exemptions"]
        read_only_fields = fields

    def get_exemptions(self, obj: SettingsRule) -> list[dict[str, Any]]:
        return [{"account": e.account_id, "reason": e.reason} for e in obj.exemptions.all()]


class SettingsRuleWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    query = serializers.JSONField()
    changes = serializers.DictField(required=False, default=dict)
    clear = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    position = serializers.IntegerField(required=False, min_value=0)
    exemptions = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                       required=False)
    is_active = serializers.BooleanField(default=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SettingsRulePreviewSerializer(serializers.Serializer):
    values = serializers.DictField()
    accounts_covered = serializers.IntegerField()
    accounts_changed = serializers.IntegerField()
    changes = serializers.ListField(child=serializers.DictField())
    exempted = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
