"""Orders released to the OMS (one per trade), their fills, and the OMS's idempotency keys.
What the OMS does to an order is recorded as TradeEvents; these rows hold the current state."""

from __future__ import annotations

from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from rebal.models.base import FirmOwnedModel


class OrderStatus(models.TextChoices):
    RELEASED = "released", "Released"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


class Order(FirmOwnedModel):
    """A released trade: `client_order_id` is derived from the trade, so it is stable and
    unique in the firm; sells carry the lots the custodian is to relieve."""

    trade = models.OneToOneField("workflow.BatchTrade", on_delete=models.PROTECT,
                                 related_name="order")
    batch = models.ForeignKey("workflow.TradeBatch", on_delete=models.PROTECT,
                              related_name="orders")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    client_order_id = models.CharField(max_length=40)
    side = models.CharField(max_length=4)
    shares = models.DecimalField(max_digits=20, decimal_places=6)
    limit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    # [{"lot_id": …, "acquired": …, "shares": "…"}]: versus-purchase instructions.
    lot_instructions = models.JSONField(encoder=DjangoJSONEncoder, default=list, blank=True)
    discretionary = models.BooleanField()
    status = models.CharField(max_length=20, choices=OrderStatus.choices,
                              default=OrderStatus.RELEASED)
    filled_shares = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    broker = models.CharField(max_length=100, blank=True, default="")  # from the OMS
    oms_order_id = models.CharField(max_length=100, blank=True, default="")
    released_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # filled or cancelled
    late_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["released_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["firm", "client_order_id"],
                                               name="client_order_id_per_firm")]
        indexes = [models.Index(fields=["firm", "status", "released_at"])]

    def __str__(self) -> str:
        return self.client_order_id

    @property
    def open_shares(self) -> Decimal:
        return self.shares - self.filled_shares


class Fill(FirmOwnedModel):
    """An execution reported by the OMS; its execution id makes a repeated report a no-op."""

    append_only = True

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="fills")
    execution_id = models.CharField(max_length=100)
    shares = models.DecimalField(max_digits=20, decimal_places=6)
    price = models.DecimalField(max_digits=20, decimal_places=6)
    executed_at = models.DateTimeField()
    broker = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "executed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["firm", "execution_id"],
                                               name="fill_execution_id_per_firm")]


class IdempotencyRecord(FirmOwnedModel):
    """A POST made with an Idempotency-Key: the request's digest and the response given, so a
    retry gets the same answer and a different body under the same key is refused."""

    append_only = True

    api_token = models.ForeignKey("rebal.APIToken", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_token", "key"],
                                               name="idempotency_key_per_token")]
