"""Per-firm API tokens for machines (OMS, accounting systems)."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel

TOKEN_PREFIX = "rbl_"  # noqa: S105 - a public prefix, not a secret


class Scope(models.TextChoices):
    ACCOUNTS_READ = "accounts:read", "Read accounts and households"
    FEEDS_WRITE = "feeds:write", "Upload feed files"
    ORDERS_READ = "orders:read", "Pull released orders"
    ORDERS_WRITE = "orders:write", "Post acknowledgements, fills and cancellations"
    ALERTS_READ = "alerts:read", "Read alerts"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class APIToken(FirmOwnedModel):
    """A machine credential: only its SHA-256 is stored; the value is shown once."""

    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(max_length=12, editable=False)
    scopes = ArrayField(models.CharField(max_length=30, choices=Scope.choices), default=list)
    created_by = models.ForeignKey(
        "rebal.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AuditedFirmManager()
    history = audited_history(excluded_fields=["last_used_at"])

    # Authentication finds a token by its hash before the firm is known.
    rls_also_visible_when = "key_hash = current_setting('rebal.api_token_hash', true)"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="api_token_name_per_firm"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
