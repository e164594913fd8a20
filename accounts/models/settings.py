"""Plain-English account settings, stored as the layers that set them.

Each layer row stores only the settings that layer sets (`values`: setting name → value in the
catalog's stored form, see accounts.settings_catalog); anything absent is inherited from the
layer above: Rebal's defaults → the firm's defaults → settings rules (passed in by the workflow)
→ household → account. Tax rates and loss carryforwards are set per tax entity.
"""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class SettingsLayer(FirmOwnedModel):
    """The settings one layer sets; written only by accounts.services.settings."""

    values = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditedFirmManager()

    class Meta:
        abstract = True


class FirmSettings(SettingsLayer):
    """The firm's defaults for every account."""

    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"], name="one_firm_settings")]
        verbose_name_plural = "firm settings"


class HouseholdSettings(SettingsLayer):
    """A household's settings, applying to each of its accounts unless the account overrides."""

    household = models.OneToOneField("accounts.Household", on_delete=models.PROTECT,
                                     related_name="settings")
    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "household settings"


class AccountSettings(SettingsLayer):
    """An account's own settings: its overrides and its customizations of the program's target
    (excluded asset classes, product choices, tilts) — differences only, never a copy."""

    account = models.OneToOneField("accounts.Account", on_delete=models.PROTECT,
                                   related_name="settings")
    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "account settings"


class TaxEntitySettings(SettingsLayer):
    """A taxpayer's rates and capital-loss carryforwards (shared by the entity's accounts)."""

    tax_entity = models.OneToOneField("accounts.TaxEntity", on_delete=models.PROTECT,
                                      related_name="settings")
    history = audited_history(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "tax entity settings"


class CommissionSchedule(FirmOwnedModel):
    """What a trade costs the client: per trade, per share and a percentage, with a minimum."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    per_trade = models.DecimalField(max_digits=10, decimal_places=2, default=0,
                                    help_text="Dollars charged per trade.")
    per_share = models.DecimalField(max_digits=10, decimal_places=4, default=0,
                                    help_text="Dollars charged per share traded.")
    percent_bps = models.DecimalField(max_digits=8, decimal_places=4, default=0,
                                      help_text="Basis points of the trade's value.")
    minimum = models.DecimalField(max_digits=10, decimal_places=2, default=0,
                                  help_text="The least a trade costs, in dollars.")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"],
                                               name="commission_schedule")]

    def __str__(self) -> str:
        return self.name or self.code
