"""The holder's trades between the snapshot an expectation was computed from and the one checked.

An expectation is computed from the holder's snapshot before the action. If the account
trades the securities involved before the custodian's next snapshot (tonight's proposals are
released on the ex-date), that snapshot differs from the expectation by those trades: without
them every such trade would be a false break. So the check counts them, from the transactions
feed, as the ordinary reconciliation does (accounts.services.reconciliation): trades dated
before the ex-date are in shares before the action and go through it with the position (the
action is applied again to the position plus those trades: fractions are per position); trades
on or after it are in shares after it and are added as they are.

With trades in between, shares are compared and basis is not: which lots a sale relieved
(and so the basis left) is the custodian's record, not something the transactions feed says.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts.models import CorporateActionExpectation, Transaction
from accounts.tax.corporate_actions import CorporateActionTerms, apply_action
from accounts.tax.realized import Lot

INCREASES = frozenset({"buy", "dividend_reinvestment", "transfer_in"})
DECREASES = frozenset({"sell", "transfer_out"})
ZERO = Decimal(0)


@dataclass(frozen=True)
class Trade:
    trade_date: date
    security_id: int
    shares: Decimal  # bought positive, sold negative


@dataclass(frozen=True)
class SharesWithTrades:
    """What the holder's positions should be on the checked date, counting the trades."""

    after: dict[int, Decimal]
    before: dict[int, Decimal]  # tolerated inside the window: the action not yet processed
    trades: int


def trades_since(expectations: Sequence[CorporateActionExpectation]) -> dict[int, list[Trade]]:
    """Each holder's trades in the securities its standing actions involve, after the earliest
    snapshot an expectation was computed from (a cancelled trade left out, its correction
    counted, a bare cancellation moves nothing): two queries for every holder."""
    if not expectations:
        return {}
    accounts = sorted({e.account_id for e in expectations})
    securities = {sid for e in expectations
                  for sid in (e.action.old_security_id, e.action.new_security_id) if sid}
    since = min(e.based_on.business_date for e in expectations)
    cancelled = set(Transaction.objects.filter(account_id__in=accounts).exclude(cancels="")
                    .values_list("cancels", flat=True))
    found: dict[int, list[Trade]] = defaultdict(list)
    for account_id, trade_date, kind, security_id, quantity in (
            Transaction.objects.filter(account_id__in=accounts, trade_date__gt=since,
                                       security_id__in=securities,
                                       type__in=INCREASES | DECREASES)
            .exclude(transaction_id__in=cancelled)
            .order_by("trade_date", "pk")
            .values_list("account_id", "trade_date", "type", "security_id", "quantity")):
        if quantity:  # a bare cancellation moves no shares
            sign = 1 if kind in INCREASES else -1
            found[account_id].append(Trade(trade_date, security_id, sign * abs(quantity)))
    return found


def _add(shares: dict[int, Decimal], trades: Iterable[Trade]) -> dict[int, Decimal]:
    total = dict(shares)
    for trade in trades:
        total[trade.security_id] = total.get(trade.security_id, ZERO) + trade.shares
    return {sid: quantity for sid, quantity in total.items() if quantity}


def _shares(lots: Iterable[Lot]) -> dict[int, Decimal]:
    return _add({}, (Trade(date.min, int(lot.security), lot.quantity) for lot in lots))


def shares_with_trades(expectation: CorporateActionExpectation, trades: Iterable[Trade],
                       day: date, terms: CorporateActionTerms) -> SharesWithTrades | None:
    """The holder's expected shares on `day` counting its trades after the expectation's
    snapshot up to `day`; None when it made none (the expectation stands as computed)."""
    action = expectation.action
    mine = [t for t in trades if expectation.based_on.business_date < t.trade_date <= day]
    if not mine:
        return None
    before = _shares(_lot(row) for row in expectation.lots_before)
    old = action.old_security_id
    ahead = [t for t in mine if t.trade_date < action.effective_date and t.security_id == old]
    if ahead:
        held = before.get(old or 0, ZERO) + sum((t.shares for t in ahead), ZERO)
        lots = [_lot(row) for row in expectation.lots_before]
        position = [Lot(account="position", lot_id="position", security=str(old),
                        quantity=held, cost_basis=expectation.basis_before,
                        acquired_date=min(lot.acquired_date for lot in lots))] if held > 0 else []
        after = _shares(lot for outcome in apply_action(terms, position)
                        for lot in outcome.lots_after)
    else:
        after = _shares(_lot(row) for row in expectation.lots_after)
    return SharesWithTrades(after=_add(after, (t for t in mine if t not in ahead)),
                            before=_add(before, mine), trades=len(mine))


def _lot(row: dict[str, str]) -> Lot:
    return Lot(account="position", lot_id=row["lot_id"], security=str(row["security_id"]),
               quantity=Decimal(row["quantity"]), cost_basis=Decimal(row["cost_basis"]),
               acquired_date=date.fromisoformat(row["acquired_date"]))
