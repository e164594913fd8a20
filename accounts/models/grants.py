"""Who granted an advisor a household or an account, or took it back, when and why.

The grants themselves are django-guardian object permissions (a table without a firm); this
append-only log is the firm's record of each change, audited like the firm's other objects so
that the grants appear in compliance's audit history beside every other change.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class GrantEvent(FirmOwnedModel):
    """One grant or revocation of a household or an account to an advisor, with its reason."""

    append_only = True

    class Kind(models.TextChoices):
        GRANTED = "granted", "Granted"
        REVOKED = "revoked", "Revoked"

    advisor = models.ForeignKey("rebal.User", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("accounts.Household", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.Account", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField()
    acted_by = models.ForeignKey("rebal.User", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    system_job = models.CharField(max_length=100, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        verbose_name = "advisor grant"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["firm", "advisor", "at"])]
        constraints = [models.CheckConstraint(
            condition=models.Q(household__isnull=True) ^ models.Q(account__isnull=True),
            name="grant_event_household_or_account")]

    def __str__(self) -> str:
        return f"{self.kind} {self.household or self.account} to {self.advisor_id}"
