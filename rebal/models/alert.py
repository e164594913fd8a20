"""Alerts raised by any app and routed to the roles that act on them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.models.base import FirmOwnedModel
from rebal.models.membership import Role


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class Alert(FirmOwnedModel):
    """Something a person must see; repeats of an open alert for one subject fold into it."""

    kind = models.CharField(max_length=50)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    subject = models.CharField(max_length=200)
    message = models.TextField()
    roles = ArrayField(models.CharField(max_length=30, choices=Role.choices))
    occurrences = models.PositiveIntegerField(default=1)
    first_raised_at = models.DateTimeField()
    last_raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "rebal.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-last_raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "kind", "subject"],
                condition=models.Q(acknowledged_at__isnull=True),
                name="alert_one_open_per_subject",
            ),
        ]
        indexes = [models.Index(fields=["firm", "acknowledged_at"], name="alert_open_idx")]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.subject}"
