"""API: the firm's account holds (open by default), by account number and kind."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accounts.models import Account, AccountHold
from accounts.services.people_holds import account_hold_clear, account_hold_place
from rebal.access import access_object
from rebal.api.viewsets import FirmScopedViewSet


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


class HoldPlaceSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[AccountHold.Kind.SUSPENSION,
                                            AccountHold.Kind.COMPLIANCE])
    reason = serializers.CharField()


class HoldClearSerializer(serializers.Serializer):
    reason = serializers.CharField()


class AccountHoldViewSet(FirmScopedViewSet):
    """Why accounts are kept out of trading: data errors, suspensions, compliance holds.
    People place and clear suspensions and compliance holds; data errors clear by their source."""

    model = AccountHold
    serializer_class = AccountHoldSerializer
    filterset_class = AccountHoldFilterSet
    permission_object = "account"
    select_related = ("account",)
    ordering = ("-created_at", "-pk")
    action_permissions = {"create": "account.view", "clear": "account.view"}

    @extend_schema(request=HoldPlaceSerializer, responses={201: AccountHoldSerializer})
    def create(self, request: Request) -> Response:
        form = HoldPlaceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        account = access_object(Account, request.user, "account.view",
                                pk=form.validated_data["account"])
        try:
            hold = account_hold_place(account=account, kind=form.validated_data["kind"],
                                      reason=form.validated_data["reason"],
                                      acting_user=request.user)
        except PermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from denied
        return Response(AccountHoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HoldClearSerializer, responses=AccountHoldSerializer)
    @action(detail=True, methods=["post"])
    def clear(self, request: Request, pk: str | None = None) -> Response:
        form = HoldClearSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            hold = account_hold_clear(hold=self.get_object(), acting_user=request.user,
                                      reason=form.validated_data["reason"])
        except PermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from denied
        return Response(AccountHoldSerializer(hold).data)


router = DefaultRouter()
router.include_root_view = False
router.register("account-holds", AccountHoldViewSet, basename="account-hold")
urlpatterns = router.urls
