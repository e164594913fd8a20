"""Dispositions and oversight lists: the firm's policies (a filter with a priority) and, per
run, the one trading disposition of every account and the oversight lists it is on, each with
the policy and version that put it there."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class Disposition(models.TextChoices):
    """What happens to an account's proposed trades, strongest first."""

    SUSPEND = "suspend", "Suspend"
    REVIEW = "review", "Review"
    AUTO_TRADE = "auto_trade", "Auto-trade"


# suspend > review > auto-trade: the first matching policy in this order decides.
DISPOSITION_ORDER = [Disposition.SUSPEND, Disposition.REVIEW, Disposition.AUTO_TRADE]


class OversightList(models.TextChoices):
    """Lists an account may be on besides its disposition."""

    COMPLIANCE_REVIEW = "compliance_review", "Compliance review"
    MANAGEMENT_REVIEW = "management_review", "Management review"


class DispositionPolicy(FirmOwnedModel):
    """Accounts a filter selects get a disposition (or go on an oversight list); among the
    policies of one disposition the lowest priority number is tried first. The query is the
    policy's own copy (taken from a saved filter), so each version says exactly what it did."""

    class Target(models.TextChoices):
        SUSPEND = "suspend", "Suspend"
        REVIEW = "review", "Review"
        AUTO_TRADE = "auto_trade", "Auto-trade"
        COMPLIANCE_REVIEW = "compliance_review", "Compliance review list"
        MANAGEMENT_REVIEW = "management_review", "Management review list"

    name = models.CharField(max_length=200)
    target = models.CharField(max_length=20, choices=Target.choices)
    priority = models.PositiveIntegerField(default=100)
    query = models.JSONField(default=dict)
    saved_filter = models.ForeignKey("workflow.SavedFilter", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="policies")
    is_active = models.BooleanField(default=True)
    # Raised by every change; the history keeps each version's query, who changed it and why.
    version = models.PositiveIntegerField(default=1)
    approved_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["target", "priority", "pk"]
        constraints = [models.UniqueConstraint(fields=["firm", "name"],
                                               name="disposition_policy_name")]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def is_oversight(self) -> bool:
        return self.target in OversightList.values

    @property
    def rule_label(self) -> str:
        return f"policy {self.pk} v{self.version}: {self.name}"


class AccountDisposition(FirmOwnedModel):
    """One account's disposition in one run and the lists it is on, with the policies (and
    their versions) that decided; replaced as a whole when the run is sorted again."""

    run = models.ForeignKey("workflow.NightlyRun", on_delete=models.CASCADE,
                            related_name="dispositions")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    policy = models.ForeignKey(DispositionPolicy, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    # In plain words: "policy 3 v2: Data errors" or why no policy decided.
    rule = models.CharField(max_length=300)
    oversight_lists = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # [{"list": …, "policy": id, "version": n, "rule": "…"}] for each list the account is on.
    oversight_rules = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "account"]
        constraints = [models.UniqueConstraint(fields=["run", "account"],
                                               name="one_disposition_per_run_and_account")]
        indexes = [models.Index(fields=["run", "disposition"])]

    def __str__(self) -> str:
        return f"{self.get_disposition_display()} ({self.rule})"
