"""Saved filters: named structured queries over the firm's accounts (workflow.filters)."""

from __future__ import annotations

from typing import Any

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class SavedFilter(FirmOwnedModel):
    """A named query over accounts, shared with the firm (no owner) or kept by one person."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    query = models.JSONField(default=dict)  # the filter language (workflow/filters/compiler.py)
    owner = models.ForeignKey("rebal.User", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], condition=models.Q(
                owner__isnull=True), name="firm_filter_name"),
            models.UniqueConstraint(fields=["firm", "owner", "name"], condition=models.Q(
                owner__isnull=False), name="personal_filter_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    @classmethod
    def assigned_to(cls, user: Any) -> models.Q:
        """The filters shared with the firm and the person's own."""
        return models.Q(owner__isnull=True) | models.Q(owner=user)
