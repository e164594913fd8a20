"""The custodian's next lot snapshot against the lots our filled sell orders instructed: a lot
we told it to relieve that did not go down by the shares sold means it relieved other lots
(the client's taxes differ from what Rebal computed). Each mismatch is an event on the order
and one alert for the data manager and the overlay managers; every order is checked once."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.models import LotSet, TaxLot
from rebal.audit import audit_context
from rebal.firm_context import require_firm
from rebal.services import alert_raise
from workflow.models import EventKind, Order, OrderStatus
from workflow.services.trade_events import trade_event, trade_events_record

CHECKED = (EventKind.LOTS_RECONCILED, EventKind.LOTS_MISMATCH)


def _quantities(lot_set_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    held: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for lot_set_id, lot_id, quantity in TaxLot.objects.filter(
            lot_set_id__in=lot_set_ids).values_list("lot_set_id", "lot_id", "quantity"):
        held[lot_set_id][lot_id] += quantity
    return held


@transaction.atomic
def order_lots_reconcile(*, business_date: date) -> dict[str, int]:
    """Check the filled sells released before `business_date` against the lot sets of that
    date: each instructed lot must hold at least the shares sold from it fewer than in the
    snapshot the order was made from."""
    orders = list(Order.objects.filter(
        side="sell", status__in=[OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED],
        batch__run__business_date__lt=business_date).exclude(
        events__kind__in=CHECKED).exclude(lot_instructions=[]).select_related(
        "batch__run", "account"))
    if not orders:
        return {"orders_checked": 0, "lots_mismatched": 0}
    account_ids = sorted({o.account_id for o in orders})
    new_sets = {s.account_id: s for s in LotSet.objects.filter(
        account_id__in=account_ids, business_date=business_date)
        .order_by("account_id", "-feed_file__seq", "-pk").distinct("account_id")}
    old_sets: dict[tuple[int, date], LotSet] = {}
    for order in orders:
        key = (order.account_id, order.batch.run.business_date)
        if key not in old_sets:
            found = (LotSet.objects.filter(account_id=key[0], business_date__lte=key[1])
                     .order_by("-business_date", "-feed_file__seq", "-pk").first())
            if found is not None:
                old_sets[key] = found
    held = _quantities([s.pk for s in new_sets.values()] + [s.pk for s in old_sets.values()])
    events, mismatched = [], []
    for order in orders:
        new, old = new_sets.get(order.account_id), old_sets.get(
            (order.account_id, order.batch.run.business_date))
        if new is None or old is None:
            continue  # no snapshot of the date yet: checked when it comes
        sold_left = order.filled_shares
        problems = []
        for lot in order.lot_instructions:
            sold = min(sold_left, Decimal(str(lot["shares"])))
            sold_left -= sold
            before, after = held[old.pk][lot["lot_id"]], held[new.pk][lot["lot_id"]]
            if before - after < sold:
                problems.append(f"lot {lot['lot_id']}: {before.normalize():f} → "
                                f"{after.normalize():f}, {sold.normalize():f} sold from it")
        kind = EventKind.LOTS_MISMATCH if problems else EventKind.LOTS_RECONCILED
        events.append(trade_event(kind, order=order, batch_id=order.batch_id,
                                  trade_id=order.trade_id, account_id=order.account_id,
                                  reason="; ".join(problems),
                                  details={"lot_set": new.pk, "previous_lot_set": old.pk}))
        if problems:
            mismatched.append(f"{order.client_order_id} ({order.account.account_number})")
    with audit_context(system_job="lot reconciliation"):
        trade_events_record(events)
    if mismatched:
        alert_raise(firm=require_firm(), kind="lots_relieved_otherwise", severity="warning",
                    subject=f"Lots relieved other than instructed {business_date:%Y-%m-%d}",
                    message=(f"The custodian relieved other lots than {len(mismatched)} "
                             f"order(s) instructed: {', '.join(mismatched[:10])}."),
                    roles=["data_manager", "overlay_manager"])
    return {"orders_checked": len(events), "lots_mismatched": len(mismatched)}
