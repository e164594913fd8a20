"""What a corporate action should do to each holder's lots, and how the custodian compared.

Derived data, not people's changes: each row is computed from the account's custodian snapshot
before the action (`based_on`) by the pure engine (accounts.tax.corporate_actions) when the
action is applied, and checked against every later snapshot until one after the pay date
confirms it or breaks it.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from rebal.models.base import FirmOwnedModel


class CorporateActionExpectation(FirmOwnedModel):
    """One holder's expected lots after one application of a corporate action."""

    class Status(models.TextChoices):
        EXPECTED = "expected", "Waiting for the custodian"  # no snapshot after the pay date yet
        CONFIRMED = "confirmed", "Custodian agrees"
        BREAK = "break", "Custodian disagrees"
        REVERSED = "reversed", "Reversed (action corrected or cancelled)"

    application = models.ForeignKey("dataops.CorporateActionApplication",
                                    on_delete=models.PROTECT, related_name="+")
    action = models.ForeignKey("dataops.CorporateAction", on_delete=models.PROTECT,
                               related_name="+")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="corporate_actions")
    based_on = models.ForeignKey("accounts.LotSet", on_delete=models.PROTECT, related_name="+")
    # Between the earlier and the later of the ex-date and the pay date either version is fine.
    window_start = models.DateField()
    window_end = models.DateField()
    # Lots as JSON (security id, lot id, quantity, basis, dates): before, after, sold for cash.
    lots_before = models.JSONField(default=list)
    lots_after = models.JSONField(default=list)
    realized = models.JSONField(default=list)
    cash = models.JSONField(default=list)
    basis_before = models.DecimalField(max_digits=20, decimal_places=2)
    basis_after = models.DecimalField(max_digits=20, decimal_places=2)
    basis_relieved = models.DecimalField(max_digits=20, decimal_places=2)
    cash_received = models.DecimalField(max_digits=20, decimal_places=2)
    gain_realized = models.DecimalField(max_digits=20, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.EXPECTED)
    checked_lot_set = models.ForeignKey("accounts.LotSet", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    # The custodian's positions of the securities involved when last checked, and why not.
    custodian = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["action", "account"]
        constraints = [models.UniqueConstraint(fields=["application", "account"],
                                               name="one_expectation_per_holder")]
        indexes = [models.Index(fields=["firm", "status"])]

    def __str__(self) -> str:
        return f"{self.action} for {self.account}"

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        from accounts.models.holds import accounts_assigned_to

        return models.Q(account__in=accounts_assigned_to(user))
