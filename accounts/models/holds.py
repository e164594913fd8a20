"""Account holds and reconciliation breaks: why an account is kept out of trading."""

from __future__ import annotations

from typing import Any

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class AccountHold(FirmOwnedModel):
    """A reason an account may not trade, set by a source and cleared by that same source."""

    class Kind(models.TextChoices):
        DATA_ERROR = "data_error"
        SUSPENSION = "suspension"
        COMPLIANCE = "compliance"

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="holds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    # What set it, e.g. "feed:tax_lots" or "unknown_security:42" or "user:7"; only it clears.
    source = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_reason = models.TextField(blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(
            fields=["account", "kind", "source"], condition=models.Q(cleared_at__isnull=True),
            name="one_open_hold_per_source")]
        indexes = [models.Index(fields=["firm", "cleared_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        return models.Q(account__in=accounts_assigned_to(user))


class ReconciliationBreak(FirmOwnedModel):
    """A disagreement found by reconciliation, with its reason, for the data manager."""

    class Kind(models.TextChoices):
        LOTS_VS_TRANSACTIONS = "lots_vs_transactions"
        MISSING_FROM_ACCOUNTS_FILE = "missing_from_accounts_file"
        LOTS_IN_CLOSED_ACCOUNT = "lots_in_closed_account"
        NEGATIVE_CASH = "negative_cash"
        # The custodian's lots after a corporate action differ from the expected lots.
        CORPORATE_ACTION = "corporate_action"
        # Feeds disagree about an action: holdings split but prices not (or the reverse), old
        # and new securities both held after a merger, a model naming a retired security.
        CORPORATE_ACTION_DESYNC = "corporate_action_desync"

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT,
                                related_name="breaks")
    business_date = models.DateField()
    kind = models.CharField(max_length=40, choices=Kind.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-business_date", "account"]
        constraints = [models.UniqueConstraint(fields=["account", "business_date", "kind"],
                                               name="one_break_per_kind_and_day")]

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        return models.Q(account__in=accounts_assigned_to(user))


def accounts_assigned_to(user: Any) -> Any:
    """The ids of the accounts granted to `user` (directly or through their household)."""
    from accounts.models.households import Account

    return Account.objects.unscoped().filter(Account.assigned_to(user)).values("pk")
