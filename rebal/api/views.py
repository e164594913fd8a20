"""API endpoints of the platform core: who am I, alerts, API tokens, memberships."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rebal import services
from rebal.api import serializers
from rebal.api.viewsets import FirmScopedViewSet
from rebal.models import Alert, APIToken, Membership
from rebal.permissions import actions_for, roles_of


class MeView(APIView):
    """The caller: firm, roles or scopes, and the actions they permit."""

    permission_object = "home"

    def required_action(self, request: Any) -> str:
        return "home.view" if request.auth is None else "alert.view"

    def get_permissions(self) -> list[Any]:
        from rest_framework.permissions import IsAuthenticated

        return [IsAuthenticated()]

    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, APIToken) else None
        firm = getattr(request._request, "firm", None)
        data = {
            "principal": str(request.user),
            "firm": firm.code if firm else "",
            "roles": sorted(roles_of(request.user)),
            "scopes": token.scopes if token else [],
            "actions": actions_for(request.user) if firm else [],
        }
        return Response(serializers.MeSerializer(data).data)


class AlertViewSet(FirmScopedViewSet):
    """Alerts of the caller's firm."""

    model = Alert
    serializer_class = serializers.AlertSerializer
    permission_object = "alert"
    ordering = ("-last_raised_at",)
    action_permissions = {"acknowledge": "alert.acknowledge"}

    @extend_schema(request=None, responses=serializers.AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        alert = services.alert_acknowledge(alert=self.get_object(), acting_user=request.user)
        return Response(serializers.AlertSerializer(alert).data)


class APITokenViewSet(FirmScopedViewSet):
    """The firm's API tokens (firm admins): issue (value shown once) and revoke."""

    model = APIToken
    serializer_class = serializers.APITokenSerializer
    permission_object = "token"
    ordering = ("name",)
    action_permissions = {"create": "token.manage", "revoke": "token.manage"}

    @extend_schema(request=serializers.APITokenCreateSerializer,
                   responses={201: serializers.IssuedTokenSerializer})
    def create(self, request: Request) -> Response:
        form = serializers.APITokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        issued = services.api_token_create(
            name=form.validated_data["name"], scopes=form.validated_data["scopes"],
            reason=form.validated_data["reason"], acting_user=request.user,
        )
        data = serializers.APITokenSerializer(issued.token).data | {"token": issued.value}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.ReasonSerializer, responses=serializers.APITokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        form = serializers.ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        token = services.api_token_revoke(token=self.get_object(), acting_user=request.user,
                                          reason=form.validated_data["reason"])
        return Response(serializers.APITokenSerializer(token).data)


class MembershipViewSet(FirmScopedViewSet):
    """The firm's people and their roles (firm admins)."""

    model = Membership
    serializer_class = serializers.MembershipSerializer
    permission_object = "membership"
    select_related = ("user",)
    ordering = ("user__email",)
