"""The impact preview of a draft change to the model book: which accounts' targets it changes,
and what moving each to its new target would trade, realize and cost in tax."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rebal.models.base import FirmManager, FirmOwnedModel


class ImpactPreview(FirmOwnedModel):
    """One run of the preview of a draft (a ModelChange), with its progress over the book and
    its totals; the approval keeps the one it was approved on."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    change = models.ForeignKey("models_hub.ModelChange", on_delete=models.PROTECT,
                               related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField()
    method = models.TextField(blank=True, default="")
    accounts_total = models.PositiveIntegerField(default=0)  # accounts to examine
    accounts_done = models.PositiveIntegerField(default=0)
    accounts_affected = models.PositiveIntegerField(default=0)
    accounts_breaching = models.PositiveIntegerField(default=0)
    turnover_value = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    book_value = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    estimated_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    realized_gain = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = FirmManager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def percent_done(self) -> int:
        return (100 * self.accounts_done // self.accounts_total if self.accounts_total
                else 100 * (self.status == self.Status.DONE))

    @property
    def turnover_percent(self) -> str:
        """Turnover of the affected accounts as a share of their value."""
        if not self.book_value:
            return "0.00%"
        return f"{100 * self.turnover_value / self.book_value:.2f}%"


class ImpactPreviewAccount(FirmOwnedModel):
    """One affected account: how its target changes and what moving to it would cost."""

    preview = models.ForeignKey(ImpactPreview, on_delete=models.CASCADE, related_name="rows")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    target_change = models.TextField()  # the asset classes whose weight moves, in plain English
    largest_change = models.DecimalField(max_digits=12, decimal_places=10)  # of one security
    value = models.DecimalField(max_digits=20, decimal_places=2)
    turnover_value = models.DecimalField(max_digits=20, decimal_places=2)
    realized_gain = models.DecimalField(max_digits=20, decimal_places=2)
    estimated_tax = models.DecimalField(max_digits=20, decimal_places=2)
    gain_budget = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    breaches_budget = models.BooleanField(default=False)
    note = models.TextField(blank=True, default="")

    objects = FirmManager()

    class Meta:
        ordering = ["-estimated_tax", "pk"]
        indexes = [models.Index(fields=["firm", "preview"])]
