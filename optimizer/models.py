"""Stored analyses: what the optimizer proposed for an account on a date, and why.

An analysis with its proposed trades is the record of that day's work for the account (SEC Rule
204-2): written once by the analyze stage or a single analysis, never updated or deleted (the
application role may not: `append_only`, enforced by rebal.db_security). The settings and the
target it used are stored once per distinct content and referenced; market data is referenced by
date and feed file, never copied.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from accounts.models import Account
from rebal.models.base import FirmOwnedModel


class SettingsContent(FirmOwnedModel):
    """Effective settings with the source of each value, stored once per distinct content."""

    append_only = True

    sha256 = models.CharField(max_length=64)  # of the canonical JSON (sorted keys, no spaces)
    content = models.JSONField()  # accounts.settings_resolution.EffectiveSettings.as_record()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "sha256"],
                                               name="settings_content_once_per_firm")]


class TargetContent(FirmOwnedModel):
    """A resolved target with the provenance of every weight, stored once per distinct content."""

    append_only = True

    sha256 = models.CharField(max_length=64)
    content = models.JSONField()  # accounts.targets.ResolvedTarget.as_record()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "sha256"],
                                               name="target_content_once_per_firm")]


class DataContent(FirmOwnedModel):
    """The market data and software an analysis used (the prices' and risk model's dates and
    feed files with their checksums, the solver versions), stored once per distinct content:
    a night's analyses share a handful."""

    append_only = True

    sha256 = models.CharField(max_length=64)
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "sha256"],
                                               name="data_content_once_per_firm")]


class Analysis(FirmOwnedModel):
    """One run of the optimizer for one account, the record of it: inputs, status, metrics.
    Written by a system job, never edited; a later run is a new row."""

    append_only = True

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
    # What the analysis used (null on analyses stored before records were kept).
    settings_content = models.ForeignKey(SettingsContent, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    target_content = models.ForeignKey(TargetContent, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    lot_set = models.ForeignKey("accounts.LotSet", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    cash_balance = models.ForeignKey("accounts.CashBalance", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    data_content = models.ForeignKey(DataContent, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    # The account's own data (lot set and cash with their feed files' checksums, wash-sale
    # windows, open orders); the shared market data is in data_content (see record_sources).
    sources = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-trade_date", "-pk"]
        # The second serves the records list: a firm's newest first, a page without a sort.
        indexes = [models.Index(fields=["firm", "account", "trade_date"]),
                   models.Index(fields=["firm", "-trade_date", "-id"],
                                name="optimizer_analysis_newest")]

    @property
    def record_sources(self) -> dict[str, Any]:
        """What the analysis used: its own sources (lots, cash, windows, orders) with the
        shared market data and software, the feed files of both in one mapping."""
        shared = self.data_content.content if self.data_content is not None else {}
        return {**shared, **self.sources,
                "files": {**shared.get("files", {}), **self.sources.get("files", {})}}

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        """An advisor's records: those of the accounts assigned to them."""
        return models.Q(account__in=Account.objects.filter(Account.assigned_to(user))
                        .values("pk"))


class ProposedTrade(FirmOwnedModel):
    """A trade an analysis proposes, with the lots it relieves and its reasons."""

    append_only = True

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
