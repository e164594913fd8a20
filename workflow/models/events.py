"""What happened to proposed trades after the analysis, appended and never changed: the
disposition and its rule, edits with reasons, approval or rejection and by whom, consent,
release, acknowledgement, fills and cancellations. With the analysis (the record) they make
each order's SEC 204-2 memorandum (workflow.selectors_memorandum)."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from rebal.models.base import FirmOwnedModel


class EventKind(models.TextChoices):
    DISPOSITION = "disposition", "Disposition"
    SUBMITTED = "submitted", "Submitted for review"
    EDITED = "edited", "Trade edited"
    DROPPED = "dropped", "Trade dropped"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CONSENT = "consent", "Client consent recorded"
    RELEASED = "released", "Released to the OMS"
    ACKNOWLEDGED = "acknowledged", "Acknowledged by the OMS"
    FILLED = "filled", "Fill"
    CANCELLED = "cancelled", "Cancelled"
    RELEASE_SWITCH = "release_switch", "Release switch"
    RELEASE_HELD = "release_held", "Automatic release held"
    LOTS_RECONCILED = "lots_reconciled", "Lots relieved as instructed"
    LOTS_MISMATCH = "lots_mismatch", "Lots relieved other than instructed"


class TradeEvent(FirmOwnedModel):
    """One thing that happened to a batch, a trade or an order, with who and why; rows are
    written once (the application role may not UPDATE, DELETE or TRUNCATE them)."""

    append_only = True

    kind = models.CharField(max_length=20, choices=EventKind.choices)
    analysis = models.ForeignKey("optimizer.Analysis", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("accounts.Account", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey("workflow.TradeBatch", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="events")
    trade = models.ForeignKey("workflow.BatchTrade", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="events")
    order = models.ForeignKey("workflow.Order", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="events")
    actor_user = models.ForeignKey("rebal.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    actor_token = models.ForeignKey("rebal.APIToken", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    system_job = models.CharField(max_length=100, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    details = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["batch", "kind"]), models.Index(fields=["order"]),
                   models.Index(fields=["trade"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor_label(self) -> str:
        if self.actor_user_id:
            return str(self.actor_user)
        if self.actor_token_id:
            return f"token {self.actor_token}"
        return f"system ({self.system_job})" if self.system_job else "system"
