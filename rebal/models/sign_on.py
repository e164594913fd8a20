"""A firm's own OpenID Connect provider, through which its people may sign in. Who they are
comes from the provider; what they may do is still granted in Rebal (memberships and roles)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class SignOnProvider(FirmOwnedModel):
    issuer = models.URLField(help_text="The provider's issuer URL; its discovery document is "
                                       "<issuer>/.well-known/openid-configuration")
    client_id = models.CharField(max_length=200)
    client_secret = models.CharField(max_length=500)
    email_domains = ArrayField(
        models.CharField(max_length=200), default=list, blank=True,
        help_text="Only addresses at these domains are accepted (empty: any domain)")
    is_active = models.BooleanField(default=True)

    objects = AuditedFirmManager()
    history = audited_history(excluded_fields=["client_secret"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"], name="sign_on_provider_per_firm")]

    def __str__(self) -> str:
        return self.issuer
