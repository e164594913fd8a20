"""Reads of the accounts room: current holdings from the custodian's snapshots, holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts.models import AccountHold, CashBalance, LotSet, TaxLot


def current_lot_sets(account_ids: list[int], as_of: date) -> dict[int, LotSet]:
    """Each account's newest lot set on or before `as_of` (a correction file beats the file it
    corrects), in one query."""
    lot_sets = (LotSet.objects.filter(account_id__in=account_ids, business_date__lte=as_of)
                .order_by("account_id", "-business_date", "-feed_file__seq", "-pk")
                .distinct("account_id").select_related("feed_file"))
    return {lot_set.account_id: lot_set for lot_set in lot_sets}


def current_cash(account_ids: list[int], as_of: date) -> dict[int, CashBalance]:
    balances = (CashBalance.objects.filter(account_id__in=account_ids, business_date__lte=as_of)
                .order_by("account_id", "-business_date", "-feed_file__seq", "-pk")
                .distinct("account_id"))
    return {balance.account_id: balance for balance in balances}


@dataclass(frozen=True)
class Holdings:
    """An account's snapshot: its lots and cash as the custodian last reported them."""

    business_date: date | None
    lots: list[TaxLot]
    cash: Decimal
    pending_withdrawal: Decimal
    cash_date: date | None

    @property
    def is_complete(self) -> bool:
        return self.business_date is not None and self.cash_date == self.business_date


def holdings(account_id: int, as_of: date) -> Holdings:
    lot_set = current_lot_sets([account_id], as_of).get(account_id)
    balance = current_cash([account_id], as_of).get(account_id)
    lots = list(TaxLot.objects.filter(lot_set=lot_set).select_related("security")
                .order_by("security__ticker", "acquired_date", "lot_id")) if lot_set else []
    return Holdings(
        business_date=lot_set.business_date if lot_set else None, lots=lots,
        cash=balance.cash if balance else Decimal(0),
        pending_withdrawal=balance.pending_withdrawal if balance else Decimal(0),
        cash_date=balance.business_date if balance else None)


def open_holds(account_id: int) -> list[AccountHold]:
    return list(AccountHold.objects.filter(account_id=account_id, cleared_at__isnull=True))
