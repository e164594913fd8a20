"""The feed framework's rows: every file received, its quarantined rows, schedules, policy."""

from __future__ import annotations

from datetime import time

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class FeedFile(FirmOwnedModel):
    """A file delivered for a feed and business date: checksum, counts, outcome, timings."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        LOADED = "loaded", "Loaded"
        # Good rows loaded, bad rows quarantined.
        LOADED_WITH_ERRORS = "loaded_with_errors", "Loaded with errors"
        REJECTED = "rejected", "Rejected"  # nothing loaded
        # The same checksum as a file already received: a recorded no-op.
        DUPLICATE = "duplicate", "Duplicate"
        # Older than data already loaded: kept, does not overwrite.
        HISTORY = "history", "Kept as history"

    class Door(models.TextChoices):
        INBOX = "inbox"
        API = "api"
        CLI = "cli"

    name = models.CharField(max_length=255)
    feed = models.CharField(max_length=30, blank=True, default="")
    business_date = models.DateField(null=True, blank=True)
    seq = models.PositiveIntegerField(default=0)
    checksum = models.CharField(max_length=64)  # SHA-256 of the bytes as delivered
    size = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    rows_read = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_quarantined = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    door = models.CharField(max_length=10, choices=Door.choices)
    delivered_by = models.CharField(max_length=200)  # user email, token name or job
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stored_path = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["firm", "feed", "business_date"]),
            models.Index(fields=["firm", "checksum"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class QuarantinedRow(FirmOwnedModel):
    """A row that did not load: its line, column and reason, and the raw values."""

    feed_file = models.ForeignKey(FeedFile, on_delete=models.PROTECT,
                                  related_name="quarantined_rows")
    line_number = models.PositiveIntegerField()
    column = models.CharField(max_length=100, blank=True, default="")
    reason = models.TextField()
    account_number = models.CharField(max_length=50, blank=True, default="")
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ["feed_file", "line_number"]


class FeedSchedule(FirmOwnedModel):
    """A file the firm expects each business day, by a cutoff in the firm's time zone."""

    feed = models.CharField(max_length=30)
    cutoff = models.TimeField(default=time(6, 0))
    is_active = models.BooleanField(default=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "feed"], name="feed_schedule")]

    def __str__(self) -> str:
        return f"{self.feed} by {self.cutoff:%H:%M}"


class FeedPolicy(FirmOwnedModel):
    """The firm's feed settings: the share of bad rows above which a file is rejected whole."""

    max_bad_row_fraction = models.DecimalField(max_digits=5, decimal_places=4, default=0.2)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"], name="feed_policy_per_firm")]
