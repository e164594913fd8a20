"""Trade batches from a sorted run, and what reviewers do to them: edit a trade (with a reason,
hard constraints re-checked), approve (never the batch's own editor), reject (with a reason),
record a non-discretionary client's consent. Each writes its history and its TradeEvent."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from optimizer.models import ProposedTrade
from rebal.audit import audit_context, bulk_create_audited
from workflow.models import (
    AccountDisposition,
    BatchStatus,
    BatchTrade,
    ClientConsent,
    Disposition,
    DispositionPolicy,
    EventKind,
    RunAccount,
    TradeBatch,
    TradeEvent,
)
from workflow.services.batch_states import EDITABLE, batch_move
from workflow.services.batch_totals import batch_totals_refresh
from workflow.services.trade_checks import trade_problems
from workflow.services.trade_events import trade_event, trade_event_record, trade_events_record

SYSTEM_JOB = "nightly sort"
TRADED = (Disposition.REVIEW, Disposition.AUTO_TRADE)


def _required(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"A reason is required to {what}.")
    return reason


@transaction.atomic
def batches_create_for_run(*, run_id: int) -> dict[str, int]:
    """One batch per disposition of the run (auto-trade: per policy) holding the analyzed
    accounts' proposed trades; review batches go to review, auto-trade batches are approved by
    the system under their policy's version when a person approved that policy. Every sorted
    account gets a disposition event. A run that already has batches keeps them."""
    from workflow.models import NightlyRun

    run = NightlyRun.objects.get(pk=run_id)
    if TradeBatch.objects.filter(run=run).exists():
        return {"batches": TradeBatch.objects.filter(run=run).count(), "trades_batched": 0}
    with audit_context(system_job=SYSTEM_JOB):
        dispositions = list(AccountDisposition.objects.filter(run=run).values_list(
            "account_id", "disposition", "policy_id", "policy_version", "rule"))
        analyses = dict(RunAccount.objects.filter(run=run, analysis__isnull=False)
                        .values_list("account_id", "analysis_id"))
        trades_by_analysis: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in ProposedTrade.objects.filter(analysis_id__in=[
                analyses[a] for a, d, *_ in dispositions if d in TRADED and a in analyses
        ]).values("pk", "analysis_id", "security_id", "side", "shares", "price", "lots",
                  "analysis__account__discretionary"):
            trades_by_analysis[row["analysis_id"]].append(dict(row))
        groups: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        for account_id, disposition, policy_id, _, _ in dispositions:
            if disposition in TRADED and trades_by_analysis.get(analyses.get(account_id, 0)):
                key = (disposition, policy_id if disposition == Disposition.AUTO_TRADE else None)
                groups[key].append(account_id)
        batches: dict[tuple[str, int | None], TradeBatch] = {}
        for key in sorted(groups, key=lambda k: (k[0], k[1] or 0)):
            batches[key] = TradeBatch.objects.create(run=run, disposition=key[0],
                                                     policy_id=key[1])
        batch_of = {a: batches[key] for key, accounts in groups.items() for a in accounts}
        rows = [BatchTrade(
            firm_id=run.firm_id, batch=batch_of[account_id], account_id=account_id,
            analysis_id=t["analysis_id"], proposed_trade_id=t["pk"],
            security_id=t["security_id"], side=t["side"], shares=t["shares"], price=t["price"],
            lots=[{k: lot[k] for k in ("lot_id", "acquired", "shares") if k in lot}
                  for lot in t["lots"]],
            discretionary=t["analysis__account__discretionary"])
            for account_id, batch in batch_of.items()
            for t in trades_by_analysis[analyses[account_id]]]
        bulk_create_audited(BatchTrade, rows, batch_size=2000)
        trade_events_record([trade_event(
            EventKind.DISPOSITION, account_id=account_id, analysis_id=analyses.get(account_id),
            batch=batch_of.get(account_id), details={
                "disposition": disposition, "policy": policy_id, "policy_version": version,
                "rule": rule}) for account_id, disposition, policy_id, version, rule
            in dispositions])
        batch_totals_refresh(*batches.values())
        for batch in batches.values():
            _open(batch)
    return {"batches": len(batches), "trades_batched": len(rows)}


def _open(batch: TradeBatch) -> None:
    """A new batch: auto-trade approved by the system on its policy's authority; any other,
    or one whose policy no person approved, sent to review."""
    policy = (DispositionPolicy.objects.select_related("approved_by").get(pk=batch.policy_id)
              if batch.policy_id else None)
    if batch.disposition == Disposition.AUTO_TRADE and policy and policy.approved_by_id:
        batch_move(batch, BatchStatus.APPROVED)
        batch.approved_at = timezone.now()
        batch.approval_policy = policy
        batch.approval_policy_version = policy.version
        batch.approval_policy_approved_by = policy.approved_by
        batch.save()
        trade_event_record(EventKind.APPROVED, batch=batch, reason=(
            f"auto-trade under {policy.rule_label}, approved by {policy.approved_by}"),
            details={"policy": policy.pk, "policy_version": policy.version,
                     "policy_approved_by": policy.approved_by_id})
        return
    batch_move(batch, BatchStatus.PENDING_REVIEW)
    batch.save()
    why = ("the auto-trade policy has not been approved by a person"
           if batch.disposition == Disposition.AUTO_TRADE else "review disposition")
    trade_event_record(EventKind.SUBMITTED, batch=batch, reason=why)


def _shares(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{raw!r} is not a number of shares.") from None
    if not value.is_finite() or value <= 0:
        raise ValidationError("Shares must be a positive number; drop the trade instead.")
    return value


@transaction.atomic
def batch_trade_edit(*, trade: BatchTrade, reason: str, acting_user: Any,
                     shares: Any = None, lots: list[dict[str, Any]] | None = None,
                     drop: bool = False) -> BatchTrade:
    """Change a trade's shares or lots, or drop it, before the batch is decided. The account's
    trades must still keep every hard constraint, or nothing changes."""
    reason = _required(reason, "edit a trade")
    batch = TradeBatch.objects.select_for_update().get(pk=trade.batch_id)
    trade = BatchTrade.objects.select_for_update().select_related("account", "security").get(
        pk=trade.pk)
    if batch.status not in EDITABLE:
        raise ValidationError(f"A {batch.get_status_display().lower()} batch cannot be edited.")
    if trade.dropped:
        raise ValidationError("The trade was dropped.")
    before = {"shares": str(trade.shares), "lots": trade.lots, "dropped": False}
    if drop:
        trade.dropped = True
    else:
        if shares is not None:
            trade.shares = _shares(shares)
        if lots is not None:
            if trade.side != "sell":
                raise ValidationError("Only a sell relieves lots.")
            trade.lots = [{"lot_id": str(lot["lot_id"]), "shares": str(_shares(lot["shares"]))}
                          for lot in lots]
        elif shares is not None and trade.side == "sell":
            trade.lots = []  # the old lots no longer add up; the custodian's default applies
    account_trades = [t for t in BatchTrade.objects.filter(
        batch=batch, account_id=trade.account_id).select_related("account", "security")
        if t.pk != trade.pk] + [trade]
    problems = trade_problems(account_trades, as_of=batch.run.business_date)
    if problems:
        raise ValidationError(problems)
    with audit_context(user=acting_user, reason=reason):
        trade.save()
    batch_totals_refresh(batch)
    after = {"shares": str(trade.shares), "lots": trade.lots, "dropped": trade.dropped}
    with audit_context(user=acting_user):
        trade_event_record(EventKind.DROPPED if drop else EventKind.EDITED, batch=batch,
                           trade=trade, account_id=trade.account_id,
                           analysis_id=trade.analysis_id, reason=reason,
                           details={"before": before, "after": after})
    return trade


def batch_editors(batch: TradeBatch) -> set[int]:
    return set(TradeEvent.objects.filter(
        batch=batch, kind__in=[EventKind.EDITED, EventKind.DROPPED], actor_user__isnull=False)
        .values_list("actor_user_id", flat=True))


@transaction.atomic
def batch_approve(*, batch: TradeBatch, reason: str, acting_user: Any) -> TradeBatch:
    """Approve a batch under review; whoever edited it may not (four eyes)."""
    reason = _required(reason, "approve a batch")
    batch = TradeBatch.objects.select_for_update().get(pk=batch.pk)
    if acting_user.pk in batch_editors(batch):
        raise PermissionDenied("You edited this batch; another person must approve it.")
    batch_move(batch, BatchStatus.APPROVED)
    batch.approved_by, batch.approved_at = acting_user, timezone.now()
    with audit_context(user=acting_user, reason=reason):
        batch.save()
        trade_event_record(EventKind.APPROVED, batch=batch, reason=reason)
    return batch


@transaction.atomic
def batch_reject(*, batch: TradeBatch, reason: str, acting_user: Any) -> TradeBatch:
    reason = _required(reason, "reject a batch")
    batch = TradeBatch.objects.select_for_update().get(pk=batch.pk)
    batch_move(batch, BatchStatus.REJECTED)
    batch.rejected_by, batch.rejection_reason = acting_user, reason
    with audit_context(user=acting_user, reason=reason):
        batch.save()
        trade_event_record(EventKind.REJECTED, batch=batch, reason=reason)
    return batch


def accounts_needing_consent(batch: TradeBatch) -> list[int]:
    """Non-discretionary accounts with live trades in the batch and no consent recorded."""
    needing = set(BatchTrade.objects.filter(batch=batch, dropped=False, discretionary=False)
                  .values_list("account_id", flat=True))
    return sorted(needing - set(ClientConsent.objects.filter(batch=batch)
                                .values_list("account_id", flat=True)))


@transaction.atomic
def client_consent_record(*, batch: TradeBatch, account_id: int, method: str,
                          obtained_at: datetime, note: str, acting_user: Any) -> ClientConsent:
    """Record that a non-discretionary account's client agreed to the batch's trades."""
    if method not in ClientConsent.Method.values:
        raise ValidationError(f"How consent was obtained: one of {ClientConsent.Method.values}.")
    if obtained_at > timezone.now():
        raise ValidationError("Consent cannot be obtained in the future.")
    trades = BatchTrade.objects.filter(batch=batch, account_id=account_id, dropped=False)
    if not trades.filter(discretionary=False).exists():
        raise ValidationError("The account has no non-discretionary trades in this batch.")
    if batch.status in (BatchStatus.REJECTED,) or batch.released_at is not None:
        raise ValidationError("Consent is recorded before release.")
    if ClientConsent.objects.filter(batch=batch, account_id=account_id).exists():
        raise ValidationError("Consent is already recorded for this account.")
    with audit_context(user=acting_user, reason=f"client consent ({method})"):
        consent = ClientConsent.objects.create(batch=batch, account_id=account_id,
                                               method=method, obtained_at=obtained_at,
                                               note=note, recorded_by=acting_user)
        trade_event_record(EventKind.CONSENT, batch=batch, account_id=account_id,
                           reason=note, details={"method": method,
                                                 "obtained_at": obtained_at.isoformat()})
    return consent
