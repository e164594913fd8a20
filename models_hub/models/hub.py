"""The model hub's contracts: subscriptions to third-party providers, fee schedules, daily fee
accruals and monthly billing statements."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmManager, FirmOwnedModel


class FeeSchedule(FirmOwnedModel):
    """A provider's fee: annual basis points on the assets following its models, by tier."""

    class Method(models.TextChoices):
        MARGINAL = "marginal", "Each tier's rate on the assets within that tier"
        WHOLE = "whole", "The rate of the tier reached, on all assets"

    provider = models.ForeignKey("models_hub.ModelProvider", on_delete=models.PROTECT,
                                 related_name="fee_schedules")
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True, default="")
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.MARGINAL)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="fee_schedule")]

    def __str__(self) -> str:
        return self.name or self.code


class FeeTier(FirmOwnedModel):
    """From `assets_from` dollars of assets up, `annual_bps` basis points a year."""

    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="tiers")
    assets_from = models.DecimalField(max_digits=18, decimal_places=2)
    annual_bps = models.DecimalField(max_digits=8, decimal_places=4)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["schedule", "assets_from"]
        constraints = [models.UniqueConstraint(fields=["schedule", "assets_from"],
                                               name="fee_tier")]


class ModelSubscription(FirmOwnedModel):
    """The firm's contract for a provider's models: pending until it starts, active, then
    terminated with its last day. Fees accrue on the days from start_date to end_date."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        TERMINATED = "terminated", "Terminated"

    provider = models.ForeignKey("models_hub.ModelProvider", on_delete=models.PROTECT,
                                 related_name="subscriptions")
    fee_schedule = models.ForeignKey(FeeSchedule, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_on = models.DateField()
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="The last day of service.")
    note = models.CharField(max_length=500, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["provider", "-requested_on"]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.get_status_display()}"


class BillingStatement(FirmOwnedModel):
    """A provider's bill for one calendar month: the sum of that month's daily accruals."""

    provider = models.ForeignKey("models_hub.ModelProvider", on_delete=models.PROTECT,
                                 related_name="statements")
    period_start = models.DateField()
    period_end = models.DateField()
    total = models.DecimalField(max_digits=18, decimal_places=2)
    accrual_days = models.PositiveIntegerField()
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey("rebal.User", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    issued_by_job = models.CharField(max_length=100, blank=True, default="")

    objects = FirmManager()

    class Meta:
        ordering = ["-period_start", "provider"]
        constraints = [models.UniqueConstraint(fields=["provider", "period_start"],
                                               name="one_statement_per_provider_month")]


class FeeAccrual(FirmOwnedModel):
    """One day's fee under a subscription, on the assets following the provider's models that
    day (as the caller measured them). Re-running a day replaces it until it is billed."""

    subscription = models.ForeignKey(ModelSubscription, on_delete=models.PROTECT,
                                     related_name="accruals")
    accrual_date = models.DateField()
    market_value = models.DecimalField(max_digits=18, decimal_places=2)
    account_count = models.PositiveIntegerField()
    # {model code: market value as a decimal string}: the detail behind market_value.
    by_model = models.JSONField(default=dict)
    annual_fee = models.DecimalField(max_digits=20, decimal_places=6)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    statement = models.ForeignKey(BillingStatement, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="accruals")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FirmManager()

    class Meta:
        ordering = ["subscription", "accrual_date"]
        constraints = [models.UniqueConstraint(fields=["subscription", "accrual_date"],
                                               name="one_accrual_per_subscription_day")]
