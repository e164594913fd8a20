"""Each account's latest analysis in typed columns, so filters on analysis metrics are a join
of narrow rows with indexes rather than a search through JSON. Kept by a database trigger on
optimizer_analysis (see the migration): every insert, one row or a bulk insert, moves the
account's row forward; nothing in Python can forget to."""

from __future__ import annotations

from django.db import models

from rebal.models.base import FirmOwnedModel


class LatestAnalysis(FirmOwnedModel):
    """An account's newest analysis (by trade date, then id) and its metrics, typed.
    Percent-like metrics are fractions, as the analysis keeps them."""

    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE,
                                   related_name="+")
    analysis = models.ForeignKey("optimizer.Analysis", on_delete=models.CASCADE,
                                 related_name="+", db_constraint=False)
    trade_date = models.DateField()
    status = models.CharField(max_length=20)
    market_value = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    tracking_error = models.FloatField(null=True)
    tracking_error_after = models.FloatField(null=True)
    drift = models.FloatField(null=True)  # the largest |weight − target|, before trades
    drift_after = models.FloatField(null=True)
    turnover = models.FloatField(null=True)
    estimated_tax = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    realized_gains = models.DecimalField(max_digits=20, decimal_places=2, null=True)  # net
    losses_harvested = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    cost_benefit_score = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["firm", "market_value"]),
                   models.Index(fields=["firm", "turnover"]),
                   models.Index(fields=["firm", "estimated_tax"])]

    def __str__(self) -> str:
        return f"latest analysis of {self.account_id}: {self.analysis_id}"
