"""Corporate-action events as the feed announces them; applying them is its own step."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class CorporateAction(FirmOwnedModel):
    """One announced event, upserted by its action_id and applied once."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"

    action_id = models.CharField(max_length=64)
    type = models.CharField(max_length=30)
    effective_date = models.DateField()
    pay_date = models.DateField(null=True, blank=True)
    tax_treatment = models.CharField(max_length=20, blank=True, default="")
    old_security = models.ForeignKey("dataops.Security", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    old_cusip = models.CharField(max_length=9, blank=True, default="")
    old_ticker = models.CharField(max_length=20, blank=True, default="")
    new_cusip = models.CharField(max_length=9, blank=True, default="")
    new_ticker = models.CharField(max_length=20, blank=True, default="")
    new_name = models.CharField(max_length=200, blank=True, default="")
    ratio_from = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    ratio_to = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    cash_per_share = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    basis_allocation_pct = models.DecimalField(max_digits=9, decimal_places=6, null=True,
                                               blank=True)
    cash_in_lieu = models.BooleanField(default=False)
    cash_in_lieu_price = models.DecimalField(max_digits=20, decimal_places=6, null=True,
                                             blank=True)
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    feed_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT, related_name="+")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["effective_date", "action_id"]
        constraints = [models.UniqueConstraint(fields=["firm", "action_id"],
                                               name="corporate_action_id")]

    def __str__(self) -> str:
        return f"{self.action_id} {self.type}"
