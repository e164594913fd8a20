"""Lot and cash snapshots from the custodian (the book of record), and transactions.

A lot set is the custodian's complete list of an account's lots on a business date from one
file; a correction file adds a newer lot set for the same date. Nothing is edited or deleted:
the current holdings are the newest accepted lot set and the cash of the same date. Loaded with
COPY, not row-audited: every row names its file.
"""

from __future__ import annotations

from django.db import models

from accounts.tax.realized import TransactionType
from rebal.models.base import FirmOwnedModel

# The feed's transaction types, defined once with the tax engine that replays them.
TRANSACTION_TYPES = [(kind.value, kind.value.replace("_", " ")) for kind in TransactionType]


class LotSet(FirmOwnedModel):
    """All of an account's open lots on a business date, as one file delivered them."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="lot_sets")
    business_date = models.DateField()
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")
    lot_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["firm", "account", "business_date"])]
        constraints = [models.UniqueConstraint(fields=["account", "feed_file"],
                                               name="lot_set_per_file")]


class TaxLot(FirmOwnedModel):
    """An open tax lot as the custodian carries it; wash-sale overlays never edit it."""

    lot_set = models.ForeignKey(LotSet, on_delete=models.PROTECT, related_name="lots")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    lot_id = models.CharField(max_length=50)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    cost_basis = models.DecimalField(max_digits=20, decimal_places=2)  # total for the lot
    acquired_date = models.DateField()
    holding_period_start = models.DateField(null=True, blank=True)
    wash_sale_adjustment = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["lot_set"])]


class CashBalance(FirmOwnedModel):
    """An account's cash on a business date, as one file delivered it."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="cash_balances")
    business_date = models.DateField()
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")
    cash = models.DecimalField(max_digits=20, decimal_places=2)
    pending_withdrawal = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    class Meta:
        indexes = [models.Index(fields=["firm", "account", "business_date"])]


class Transaction(FirmOwnedModel):
    """A trade or cash flow; appended, idempotent by transaction_id."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="transactions")
    transaction_id = models.CharField(max_length=64)
    trade_date = models.DateField()
    settle_date = models.DateField(null=True, blank=True)
    type = models.CharField(max_length=30, choices=TRANSACTION_TYPES)
    security = models.ForeignKey("dataops.Security", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    lot_id = models.CharField(max_length=50, blank=True, default="")
    realized_gain = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    cancels = models.CharField(max_length=64, blank=True, default="")
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "transaction_id"],
                                               name="transaction_id_per_firm")]
        indexes = [models.Index(fields=["firm", "account", "trade_date"])]
