"""Corporate-action events as the feed announces them, and each time one was applied.

Applying is its own step (dataops.services.corporate_actions): an event is applied once, when
its effective date has come; a later file or a data manager that changes an applied event marks
it corrected, and the next step reverses the application and applies the corrected terms.
"""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class CorporateAction(FirmOwnedModel):
    """One announced event, upserted by its action_id and applied once."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"  # not applied yet: waiting, or lacking a term
        APPLIED = "applied", "Applied"
        CORRECTED = "corrected", "Corrected after it was applied"  # to reverse and re-apply
        CANCELLED = "cancelled", "Cancelled"

    class Type(models.TextChoices):
        SPLIT = "split", "Split"
        REVERSE_SPLIT = "reverse_split", "Reverse split"
        STOCK_DIVIDEND = "stock_dividend", "Stock dividend"
        SPINOFF = "spinoff", "Spin-off"
        STOCK_MERGER = "stock_merger", "Stock merger"
        CASH_MERGER = "cash_merger", "Cash merger"
        CASH_STOCK_MERGER = "cash_stock_merger", "Cash and stock merger"
        TICKER_CHANGE = "ticker_change", "Ticker change"
        CUSIP_CHANGE = "cusip_change", "CUSIP change"
        NAME_CHANGE = "name_change", "Name change"
        DELISTING = "delisting", "Delisting"

    action_id = models.CharField(max_length=64)
    type = models.CharField(max_length=30, choices=Type.choices)
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
    # The security the holders receive (spin-off, mergers), found or added when applied.
    new_security = models.ForeignKey("dataops.Security", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    # Why a due action could not be applied (a missing term), in plain English.
    problem = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    # Null when a data manager entered the event rather than a file.
    feed_file = models.ForeignKey("dataops.FeedFile", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["effective_date", "action_id"]
        constraints = [models.UniqueConstraint(fields=["firm", "action_id"],
                                               name="corporate_action_id")]

    def __str__(self) -> str:
        return f"{self.action_id} {self.type}"


class CorporateActionApplication(FirmOwnedModel):
    """One application of an action to the firm's data: the terms it used and what each
    room's handler changed (so that a correction can reverse exactly that)."""

    action = models.ForeignKey(CorporateAction, on_delete=models.PROTECT,
                               related_name="applications")
    as_of = models.DateField()
    applied_at = models.DateTimeField(auto_now_add=True)
    terms = models.JSONField(default=dict)  # the action's fields as applied
    effects = models.JSONField(default=dict)  # handler name -> what it changed
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-applied_at", "-pk"]
        constraints = [models.UniqueConstraint(
            fields=["action"], condition=models.Q(reversed_at__isnull=True),
            name="one_standing_application_per_action")]

    def __str__(self) -> str:
        return f"{self.action.action_id} as of {self.as_of}"
