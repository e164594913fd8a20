"""Stale holdings are held, never used silently."""

from __future__ import annotations

from datetime import date

from accounts.models import Account, AccountHold
from accounts.selectors import current_lot_sets
from accounts.services.holds import holds_clear, holds_place
from rebal.audit import audit_context

SOURCE = "stale:tax_lots"


def tax_lots_due(*, feed: str, business_date: date, **kwargs: object) -> None:
    """Hook: once the day's lot file is due, accounts without it are stale."""
    if feed == "tax_lots":
        holdings_staleness_check(business_date=business_date)


def holdings_staleness_check(*, business_date: date) -> int:
    """Hold open accounts whose newest lot snapshot is older than `business_date`; clear the
    hold of those that are current again. Returns how many accounts are stale."""
    account_ids = list(Account.objects.exclude(status=Account.Status.CLOSED)
                       .values_list("pk", flat=True))
    lot_sets = current_lot_sets(account_ids, business_date)
    stale = {}
    for account_id in account_ids:
        lot_set = lot_sets.get(account_id)
        if lot_set is None or lot_set.business_date < business_date:
            seen = f"last snapshot {lot_set.business_date:%Y-%m-%d}" if lot_set else "no snapshot"
            stale[account_id] = (f"holdings are stale for {business_date:%Y-%m-%d}: {seen}")
    with audit_context(system_job="holdings_staleness_check"):
        holds_place(reasons=stale, kind=AccountHold.Kind.DATA_ERROR, source=SOURCE)
        holds_clear(source=SOURCE, account_ids=set(account_ids) - set(stale),
                    reason=f"holdings current for {business_date:%Y-%m-%d}")
    return len(stale)
