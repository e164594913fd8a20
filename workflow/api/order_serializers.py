"""Orders as the OMS sees them, and what it posts back."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workflow.models import Fill, Order


class LotInstructionSerializer(serializers.Serializer):
    lot_id = serializers.CharField()
    shares = serializers.CharField(help_text="Shares of the lot to relieve (decimal string).")
    acquired = serializers.CharField(required=False, help_text="YYYY-MM-DD")


@extend_schema_field(LotInstructionSerializer(many=True))
class LotInstructionsField(serializers.JSONField):
    """The stored instructions as they are: a nested serializer per lot costs a tenth of a
    millisecond an order, which a 10,000-order pull feels."""


class OrderSerializer(serializers.ModelSerializer):
    account_number = serializers.CharField(source="account.account_number", read_only=True)
    ticker = serializers.CharField(source="security.ticker", read_only=True)
    cusip = serializers.CharField(source="security.cusip", read_only=True)
    lot_instructions = LotInstructionsField(
        read_only=True,
        help_text="Sells: the lots to relieve, versus purchase; empty for buys.")

    class Meta:
        model = Order
        fields = ["id", "client_order_id", "batch", "account_number", "ticker", "cusip",
                  "side", "shares", "limit_price", "lot_instructions", "discretionary",
                  "status", "filled_shares", "broker", "oms_order_id", "released_at",
                  "acknowledged_at", "closed_at"]
        read_only_fields = fields


class AcknowledgeSerializer(serializers.Serializer):
    broker = serializers.CharField(max_length=100, help_text="The executing broker.")
    oms_order_id = serializers.CharField(max_length=100, required=False, default="",
                                         allow_blank=True)


class FillWriteSerializer(serializers.Serializer):
    execution_id = serializers.CharField(max_length=100,
                                         help_text="The OMS's id of the execution; the same "
                                         "id posted again counts once.")
    shares = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=0)
    price = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=0)
    executed_at = serializers.DateTimeField()
    broker = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class FillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Fill
        fields = ["id", "execution_id", "shares", "price", "executed_at", "broker"]
        read_only_fields = fields


class FillResultSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False when the execution was already "
                                       "recorded (nothing changed).")
    fill = FillSerializer()
    order = OrderSerializer()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
