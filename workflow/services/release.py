"""Releasing an approved batch to the OMS, and the firm's release controls. Release checks the
switch, the consent of every non-discretionary client, and the hard constraints and firm limit
again (restrictions may have changed since the analysis), then makes one order per live trade."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from rebal.audit import audit_context
from rebal.firm_context import require_firm
from workflow.models import (
    BatchStatus,
    BatchTrade,
    Disposition,
    EventKind,
    Order,
    ReleaseControl,
    TradeBatch,
)
from workflow.services.batch_states import batch_move
from workflow.services.batches import accounts_needing_consent
from workflow.services.trade_checks import trade_problems
from workflow.services.trade_events import trade_event, trade_event_record, trade_events_record

AUTO_RELEASE_JOB = "auto-release"


def release_control() -> ReleaseControl:
    """The firm's controls; releases run until someone stops them."""
    control = ReleaseControl.objects.first()
    return control if control is not None else ReleaseControl(releases_stopped=False)


@transaction.atomic
def release_control_update(*, releases_stopped: bool, max_order_value: Decimal | None,
                           reason: str, acting_user: Any,
                           auto_release: bool | None = None) -> ReleaseControl:
    """Stop or resume all releases of the firm, change its order limit, or whether auto-trade
    batches are released without a person (None keeps it), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A reason is required to change the release controls.")
    if max_order_value is not None and max_order_value <= 0:
        raise ValidationError("The order limit must be positive (or none).")
    control = ReleaseControl.objects.select_for_update().first() or ReleaseControl()
    control.releases_stopped = releases_stopped
    control.max_order_value = max_order_value
    if auto_release is not None:
        control.auto_release = auto_release
    control.reason, control.changed_by, control.changed_at = reason, acting_user, timezone.now()
    with audit_context(user=acting_user, reason=reason):
        control.save()
        trade_event_record(EventKind.RELEASE_SWITCH, reason=reason, details={
            "releases_stopped": releases_stopped, "auto_release": control.auto_release,
            "max_order_value": None if max_order_value is None else str(max_order_value)})
    return control


def client_order_id(firm_code: str, trade_id: int) -> str:
    """Derived from the trade alone: the same trade always has the same id, and two trades of
    a firm never share one."""
    return f"{firm_code}-{trade_id:010d}"


@transaction.atomic
def batch_release(*, batch: TradeBatch, acting_user: Any) -> list[Order]:
    """Release an approved batch: one order per live trade, with its lot instructions."""
    # Serializes with release_control_update: a release never slips past a stop.
    control = ReleaseControl.objects.select_for_update().first()
    if control is not None and control.releases_stopped:
        raise ValidationError(f"Releases are stopped for the firm: {control.reason}")
    batch = TradeBatch.objects.select_for_update().select_related("run").get(pk=batch.pk)
    batch_move(batch, BatchStatus.RELEASED)  # refuses with the state table's words
    missing = accounts_needing_consent(batch)
    if missing:
        numbers = Account.objects.filter(pk__in=missing).values_list("account_number",
                                                                     flat=True)
        raise ValidationError("Client consent is not recorded for non-discretionary "
                              f"account(s): {', '.join(sorted(numbers))}.")
    trades = list(BatchTrade.objects.filter(batch=batch, dropped=False)
                  .select_related("account", "security").order_by("pk"))
    problems = trade_problems(trades, as_of=batch.run.business_date,
                              max_order_value=control.max_order_value if control else None)
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    firm = require_firm()
    batch.released_by, batch.released_at = acting_user, now
    with audit_context(user=acting_user, reason="released to the OMS"):
        batch.save()
        orders = Order.objects.bulk_create([Order(
            firm=firm, trade=t, batch=batch, account_id=t.account_id,
            security_id=t.security_id, client_order_id=client_order_id(firm.code, t.pk),
            side=t.side, shares=t.shares, limit_price=None,
            lot_instructions=[{"lot_id": lot["lot_id"], "shares": str(lot["shares"]),
                               **({"acquired": str(lot["acquired"])} if "acquired" in lot
                                  else {})} for lot in t.lots],
            discretionary=t.discretionary, released_at=now) for t in trades], batch_size=2000)
        trade_events_record([trade_event(
            EventKind.RELEASED, batch=batch, trade=t, order=o, account_id=t.account_id,
            analysis_id=t.analysis_id, details={"client_order_id": o.client_order_id})
            for t, o in zip(trades, orders, strict=True)])
    return orders


def batches_auto_release(*, run_id: int) -> dict[str, int]:
    """Release the run's system-approved auto-trade batches when the firm chose so. A batch the
    release refuses (releases stopped, consent missing, a restriction or the order limit) stays
    approved for a person to look at, with the reason as an event."""
    if not release_control().auto_release:
        return {}
    released = held = 0
    batches = TradeBatch.objects.filter(run_id=run_id, disposition=Disposition.AUTO_TRADE,
                                        status=BatchStatus.APPROVED, approval_policy__isnull=False)
    for batch in batches.order_by("pk"):
        try:
            with transaction.atomic(), audit_context(system_job=AUTO_RELEASE_JOB):
                batch_release(batch=batch, acting_user=None)
        except ValidationError as refused:
            held += 1
            trade_event_record(EventKind.RELEASE_HELD, batch=batch,
                               reason="; ".join(refused.messages))
        else:
            released += 1
    return {"auto_released": released, "auto_release_held": held}
