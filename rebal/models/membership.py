"""A person's roles in a firm."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel


class Role(models.TextChoices):
    ADVISOR = "advisor", "Advisor"
    IPC = "ipc", "Investment policy committee"
    OVERLAY_MANAGER = "overlay_manager", "Overlay manager"
    COMPLIANCE = "compliance", "Compliance"
    MANAGEMENT = "management", "Management"
    DATA_MANAGER = "data_manager", "Data manager"
    FIRM_ADMIN = "firm_admin", "Firm administrator"


class Membership(FirmOwnedModel):
    """A user's membership of a firm, with the roles they hold there."""

    user = models.ForeignKey("rebal.User", on_delete=models.PROTECT, related_name="memberships")
    roles = ArrayField(models.CharField(max_length=30, choices=Role.choices), default=list)
    is_active = models.BooleanField(default=True)
    # At most one team per member; a team with members cannot be deleted.
    team = models.ForeignKey("rebal.Team", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="members")

    objects = AuditedFirmManager()
    history = audited_history()

    # At sign-in the firm is not known yet: a user may read their own memberships.
    rls_also_visible_when = "user_id = rebal_current_user()"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="membership_one_per_firm"),
        ]

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in self.roles]

    def __str__(self) -> str:
        return f"{self.user} in {self.firm_id}: {', '.join(self.roles)}"
