"""Analyses over the API: an account's latest analysis and its history, and a what-if that
analyzes the account under settings changes without saving them (the advisor's editor)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account
from optimizer.account_inputs import AccountNotAnalyzable
from optimizer.api.payloads import stored_payload, what_if_payload
from optimizer.models import Analysis
from optimizer.selectors import latest_analysis
from optimizer.services import account_what_if
from rebal.api.viewsets import FirmScopedViewSetMixin


class WhatIfSerializer(serializers.Serializer):
    changes = serializers.DictField(required=False, default=dict,
                                    help_text="Setting name → value, as entered (as for saving).")
    clear = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    as_of = serializers.DateField(required=False, allow_null=True, default=None)


def _as_of(request: Request) -> date | None:
    raw = request.query_params.get("as_of")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationError("as_of: use YYYY-MM-DD") from None


class AccountAnalysisViewSet(FirmScopedViewSetMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """An account's analyses: the latest (or of a date), the history, and a what-if."""

    model = Account
    serializer_class = WhatIfSerializer
    permission_object = "account"
    ordering = ("account_number",)
    action_permissions = {"history": "account.view",
                          "what_if": "account.change_settings"}

    @extend_schema(parameters=[OpenApiParameter("as_of", str)],
                   responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The account's latest stored analysis (of the date `as_of`, when given)."""
        analysis = latest_analysis(self.get_object(), on=_as_of(request))
        if analysis is None:
            raise Http404("No analysis of this account yet.")
        return Response(stored_payload(analysis))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """The account's analyses, newest first: date, status, summary, key metrics."""
        rows = (Analysis.objects.filter(account=self.get_object())
                .order_by("-trade_date", "-pk")
                .values("pk", "trade_date", "status", "summary", "trade_metrics")[:250])
        return Response([{"id": row["pk"], "trade_date": row["trade_date"],
                          "status": row["status"], "summary": row["summary"],
                          "turnover": row["trade_metrics"].get("turnover"),
                          "estimated_tax": row["trade_metrics"].get("estimated_tax")}
                         for row in rows])

    @extend_schema(request=WhatIfSerializer, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="what-if")
    def what_if(self, request: Request, pk: str | None = None) -> Response:
        """Analyze the account as if its settings were changed; nothing is saved. Refused for
        the same reasons as saving the change (customization limits included)."""
        account = self.get_object()
        form = WhatIfSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        as_of = form.validated_data["as_of"] or timezone.localdate()
        try:
            found = account_what_if(account=account, as_of=as_of,
                                    changes=form.validated_data["changes"],
                                    clear=form.validated_data["clear"], acting_user=request.user)
        except AccountNotAnalyzable as refused:  # a corporate action its lots match no side of
            raise serializers.ValidationError(str(refused)) from refused
        return Response(what_if_payload(found.inputs, found.result))
