"""API: the firm's account holds (open by default), by account number and kind."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.routers import DefaultRouter

from accounts.models import AccountHold
from rebal.api.viewsets import FirmScopedReadOnlyViewSet


class AccountHoldSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.account_number", read_only=True)

    class Meta:
        model = AccountHold
        fields = ["id", "account", "account_number", "kind", "reason", "source", "created_at",
                  "cleared_at", "cleared_reason"]
        read_only_fields = fields


class AccountHoldFilterSet(django_filters.FilterSet):
    """Lists show open holds unless `open=false` is asked for: a hold matters while it keeps
    the account out of trading. A single hold is found whether open or cleared."""

    account = django_filters.CharFilter(field_name="account__account_number")
    kind = django_filters.ChoiceFilter(choices=AccountHold.Kind.choices)
    open = django_filters.BooleanFilter(field_name="cleared_at", lookup_expr="isnull")

    class Meta:
        model = AccountHold
        fields = ["account", "kind", "open", "source"]

    def __init__(self, data: Any = None, *args: Any, request: Any = None, **kwargs: Any) -> None:
        view = getattr(request, "parser_context", None) or {}
        if getattr(view.get("view"), "action", None) == "list":
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data.setdefault("open", "true")
        super().__init__(data, *args, request=request, **kwargs)


class AccountHoldViewSet(FirmScopedReadOnlyViewSet):
    """Why accounts are kept out of trading: data errors, suspensions, compliance holds."""

    model = AccountHold
    serializer_class = AccountHoldSerializer
    filterset_class = AccountHoldFilterSet
    permission_object = "account"
    select_related = ("account",)
    ordering = ("-created_at", "-pk")


router = DefaultRouter()
router.include_root_view = False
router.register("account-holds", AccountHoldViewSet, basename="account-hold")
urlpatterns = router.urls
