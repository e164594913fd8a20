"""What the reports keep: the firm's responses to the health check's calls to action."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from accounts.models import Account
from rebal.models.base import FirmOwnedModel


class HealthCheckResponse(FirmOwnedModel):
    """Who answered an account's failed health check, when and with what; never changed (a
    later answer is a new row)."""

    append_only = True

    class Check(models.TextChoices):
        DRIFT = "drift", "Drift within bands"
        RESTRICTIONS = "restrictions", "Restrictions respected"
        CASH = "cash", "Cash at target"
        DATA = "data", "Data current"

    class Action(models.TextChoices):
        TRADE = "trade", "Trades approved or placed"
        CONTACT_CLIENT = "contact_client", "Client contacted"
        SETTINGS_CHANGED = "settings_changed", "Settings or exemption changed"
        DATA_FIXED = "data_fixed", "Data corrected"
        NO_ACTION = "no_action", "No action needed (reason given)"

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="+")
    check_date = models.DateField()
    failed_check = models.CharField(max_length=20, choices=Check.choices)
    action = models.CharField(max_length=20, choices=Action.choices)
    note = models.TextField()
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["firm", "account", "check_date"])]

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        """An advisor's: those of the accounts assigned to them."""
        return models.Q(account__in=Account.objects.filter(Account.assigned_to(user))
                        .values("pk"))


class ReportRun(FirmOwnedModel):
    """A firm's taxes-saved report generated in the background (on demand or monthly): its
    period, its progress over the accounts, and its PDF and CSV once done."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # null: the monthly schedule asked for it
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    accounts_total = models.PositiveIntegerField(default=0)
    accounts_done = models.PositiveIntegerField(default=0)
    # What the chunks done so far produced: CSV rows, PDF lines, advisors' and firm's totals.
    partial = models.JSONField(default=dict)
    pdf = models.BinaryField(null=True, blank=True)
    csv = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def percent_done(self) -> int:
        return (100 * self.accounts_done // self.accounts_total if self.accounts_total
                else 100 * (self.status == self.Status.DONE))
