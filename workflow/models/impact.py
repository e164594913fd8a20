"""The impact preview of a draft change to the model book: which accounts' targets it changes,
and what moving each to its new target would trade, realize and cost in tax."""

from __future__ import annotations

from django.db import models

from rebal.models.background_job import BackgroundJob
from rebal.models.base import FirmManager, FirmOwnedModel


class ImpactPreview(BackgroundJob):
    """One run of the preview of a draft (a ModelChange), with its progress over the book and
    its totals; the approval keeps the one it was approved on."""

    change = models.ForeignKey("models_hub.ModelChange", on_delete=models.PROTECT,
                               related_name="+")
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

    objects = FirmManager()

    @property
    def percent_done(self) -> int:
        return self.percent(self.accounts_done, self.accounts_total, self.status)

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
