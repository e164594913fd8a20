"""What every job run in the background in chunks keeps (rebal.chunked_jobs): who asked, its
status, the error that stopped it, and when it began and ended. Each job adds what it works
through and what it makes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rebal.models.base import FirmOwnedModel


class BackgroundJob(FirmOwnedModel):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # null: a schedule asked for it
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @staticmethod
    def percent(done: int, total: int, status: str) -> int:
        """How far a job is, in whole percent; an empty job is 0% until done, then 100%."""
        return 100 * done // total if total else 100 * (status == BackgroundJob.Status.DONE)
