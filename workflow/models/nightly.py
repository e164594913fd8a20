"""The nightly cycle's rows: when each firm runs, each run with its stages, chunks and the
outcome of every account. The monitoring page and the alerts read these rows, never logs."""

from __future__ import annotations

from datetime import time

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class NightlyPolicy(FirmOwnedModel):
    """When the firm's cycle starts and must be finished, in the firm's time zone, on each
    business day; the cycle analyzes the previous business day's data (delivered overnight)."""

    start_time = models.TimeField(default=time(6, 30))
    deadline_time = models.TimeField(default=time(8, 30))
    chunk_size = models.PositiveIntegerField(default=250)
    is_active = models.BooleanField(default=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"], name="nightly_policy_per_firm")]

    def __str__(self) -> str:
        return f"start {self.start_time:%H:%M}, deadline {self.deadline_time:%H:%M}"


class Stage(models.TextChoices):
    """The stages of the cycle, in the order they run."""

    FEEDS = "feeds", "Load the day's feeds"
    CORPORATE_ACTIONS = "corporate_actions", "Corporate actions and integrity checks"
    TARGETS = "targets", "Resolve settings and targets"
    ANALYZE = "analyze", "Analyze eligible accounts"
    FEES = "fees", "Accrue model-hub fees"
    SORT = "sort", "Sort accounts"
    NOTIFY = "notify", "Notify"


STAGE_ORDER = list(Stage)


class NightlyRun(FirmOwnedModel):
    """One firm's cycle for one business date; the database allows one per firm and date."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        # Every stage ran, but some eligible accounts failed (each with its reason).
        SUCCEEDED_WITH_FAILURES = "succeeded_with_failures", "Succeeded with failed accounts"
        FAILED = "failed", "Failed"  # a stage failed; the run stopped there

    business_date = models.DateField()
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=100)  # "schedule", "command by …"
    deadline = models.DateTimeField(null=True, blank=True)
    deadline_alerted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-business_date"]
        constraints = [models.UniqueConstraint(fields=["firm", "business_date"],
                                               name="one_nightly_run_per_firm_and_date")]
        indexes = [models.Index(fields=["firm", "status"])]

    def __str__(self) -> str:
        return f"Nightly run {self.business_date:%Y-%m-%d}"

    @property
    def is_finished(self) -> bool:
        return self.status != self.Status.RUNNING


class RunStage(FirmOwnedModel):
    """One stage of a run: status, counts and timings."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"  # the analyze stage while its chunks are out
        SUCCEEDED = "succeeded", "Succeeded"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=30, choices=Stage.choices)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    counts = models.JSONField(default=dict)
    note = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "stage"], name="one_row_per_stage")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.get_status_display()}"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def count_items(self) -> list[tuple[str, str]]:
        """The counts as (label, value) pairs; lists are shown by their length, or their items
        when they are names."""
        items = []
        for key, value in self.counts.items():
            if isinstance(value, dict):
                continue
            if isinstance(value, list):
                value = ", ".join(map(str, value)) if all(
                    isinstance(v, str) for v in value) else len(value)
                if value in ("", 0):
                    continue
            items.append((key.replace("_", " "), str(value)))
        return items


class RunChunk(FirmOwnedModel):
    """Accounts analyzed by one task; households linked through a tax entity share a chunk.
    It is done exactly when each of its accounts has a RunAccount row."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    account_ids = ArrayField(models.BigIntegerField())
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # "A re-run of failed accounts" and who asked, when the chunk is not the nightly plan's.
    purpose = models.CharField(max_length=200, blank=True, default="")
    queued_at = models.DateTimeField()
    times_queued = models.PositiveIntegerField(default=1)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)  # the task's own time on the chunk
    # Where the analysis's time went: loading inputs, solving (shadows included), writing.
    load_seconds = models.FloatField(null=True, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    write_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="chunk_number")]
        indexes = [models.Index(fields=["firm", "status"])]


class RunAccount(FirmOwnedModel):
    """An account's outcome in a run: analyzed, failed with a reason, or skipped with why.
    Unique per run and account, written in the transaction that stores the analysis."""

    class Status(models.TextChoices):
        ANALYZED = "analyzed", "Analyzed"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(NightlyRun, on_delete=models.CASCADE, related_name="accounts")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    chunk = models.ForeignKey(RunChunk, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="outcomes")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True, default="")
    analysis = models.ForeignKey("optimizer.Analysis", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["run", "account"]
        constraints = [models.UniqueConstraint(fields=["run", "account"],
                                               name="one_outcome_per_run_and_account")]
        indexes = [models.Index(fields=["run", "status"])]
