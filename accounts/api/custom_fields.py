"""Custom account fields over the API: listed for everyone, typed by the firm admin."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import CustomField
from accounts.services.custom_fields import custom_field_retype
from rebal.api.viewsets import FirmScopedViewSet


class CustomFieldSerializer(serializers.ModelSerializer):
    column = serializers.SerializerMethodField()

    class Meta:
        model = CustomField
        fields = ["id", "name", "column", "label", "field_type"]
        read_only_fields = fields

    def get_column(self, field: CustomField) -> str:
        return f"x_{field.name}"


class RetypeSerializer(serializers.Serializer):
    field_type = serializers.ChoiceField(choices=CustomField.Type.choices)
    label = serializers.CharField(required=False)
    reason = serializers.CharField()


class CustomFieldViewSet(FirmScopedViewSet):
    """The firm's ancillary account fields; filter accounts with `?x_<name>=value`."""

    model = CustomField
    serializer_class = CustomFieldSerializer
    permission_object = "custom_field"
    ordering = ("name",)
    action_permissions = {"retype": "custom_field.manage"}

    @extend_schema(request=RetypeSerializer, responses=CustomFieldSerializer)
    @action(detail=True, methods=["post"])
    def retype(self, request: Request, pk: str | None = None) -> Response:
        form = RetypeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        field = custom_field_retype(field=self.get_object(), acting_user=request.user,
                                    **form.validated_data)
        return Response(CustomFieldSerializer(field).data)
