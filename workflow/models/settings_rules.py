"""Settings rules: settings values for the accounts a filter selects (over account fields,
custom fields, households and holdings, never analysis results), exemptions with reasons, and
the change sets that applied them."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class SettingsRule(FirmOwnedModel):
    """'Platinum clients: commission schedule B': settings (stored form, as
    accounts.settings_catalog.parse_changes returns for the rule layer) for the accounts the
    query selects; a rule with a higher position applies over a lower one."""

    name = models.CharField(max_length=200)
    query = models.JSONField(default=dict)
    saved_filter = models.ForeignKey("workflow.SavedFilter", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="settings_rules")
    values = models.JSONField(default=dict)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["firm", "name"],
                                               name="settings_rule_name")]

    def __str__(self) -> str:
        return self.name


class SettingsRuleExemption(FirmOwnedModel):
    """An account the rule does not apply to, and why."""

    rule = models.ForeignKey(SettingsRule, on_delete=models.CASCADE, related_name="exemptions")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["rule", "account"]
        constraints = [models.UniqueConstraint(fields=["rule", "account"],
                                               name="one_exemption_per_rule_and_account")]

    def __str__(self) -> str:
        return f"{self.account_id} exempt from {self.rule_id}: {self.reason}"


class SettingsChangeSet(FirmOwnedModel):
    """One application of a rule: who, when, why, and what changed for how many accounts.
    Written once; the rule's and exemptions' history rows carry the same reason."""

    rule = models.ForeignKey(SettingsRule, on_delete=models.PROTECT, related_name="change_sets")
    reason = models.TextField()
    applied_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    accounts_affected = models.PositiveIntegerField()
    accounts_changed = models.PositiveIntegerField()
    # The first changes per account, as the preview showed them.
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-applied_at"]

    def __str__(self) -> str:
        return f"{self.rule} applied {self.applied_at:%Y-%m-%d %H:%M}: {self.reason}"
