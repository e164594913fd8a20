"""Reconciliation: each new lot snapshot against the previous one plus the transactions between.

Quantities are compared per security: previous lots + buys and reinvestments + transfers in −
sells − transfers out, for trades after the previous snapshot's date up to the new one's. A
difference is a break with both figures, for the data manager, and holds the account.
Securities a corporate action changed between the two dates are left to the corporate-action
check, which compares them with the lots the action should have produced
(accounts.services.corporate_actions).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from accounts.models import AccountHold, LotSet, ReconciliationBreak, TaxLot, Transaction
from accounts.services.corporate_actions import securities_in_corporate_actions
from accounts.services.holds import holds_clear, holds_place
from dataops.models import Security
from rebal.audit import audit_context
from rebal.firm_context import require_firm

INCREASES = {"buy", "dividend_reinvestment", "transfer_in"}
DECREASES = {"sell", "transfer_out"}


def _quantities(lot_set_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    totals: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for lot_set_id, security_id, quantity in (
            TaxLot.objects.filter(lot_set_id__in=lot_set_ids)
            .values_list("lot_set_id", "security_id").annotate(total=Sum("quantity"))):
        totals[lot_set_id][security_id] = quantity
    return totals


def breaks_record(*, kind: str, breaks: list[ReconciliationBreak],
                  checked_account_ids: set[int]) -> None:
    """Record breaks of one kind and hold their accounts until a later check of the same kind
    passes; accounts checked without a break have that hold cleared."""
    ReconciliationBreak.objects.bulk_create(breaks, ignore_conflicts=True)
    source = f"reconciliation:{kind}"
    with audit_context(system_job="reconciliation"):
        holds_place(reasons={b.account_id: b.reason for b in breaks},
                    kind=AccountHold.Kind.DATA_ERROR, source=source)
        holds_clear(source=source,
                    account_ids=checked_account_ids - {b.account_id for b in breaks},
                    reason="reconciled")


def _shown(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def lot_sets_reconcile(lot_sets: list[LotSet]) -> int:
    """Check each lot set against its account's previous one; returns the breaks recorded."""
    by_date: dict[Any, list[LotSet]] = defaultdict(list)
    for lot_set in lot_sets:
        by_date[lot_set.business_date].append(lot_set)
    return sum(_reconcile_one_date(group) for _, group in sorted(by_date.items()))


def _reconcile_one_date(lot_sets: list[LotSet]) -> int:
    if not lot_sets:
        return 0
    firm = require_firm()
    accounts = [lot_set.account_id for lot_set in lot_sets]
    earliest = min(lot_set.business_date for lot_set in lot_sets)
    previous: dict[int, LotSet] = {}
    for candidate in (LotSet.objects.filter(account_id__in=accounts,
                                            business_date__lt=earliest)
                      .order_by("account_id", "-business_date", "-feed_file__seq", "-pk")
                      .distinct("account_id")):
        previous[candidate.account_id] = candidate
    pairs = [(lot_set, previous[lot_set.account_id]) for lot_set in lot_sets
             if lot_set.account_id in previous]
    if not pairs:
        return 0
    quantities = _quantities([p.pk for pair in pairs for p in pair])
    since = min(before.business_date for _, before in pairs)
    moves: dict[int, list[tuple[Any, str, Any, Decimal]]] = defaultdict(list)
    cancelled = set(Transaction.objects.filter(account_id__in=accounts).exclude(cancels="")
                    .values_list("cancels", flat=True))
    for transaction in Transaction.objects.filter(
            account_id__in=accounts, trade_date__gt=since, security__isnull=False,
            type__in=INCREASES | DECREASES).exclude(transaction_id__in=cancelled):
        moves[transaction.account_id].append((transaction.trade_date, transaction.type,
                                              transaction.security_id,
                                              abs(transaction.quantity or Decimal(0))))
    breaks = []
    in_actions: dict[tuple[Any, Any], set[int]] = {}
    for lot_set, before in pairs:
        span = (before.business_date, lot_set.business_date)
        if span not in in_actions:
            in_actions[span] = securities_in_corporate_actions(*span)
        expected = dict(quantities.get(before.pk, {}))
        for trade_date, kind, security_id, quantity in moves[lot_set.account_id]:
            if before.business_date < trade_date <= lot_set.business_date:
                sign = 1 if kind in INCREASES else -1
                expected[security_id] = expected.get(security_id, Decimal(0)) + sign * quantity
        actual = quantities.get(lot_set.pk, {})
        differences = sorted(
            (security_id, expected.get(security_id, Decimal(0)), actual.get(security_id,
                                                                            Decimal(0)))
            for security_id in set(expected) | set(actual)
            if security_id not in in_actions[span]
            and expected.get(security_id, Decimal(0)) != actual.get(security_id, Decimal(0)))
        if differences:
            names = dict(Security.objects.filter(pk__in=[d[0] for d in differences])
                         .values_list("pk", "ticker"))
            details = "; ".join(f"{names.get(sid) or sid}: expected {_shown(exp)}, custodian "
                                f"{_shown(act)}" for sid, exp, act in differences[:5])
            breaks.append(ReconciliationBreak(
                firm=firm, account_id=lot_set.account_id, business_date=lot_set.business_date,
                kind=ReconciliationBreak.Kind.LOTS_VS_TRANSACTIONS,
                reason=(f"lots on {lot_set.business_date} differ from lots on "
                        f"{before.business_date} plus transactions: {details}")))
    breaks_record(kind=ReconciliationBreak.Kind.LOTS_VS_TRANSACTIONS, breaks=breaks,
                  checked_account_ids={lot_set.account_id for lot_set, _ in pairs})
    return len(breaks)
