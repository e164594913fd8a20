"""The workflow API: saved filters (with their live count and accounts), dispositions policies
and settings rules (with a preview before applying). Writes go through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from rebal.api.viewsets import FirmScopedViewSet
from workflow.api import serializers as s
from workflow.filters.visible import accounts_visible_matching
from workflow.models import DispositionPolicy, SavedFilter, SettingsRule
from workflow.services.dispositions import disposition_policy_save
from workflow.services.filters import saved_filter_delete, saved_filter_save
from workflow.services.settings_rules import (
    RulePreview,
    settings_rule_apply,
    settings_rule_preview,
)

AS_OF = OpenApiParameter("as_of", str, description="YYYY-MM-DD (holdings and analyses on or "
                         "before it); today by default")


def _as_of(request: Request) -> date:
    raw = request.query_params.get("as_of")
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        raise ValidationError("as_of: use YYYY-MM-DD") from None


class SavedFilterViewSet(FirmScopedViewSet):
    """Named queries over accounts, shared with the firm or personal, with a live count."""

    model = SavedFilter
    serializer_class = s.SavedFilterSerializer
    permission_object = "filter"
    ordering = ("name", "pk")
    action_permissions = {"create": "filter.manage", "partial_update": "filter.manage",
                          "destroy": "filter.manage", "count": "filter.view",
                          "accounts": "filter.view"}

    def _save(self, request: Request, saved_filter: SavedFilter | None) -> SavedFilter:
        form = s.SavedFilterWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        return saved_filter_save(saved_filter=saved_filter, name=data["name"],
                                 query=data["query"], shared=data["shared"],
                                 description=data["description"], reason=data["reason"],
                                 acting_user=request.user)

    @extend_schema(request=s.SavedFilterWriteSerializer, responses={201: s.SavedFilterSerializer})
    def create(self, request: Request) -> Response:
        return Response(s.SavedFilterSerializer(self._save(request, None)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SavedFilterWriteSerializer, responses=s.SavedFilterSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Replace the filter's name, query and sharing."""
        return Response(s.SavedFilterSerializer(self._save(request, self.get_object())).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        saved_filter_delete(saved_filter=self.get_object(),
                            reason=str(request.data.get("reason", "")) if isinstance(
                                request.data, dict) else "", acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[AS_OF], responses=s.FilterCountSerializer)
    @action(detail=True, methods=["get"])
    def count(self, request: Request, pk: str | None = None) -> Response:
        """How many accounts (that the caller may see) the filter selects: one query."""
        as_of = _as_of(request)
        selected = accounts_visible_matching(request.user, self.get_object().query, as_of)
        return Response({"count": selected.count(), "as_of": as_of})

    @extend_schema(parameters=[AS_OF], responses=s.FilterAccountSerializer(many=True))
    @action(detail=True, methods=["get"])
    def accounts(self, request: Request, pk: str | None = None) -> Response:
        """The accounts the filter selects, paged."""
        selected = accounts_visible_matching(request.user, self.get_object().query,
                                       _as_of(request)).order_by("account_number")
        page = self.paginate_queryset(selected.values("id", "account_number", "name",
                                                      "status"))
        return self.get_paginated_response(s.FilterAccountSerializer(page, many=True).data)


class DispositionPolicyViewSet(FirmScopedViewSet):
    """The firm's policies: which filter puts accounts in which disposition or oversight list;
    every change a new version with its reason."""

    model = DispositionPolicy
    serializer_class = s.DispositionPolicySerializer
    permission_object = "policy"
    ordering = ("target", "priority", "pk")
    action_permissions = {"create": "policy.manage", "partial_update": "policy.manage"}

    def _save(self, request: Request, policy: DispositionPolicy | None) -> DispositionPolicy:
        form = s.DispositionPolicyWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        return disposition_policy_save(
            policy=policy, name=data["name"], target=data["target"], priority=data["priority"],
            query=data["query"], is_active=data["is_active"], reason=data["reason"],
            acting_user=request.user)

    @extend_schema(request=s.DispositionPolicyWriteSerializer,
                   responses={201: s.DispositionPolicySerializer})
    def create(self, request: Request) -> Response:
        return Response(s.DispositionPolicySerializer(self._save(request, None)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DispositionPolicyWriteSerializer,
                   responses=s.DispositionPolicySerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """A new version of the policy."""
        return Response(s.DispositionPolicySerializer(
            self._save(request, self.get_object())).data)


def _preview_data(preview: RulePreview) -> dict[str, Any]:
    return {"values": preview.values, "accounts_covered": preview.accounts_covered,
            "accounts_changed": preview.accounts_changed,
            "changes": [c.as_record() for c in preview.changes],
            "exempted": [list(pair) for pair in preview.exempted]}


class SettingsRuleViewSet(FirmScopedViewSet):
    """Settings for the accounts a filter selects, with exemptions; preview, then apply."""

    model = SettingsRule
    serializer_class = s.SettingsRuleSerializer
    permission_object = "settings_rule"
    ordering = ("position", "pk")
    action_permissions = {"create": "settings_rule.manage",
                          "partial_update": "settings_rule.manage",
                          "preview": "settings_rule.view"}

    def _form(self, request: Request) -> dict[str, Any]:
        form = s.SettingsRuleWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        if "exemptions" in data:
            try:
                data["exemptions"] = {int(k): v for k, v in data["exemptions"].items()}
            except ValueError:
                raise ValidationError("exemptions: keys are account ids") from None
        return data

    def _apply(self, request: Request, rule: SettingsRule | None) -> SettingsRule:
        data = self._form(request)
        return settings_rule_apply(
            rule=rule, name=data["name"], query=data["query"], changes=data["changes"],
            clear=data["clear"], position=data.get("position"),
            exemptions=data.get("exemptions"), is_active=data["is_active"],
            reason=data["reason"], acting_user=request.user).rule

    @extend_schema(request=s.SettingsRuleWriteSerializer,
                   responses={201: s.SettingsRuleSerializer})
    def create(self, request: Request) -> Response:
        """Apply a new rule (one change set, with its reason)."""
        return Response(s.SettingsRuleSerializer(self._apply(request, None)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SettingsRuleWriteSerializer, responses=s.SettingsRuleSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Apply a change to the rule (one change set, with its reason)."""
        return Response(s.SettingsRuleSerializer(
            self._apply(request, self.get_object())).data)

    @extend_schema(request=s.SettingsRuleWriteSerializer,
                   responses=s.SettingsRulePreviewSerializer)
    @action(detail=True, methods=["post"])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """What a change to the rule would change, account by account; nothing is saved."""
        data = self._form(request)
        preview = settings_rule_preview(
            rule=self.get_object(), name=data["name"], query=data["query"],
            changes=data["changes"], clear=data["clear"], position=data.get("position"),
            exemptions=data.get("exemptions"))
        return Response(_preview_data(preview))
