"""Publishing: a change to an allocation, product or program is a draft until a second member
of the investment policy committee approves it."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class ModelChange(FirmOwnedModel):
    """A proposed allocation, product or program (new or changed), with who proposed it and why,
    and who approved or rejected it and why. The live structure changes only when it is
    published, in the same transaction as the approval."""

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", "Asset allocation"
        PRODUCT = "product", "Security model (product)"
        PROGRAM = "program", "Program"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft, awaiting approval"
        PUBLISHED = "published", "Approved and published"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn by its author"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The structure changed; null while a new one is proposed (set when it is published).
    allocation = models.ForeignKey("models_hub.AssetAllocation", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="changes")
    product = models.ForeignKey("models_hub.SecurityModel", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="changes")
    program = models.ForeignKey("models_hub.Program", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="changes")
    code = models.CharField(max_length=50)  # of the structure, for lists and messages
    # The structure's revision this draft was made against; publishing a stale draft is refused.
    base_revision = models.PositiveIntegerField(default=0)
    # The complete proposed content, as plain data (ids and decimal strings).
    proposed = models.JSONField()
    summary = models.TextField(help_text="What the change does, in plain English.")
    reason = models.TextField()
    author = models.ForeignKey("rebal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("rebal.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    # The impact preview's result, recorded by the workflow's background job.
    impact = models.JSONField(default=dict, blank=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["firm", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} ({self.get_status_display()})"
