"""Teams of a firm's people (advisors grouped for management's KPIs and reports)."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class Team(FirmOwnedModel):
    """A named group of a firm's members; each member belongs to at most one team."""

    name = models.CharField(max_length=100)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["firm", "name"], name="team_name_per_firm")]

    def __str__(self) -> str:
        return self.name
