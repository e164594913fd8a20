"""Restriction lists (ESG screens, the firm's restricted list)."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class RestrictionList(FirmOwnedModel):
    """A named list of restricted securities; a file replaces the lists it names."""

    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "code"], name="restriction_list")]

    def __str__(self) -> str:
        return self.name or self.code


class RestrictionEntry(FirmOwnedModel):
    """A security on a restriction list, with the reason."""

    restriction_list = models.ForeignKey(RestrictionList, on_delete=models.CASCADE,
                                         related_name="entries")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True, default="")

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["restriction_list", "security"],
                                               name="restriction_entry")]
