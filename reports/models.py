"""What the reports keep: the firm's responses to the health check's calls to action, background
report runs and background records exports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from accounts.models import Account
from rebal.models.background_job import BackgroundJob
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


class ReportRun(BackgroundJob):
    """A firm's taxes-saved report generated in the background (on demand or monthly): its
    period, its progress over the accounts (`partial`: the CSV rows, PDF lines, advisors' and
    firm's totals of the chunks done), and its PDF and CSV once done."""

    start = models.DateField()
    end = models.DateField()
    accounts_total = models.PositiveIntegerField(default=0)
    accounts_done = models.PositiveIntegerField(default=0)
    partial = models.JSONField(default=dict)
    pdf = models.BinaryField(null=True, blank=True)
    csv = models.TextField(blank=True, default="")

    @property
    def percent_done(self) -> int:
        return self.percent(self.accounts_done, self.accounts_total, self.status)


class RecordExport(BackgroundJob):
    """A large records export made in the background: the filters and period it was asked
    for, its progress over the records (`partial`: the JSON export's settings and target
    contents met so far, by SHA-256, written last), and the file with its SHA-256 once done."""

    file_format = models.CharField(max_length=4)
    # The filters as asked (RecordFilterSet's parameters), and the newest record then: records
    # appended while the export runs are left out, so the chunks see one fixed set.
    query = models.JSONField(default=dict)
    through_record = models.BigIntegerField()
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    requested_by_label = models.CharField(max_length=200)  # the person's email or the token
    records_total = models.PositiveIntegerField(default=0)
    records_done = models.PositiveIntegerField(default=0)
    chunk = models.PositiveIntegerField(default=1000)  # records a task writes
    partial = models.JSONField(default=dict)
    file = models.BinaryField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)

    @property
    def percent_done(self) -> int:
        return self.percent(self.records_done, self.records_total, self.status)


class RecordExportPart(FirmOwnedModel):
    """One chunk's bytes of a background export, joined in order when the last is written."""

    export = models.ForeignKey(RecordExport, on_delete=models.CASCADE, related_name="parts")
    offset = models.PositiveIntegerField()  # the first record's position in the export
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["export", "offset"],
                                               name="record_export_part_offset")]
