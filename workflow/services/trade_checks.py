"""The hard constraints a batch's trades must keep after an edit and again at release: no
restricted security traded, no short sale, no negative cash, lots that exist and hold the
shares, no order above the firm's limit. Each check returns the problems in words."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts.models import TaxLot
from accounts.selectors import current_cash, current_lot_sets
from accounts.settings_resolution import effective_settings_batch
from dataops.models import RestrictionEntry
from workflow.models import BatchTrade
from workflow.services.settings_rules import rules_by_account

BUY, SELL = "buy", "sell"


@dataclass(frozen=True)
class AccountBook:
    """An account's lots (lot id → (security id, shares)) and cash, as of the batch's date."""

    lots: dict[str, tuple[int, Decimal]]
    cash: Decimal

    def shares_of(self, security_id: int) -> Decimal:
        return sum((q for s, q in self.lots.values() if s == security_id), Decimal(0))


def account_books(account_ids: list[int], as_of: date) -> dict[int, AccountBook]:
    lot_sets = current_lot_sets(account_ids, as_of)
    cash = current_cash(account_ids, as_of)
    lots: dict[int, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
    for account_id, lot_id, security_id, quantity in TaxLot.objects.filter(
            lot_set__in=[s.pk for s in lot_sets.values()]).values_list(
            "account_id", "lot_id", "security_id", "quantity"):
        lots[account_id][lot_id] = (security_id, quantity)
    return {a: AccountBook(lots[a], cash[a].cash - cash[a].pending_withdrawal
                           if a in cash else Decimal(0)) for a in account_ids}


def restricted_securities(account_ids: list[int], as_of: date
                          ) -> dict[int, tuple[set[int], set[int]]]:
    """Account → (securities it may not buy, securities it may not sell), from its effective
    settings (rules included) and the restriction lists it follows (buys only)."""
    settings = effective_settings_batch(account_ids, rules=rules_by_account(account_ids,
                                                                            as_of=as_of))
    list_ids = {pk for s in settings.values() for pk in s["restriction_lists"]}
    listed: dict[int, set[int]] = defaultdict(set)
    for list_id, security_id in RestrictionEntry.objects.filter(
            restriction_list_id__in=list_ids).values_list("restriction_list_id", "security_id"):
        listed[list_id].add(security_id)
    result = {}
    for account_id, values in settings.items():
        no_trade = set(values["do_not_trade"])
        no_buy = no_trade | set(values["do_not_buy"]) | {
            s for list_id in values["restriction_lists"] for s in listed[list_id]}
        result[account_id] = (no_buy, no_trade | set(values["do_not_sell"]))
    return result


def _label(trade: BatchTrade) -> str:
    return f"{trade.side} {trade.shares.normalize():f} {trade.security}"


def trade_problems(trades: list[BatchTrade], *, as_of: date,
                   max_order_value: Decimal | None = None) -> list[str]:
    """What is wrong with these (live) trades, account by account; empty when all is well."""
    live = [t for t in trades if not t.dropped]
    account_ids = sorted({t.account_id for t in live})
    books = account_books(account_ids, as_of)
    restricted = restricted_securities(account_ids, as_of)
    problems: list[str] = []
    by_account: dict[int, list[BatchTrade]] = defaultdict(list)
    for trade in live:
        by_account[trade.account_id].append(trade)
    for account_id, account_trades in by_account.items():
        book, (no_buy, no_sell) = books[account_id], restricted[account_id]
        cash = book.cash
        sold: dict[int, Decimal] = defaultdict(Decimal)
        relieved: dict[str, Decimal] = defaultdict(Decimal)
        for trade in account_trades:
            where = f"account {trade.account}: {_label(trade)}"
            value = trade.shares * trade.price
            if trade.shares <= 0:
                problems.append(f"{where}: shares must be positive")
            if max_order_value is not None and value > max_order_value:
                problems.append(f"{where}: {value:.2f} is above the firm's order limit "
                                f"{max_order_value:.2f}")
            if trade.side == BUY:
                cash -= value
                if trade.security_id in no_buy:
                    problems.append(f"{where}: the security is restricted for this account")
                continue
            cash += value
            sold[trade.security_id] += trade.shares
            if trade.security_id in no_sell:
                problems.append(f"{where}: the security is restricted for this account")
            lot_total = Decimal(0)
            for lot in trade.lots:
                lot_id, shares = str(lot.get("lot_id", "")), Decimal(str(lot.get("shares", 0)))
                held = book.lots.get(lot_id)
                if held is None or held[0] != trade.security_id:
                    problems.append(f"{where}: lot {lot_id} is not a lot of this security")
                    continue
                relieved[lot_id] += shares
                lot_total += shares
                if relieved[lot_id] > held[1]:
                    problems.append(f"{where}: lot {lot_id} holds {held[1].normalize():f} "
                                    f"shares, not {relieved[lot_id].normalize():f}")
            if trade.lots and lot_total != trade.shares:
                problems.append(f"{where}: the lots add up to {lot_total.normalize():f} shares")
        for security_id, shares in sold.items():
            if shares > book.shares_of(security_id):
                problems.append(f"account {account_trades[0].account}: selling "
                                f"{shares.normalize():f} of security {security_id} would be "
                                f"short (holds {book.shares_of(security_id).normalize():f})")
        if cash < 0:
            problems.append(f"account {account_trades[0].account}: cash would be {cash:.2f}")
    return problems

