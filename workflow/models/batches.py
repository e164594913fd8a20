"""Trade batches: the proposed trades of one run and disposition (and, for auto-trade, one
policy), reviewed, approved or rejected, and released to the OMS as orders. The states and the
moves allowed between them are the table in workflow.services.batch_states."""

from __future__ import annotations

from django.db import models

from rebal.audit import audited_history
from rebal.models.base import AuditedFirmManager, FirmOwnedModel
from workflow.models.dispositions import Disposition


class BatchStatus(models.TextChoices):
    """Where a batch is; after release it follows its orders (see batch_states)."""

    PROPOSED = "proposed", "Proposed"
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RELEASED = "released", "Released"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    PARTIALLY_FILLED = "partially_filled", "Partially filled"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


BATCH_TOTALS = ["account_count", "trade_count", "bought", "sold", "realized_gain", "estimated_tax",
                "book_value"]


class TradeBatch(FirmOwnedModel):
    """The trades of one run's accounts in one disposition (auto-trade: of one policy)."""

    run = models.ForeignKey("workflow.NightlyRun", on_delete=models.PROTECT,
                            related_name="batches")
    disposition = models.CharField(max_length=20)
    # The policy that put the accounts here (auto-trade batches are one per policy).
    policy = models.ForeignKey("workflow.DispositionPolicy", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=BatchStatus.choices,
                              default=BatchStatus.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    # Approval: a person, or the system on the authority of a policy version and its approver.
    approved_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_policy = models.ForeignKey("workflow.DispositionPolicy", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    approval_policy_version = models.PositiveIntegerField(null=True, blank=True)
    approval_policy_approved_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                                    on_delete=models.PROTECT, related_name="+")
    rejected_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    rejection_reason = models.TextField(blank=True, default="")
    released_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    # Totals over the trades not dropped, kept by workflow.services.batch_totals whenever the
    # trades change, so the review queue sorts a run's 20,000 trades without reading them.
    # Derived from audited trades, so not audited themselves.
    account_count = models.PositiveIntegerField(default=0)
    trade_count = models.PositiveIntegerField(default=0)
    bought = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    sold = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    realized_gain = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    estimated_tax = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    # The accounts' value at analysis (every trade's account, dropped or not); None if unknown.
    book_value = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)

    objects = AuditedFirmManager()
    history = audited_history(excluded_fields=BATCH_TOTALS)

    class Meta:
        ordering = ["-run__business_date", "disposition", "pk"]
        constraints = [models.UniqueConstraint(
            fields=["run", "disposition", "policy"], nulls_distinct=False,
            name="one_batch_per_run_disposition_policy")]
        indexes = [models.Index(fields=["firm", "status"])]

    def __str__(self) -> str:
        return f"Batch {self.pk}: {self.disposition} ({self.get_status_display()})"

    @property
    def disposition_label(self) -> str:
        return Disposition(self.disposition).label if self.disposition in Disposition.values \
            else self.disposition

    @property
    def approval_label(self) -> str:
        """Who approved, in words: a person, or the system under a named policy version."""
        if self.approval_policy_id:
            return (f"system, under policy {self.approval_policy_id} "
                    f"v{self.approval_policy_version} approved by "
                    f"{self.approval_policy_approved_by}")
        return str(self.approved_by) if self.approved_by_id else ""


class BatchTrade(FirmOwnedModel):
    """One proposed trade in a batch, as the reviewers leave it: shares and lots may be edited
    (with a reason) or the trade dropped; the analysis's own trade stays as proposed."""

    batch = models.ForeignKey(TradeBatch, on_delete=models.PROTECT, related_name="trades")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    analysis = models.ForeignKey("optimizer.Analysis", on_delete=models.PROTECT,
                                 related_name="+")
    proposed_trade = models.ForeignKey("optimizer.ProposedTrade", on_delete=models.PROTECT,
                                       related_name="+")
    security = models.ForeignKey("dataops.Security", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4)
    shares = models.DecimalField(max_digits=20, decimal_places=6)
    price = models.DecimalField(max_digits=20, decimal_places=6)
    # Sells: [{"lot_id": …, "shares": "…", …}] adding up to `shares` (versus purchase).
    lots = models.JSONField(default=list, blank=True)
    dropped = models.BooleanField(default=False)
    discretionary = models.BooleanField()  # the account's flag when the batch was made

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        ordering = ["batch", "account", "side", "pk"]
        indexes = [models.Index(fields=["batch", "account"])]

    def __str__(self) -> str:
        return f"{self.side} {self.shares} of {self.security_id} for account {self.account_id}"


class ClientConsent(FirmOwnedModel):
    """A non-discretionary account's client agreed to the batch's trades for the account."""

    class Method(models.TextChoices):
        PHONE = "phone", "By telephone"
        EMAIL = "email", "By e-mail"
        MEETING = "meeting", "In a meeting"
        SIGNED = "signed", "Signed letter"

    batch = models.ForeignKey(TradeBatch, on_delete=models.PROTECT, related_name="consents")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=10, choices=Method.choices)
    obtained_at = models.DateTimeField()
    note = models.TextField(blank=True, default="")
    recorded_by = models.ForeignKey("rebal.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "account"],
                                               name="one_consent_per_batch_and_account")]


class ReleaseControl(FirmOwnedModel):
    """The firm's release controls: the switch (while releases are stopped no batch is released
    to the OMS) and the firm's limit on one order's value, checked again at release."""

    releases_stopped = models.BooleanField(default=False)
    # Auto-trade batches released as soon as the system approves them (in the nightly sort
    # stage), rather than by a person: the firm's choice, off until it is made.
    auto_release = models.BooleanField(default=False)
    max_order_value = models.DecimalField(max_digits=20, decimal_places=2, null=True,
                                          blank=True)
    reason = models.TextField(blank=True, default="")
    changed_by = models.ForeignKey("rebal.User", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(null=True, blank=True)

    objects = AuditedFirmManager()
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm"],
                                               name="one_release_control_per_firm")]
