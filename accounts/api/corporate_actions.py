"""Corporate actions over the API: list and inspect (what was applied, which holders, held
why), enter, correct and cancel. Served by the accounts room because an action's holders are
accounts; the event itself and its services live in dataops."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accounts.models import CorporateActionExpectation
from dataops.models import CorporateAction, CorporateActionApplication
from dataops.services.corporate_actions import (
    corporate_action_cancel,
    corporate_action_correct,
    corporate_action_enter,
)
from rebal.api.viewsets import FirmScopedViewSet

TERM_FIELDS = ["type", "effective_date", "pay_date", "tax_treatment", "old_cusip", "old_ticker",
               "new_cusip", "new_ticker", "new_name", "ratio_from", "ratio_to",
               "cash_per_share", "basis_allocation_pct", "cash_in_lieu", "cash_in_lieu_price",
               "description"]


class CorporateActionApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = CorporateActionApplication
        fields = ["id", "as_of", "applied_at", "terms", "effects", "reversed_at",
                  "reversed_reason"]
        read_only_fields = fields


class CorporateActionSerializer(serializers.ModelSerializer):
    old_security_ticker = serializers.CharField(source="old_security.ticker", read_only=True,
                                                default="")
    new_security_ticker = serializers.CharField(source="new_security.ticker", read_only=True,
                                                default="")
    applications = CorporateActionApplicationSerializer(many=True, read_only=True)

    class Meta:
        model = CorporateAction
        fields = ["id", "action_id", *TERM_FIELDS, "status", "problem", "old_security",
                  "old_security_ticker", "new_security", "new_security_ticker", "feed_file",
                  "applications"]
        read_only_fields = fields


class CorporateActionHolderSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.account_number", read_only=True)

    class Meta:
        model = CorporateActionExpectation
        fields = ["id", "account", "account_number", "application", "status", "window_start",
                  "window_end", "lots_before", "lots_after", "realized", "cash", "basis_before",
                  "basis_after", "basis_relieved", "cash_received", "gain_realized",
                  "custodian", "reason"]
        read_only_fields = fields


class CorporateActionTermsSerializer(serializers.ModelSerializer):
    """An action's terms as the feed's columns (FEEDS.md, corporate_actions)."""

    class Meta:
        model = CorporateAction
        fields = TERM_FIELDS
        extra_kwargs = {name: {"required": False} for name in TERM_FIELDS
                        if name not in ("type", "effective_date")}


class CorporateActionEnterSerializer(CorporateActionTermsSerializer):
    action_id = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=500)

    class Meta(CorporateActionTermsSerializer.Meta):
        fields = ["action_id", *TERM_FIELDS, "reason"]


class CorporateActionChangesSerializer(CorporateActionTermsSerializer):
    """Only the terms that change."""

    class Meta(CorporateActionTermsSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in TERM_FIELDS}


class CorporateActionCorrectSerializer(serializers.Serializer):
    changes = CorporateActionChangesSerializer()
    reason = serializers.CharField(max_length=500)


class CorporateActionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CorporateActionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CorporateAction.Status.choices)
    type = django_filters.ChoiceFilter(choices=CorporateAction.Type.choices)
    effective_after = django_filters.DateFilter(field_name="effective_date", lookup_expr="gte")

    class Meta:
        model = CorporateAction
        fields = ["status", "type", "action_id"]


class CorporateActionViewSet(FirmScopedViewSet):
    """Corporate actions: as received or entered, each application, and every holder's
    expected lots with how the custodian compared."""

    model = CorporateAction
    serializer_class = CorporateActionSerializer
    filterset_class = CorporateActionFilterSet
    permission_object = "corporate_action"
    select_related = ("old_security", "new_security")
    ordering = ("-effective_date", "action_id")
    action_permissions = {"create": "corporate_action.edit", "correct": "corporate_action.edit",
                          "cancel": "corporate_action.edit",
                          "holders": "corporate_action.view"}

    @extend_schema(request=CorporateActionEnterSerializer,
                   responses={201: CorporateActionSerializer})
    def create(self, request: Request) -> Response:
        """Enter an action by hand, with a reason; applied at once if it is due."""
        form = CorporateActionEnterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(form.validated_data)
        reason = values.pop("reason")
        created = corporate_action_enter(values=values, reason=reason, acting_user=request.user)
        return Response(CorporateActionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CorporateActionCorrectSerializer, responses=CorporateActionSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        """Change an action's terms; an applied action is reversed and applied again."""
        target = self.get_object()
        form = CorporateActionCorrectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        corrected = corporate_action_correct(
            action=target, changes=dict(form.validated_data["changes"]),
            reason=form.validated_data["reason"], acting_user=request.user)
        return Response(CorporateActionSerializer(corrected).data)

    @extend_schema(request=CorporateActionCancelSerializer, responses=CorporateActionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel an action; what it did is reversed."""
        target = self.get_object()
        form = CorporateActionCancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cancelled = corporate_action_cancel(action=target, reason=form.validated_data["reason"],
                                            acting_user=request.user)
        return Response(CorporateActionSerializer(cancelled).data)

    @extend_schema(responses=CorporateActionHolderSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def holders(self, request: Request, pk: str | None = None) -> Response:
        """Every holder the action reached: lots before and after, cash, gain, and the
        custodian's version when it differs."""
        target = self.get_object()
        rows = (CorporateActionExpectation.objects.for_user(request.user, "corporate_action.view")
                .filter(action=target).select_related("account")
                .order_by("account__account_number", "-pk"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            CorporateActionHolderSerializer(page, many=True).data)


router = DefaultRouter()
router.include_root_view = False
router.register("corporate-actions", CorporateActionViewSet, basename="corporate-action")
urlpatterns = router.urls
