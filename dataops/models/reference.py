"""Reference data: the asset-class tree and the security master with identifier history."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class AssetClass(FirmOwnedModel):
    """A node of the firm's asset-class tree (Equity › US Large Cap …)."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="asset_class_code")]

    def __str__(self) -> str:
        return self.name


class IdenticalGroup(FirmOwnedModel):
    """Securities that are substantially identical for the wash-sale rules (share classes…)."""

    code = models.CharField(max_length=50)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="identical_group")]

    def __str__(self) -> str:
        return self.code


class Security(FirmOwnedModel):
    """A security of the firm's master; identifiers live in SecurityIdentifier, with history."""

    class Type(models.TextChoices):
        EQUITY = "equity"
        ETF = "etf"
        MUTUAL_FUND = "mutual_fund"
        BOND = "bond"
        CASH_EQUIVALENT = "cash_equivalent"
        OTHER = "other"

    class Status(models.TextChoices):
        ACTIVE = "active"
        DELISTED = "delisted"
        PLACEHOLDER = "placeholder"  # named by a holding before the master knew it

    name = models.CharField(max_length=200)
    security_type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    asset_class = models.ForeignKey(AssetClass, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="securities")
    sector = models.CharField(max_length=100, blank=True, default="")
    currency = models.CharField(max_length=3, default="USD")
    identical_group = models.ForeignKey(IdenticalGroup, null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="securities")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Current identifiers, denormalised for display; resolution uses SecurityIdentifier.
    cusip = models.CharField(max_length=9, blank=True, default="")
    ticker = models.CharField(max_length=20, blank=True, default="")
    isin = models.CharField(max_length=12, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["ticker", "cusip"]
        indexes = [models.Index(fields=["firm", "ticker"]), models.Index(fields=["firm", "cusip"])]

    def __str__(self) -> str:
        return self.ticker or self.cusip or self.name


class SecurityIdentifier(FirmOwnedModel):
    """One identifier of a security over a date range: a ticker or CUSIP change keeps one
    security, and files dated before the change still resolve the old identifier."""

    class Kind(models.TextChoices):
        CUSIP = "cusip"
        TICKER = "ticker"
        ISIN = "isin"

    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=20)
    valid_from = models.DateField(null=True, blank=True)  # null: since always
    valid_to = models.DateField(null=True, blank=True)  # exclusive; null: still valid

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        indexes = [models.Index(fields=["firm", "kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class UnknownSecurity(FirmOwnedModel):
    """A security named by a holding or transaction that the master did not know: a queue entry
    until the data manager adds or maps it; a placeholder security carries the rows meanwhile."""

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    cusip = models.CharField(max_length=9, blank=True, default="")
    ticker = models.CharField(max_length=20, blank=True, default="")
    placeholder = models.OneToOneField(Security, on_delete=models.PROTECT,
                                       related_name="unknown_entry")
    first_seen_file = models.ForeignKey("dataops.FeedFile", on_delete=models.PROTECT,
                                        related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_to = models.ForeignKey(Security, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["status", "ticker", "cusip"]

    def __str__(self) -> str:
        return self.cusip or self.ticker
