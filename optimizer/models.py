"""Stored analyses: what the optimizer proposed for an account on a date, and why."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from rebal.models.base import FirmOwnedModel


class Analysis(FirmOwnedModel):
    """One run of the optimizer for one account: status, metrics, what was relaxed.
    Written by a system job, never edited; a later run is a new row."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="analyses")
    trade_date = models.DateField()
    status = models.CharField(max_length=20)
    summary = models.TextField()
    before = models.JSONField(encoder=DjangoJSONEncoder)
    after = models.JSONField(encoder=DjangoJSONEncoder)
    trade_metrics = models.JSONField(encoder=DjangoJSONEncoder)
    relaxations = models.JSONField(encoder=DjangoJSONEncoder, default=list)
    notes = models.JSONField(encoder=DjangoJSONEncoder, default=list)
    calibration = models.JSONField(encoder=DjangoJSONEncoder)
    solver = models.JSONField(encoder=DjangoJSONEncoder)
    # The tax-naive shadow, for the taxes-saved report: what rebalancing to the same target
    # with taxes ignored would have realized that day. Null when the account would not trade
    # (nothing to compare) or the shadow could not be solved.
    naive_short_term_gain = models.DecimalField(max_digits=20, decimal_places=2, null=True,
                                                blank=True)  # net of losses
    naive_long_term_gain = models.DecimalField(max_digits=20, decimal_places=2, null=True,
                                               blank=True)  # net of losses
    naive_estimated_tax = models.DecimalField(max_digits=20, decimal_places=2, null=True,
                                              blank=True)
    naive_turnover = models.FloatField(null=True, blank=True)  # (buys + sells) / 2 / value
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-trade_date", "-pk"]
        indexes = [models.Index(fields=["firm", "account", "trade_date"])]


class ProposedTrade(FirmOwnedModel):
    """A trade an analysis proposes, with the lots it relieves and its reasons."""

    analysis = models.ForeignKey(Analysis, on_delete=models.PROTECT, related_name="trades")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4)
    shares = models.DecimalField(max_digits=20, decimal_places=6)
    price = models.DecimalField(max_digits=20, decimal_places=6)
    value = models.DecimalField(max_digits=20, decimal_places=2)
    lots = models.JSONField(encoder=DjangoJSONEncoder, default=list)
    realized_gain = models.DecimalField(max_digits=20, decimal_places=2)
    estimated_tax = models.DecimalField(max_digits=20, decimal_places=2)
    cost_benefit_score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(encoder=DjangoJSONEncoder, default=list)
    explanation = models.TextField()

    class Meta:
        ordering = ["analysis", "side", "pk"]
