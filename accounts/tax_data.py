"""The tax engine's inputs from the database, and its answers for the API and the optimizer.

For a tax entity over a window: the lots each account held at the window's start (its newest
snapshot before the window), the transactions since, and the security master's substantially
identical groups. The engine (accounts.tax) replays them into realized lots, finds the wash
sales across all the entity's accounts, and overlays the adjustments on the custodian's current
lots without editing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from accounts.models import Account, LotSet, TaxLot, Transaction
from accounts.selectors import current_lot_sets
from accounts.tax.realized import Lot, LotMismatchError, Realization, TransactionType, realize
from accounts.tax.realized import Transaction as EngineTransaction
from accounts.tax.wash_sales import (
    AccountTaxProfile,
    AdjustedLot,
    TaxStatus,
    WashSaleAnalysis,
    WashSaleWindow,
    apply_overlay,
    find_wash_sales,
    wash_sale_windows,
)
from dataops.models import Security

WINDOW_DAYS = 60  # covers a 30-day look-back for every sale of the last 30 days


@dataclass(frozen=True)
class EntityTaxView:
    """What the engine says about one tax entity on `as_of`."""

    as_of: date
    start: date
    realization: Realization
    analysis: WashSaleAnalysis
    windows: dict[str, WashSaleWindow]
    adjusted_lots: tuple[AdjustedLot, ...]
    problems: dict[str, str]  # account number -> why its history could not be replayed


def _lot(lot: TaxLot, number: str) -> Lot:
    return Lot(account=number, lot_id=lot.lot_id, security=str(lot.security_id),
               quantity=lot.quantity, cost_basis=lot.cost_basis,
               acquired_date=lot.acquired_date, holding_period_start=lot.holding_period_start,
               wash_sale_adjustment=lot.wash_sale_adjustment)


def _base_lot_sets(account_ids: list[int], start: date, as_of: date) -> dict[int, LotSet]:
    """Per account, the snapshot the replay starts from: the newest before the window, or
    else the oldest the account has (its history starts there)."""
    before = {lot_set.account_id: lot_set for lot_set in (
        LotSet.objects.filter(account_id__in=account_ids, business_date__lt=start)
        .order_by("account_id", "-business_date", "-feed_file__seq", "-pk")
        .distinct("account_id"))}
    oldest = {lot_set.account_id: lot_set for lot_set in (
        LotSet.objects.filter(account_id__in=set(account_ids) - set(before),
                              business_date__lte=as_of)
        .order_by("account_id", "business_date", "-feed_file__seq", "-pk")
        .distinct("account_id"))}
    return before | oldest


def entity_tax_view(*, tax_entity_id: int, as_of: date,
                    window_days: int = WINDOW_DAYS) -> EntityTaxView:
    accounts = list(Account.objects.filter(tax_entity_id=tax_entity_id))
    numbers = {a.pk: a.account_number for a in accounts}
    profiles = {a.account_number: AccountTaxProfile(account=a.account_number,
                                                    tax_entity=str(tax_entity_id),
                                                    tax_status=TaxStatus(a.tax_status))
                for a in accounts}
    start = as_of - timedelta(days=window_days)
    base = _base_lot_sets(list(numbers), start, as_of)
    base_lots = [
        _lot(lot, numbers[lot.account_id])
        for lot in TaxLot.objects.filter(lot_set__in=list(base.values()))]
    since = min([start, *(lot_set.business_date for lot_set in base.values())])
    rows = Transaction.objects.filter(account_id__in=list(numbers), trade_date__gte=since,
                                      trade_date__lte=as_of).order_by("trade_date", "pk")
    transactions = [EngineTransaction(
        transaction_id=t.transaction_id, account=numbers[t.account_id],
        trade_date=t.trade_date, type=TransactionType(t.type),
        security=str(t.security_id) if t.security_id else None, quantity=t.quantity,
        amount=t.amount, price=t.price, lot_id=t.lot_id, cancels=t.cancels)
        for t in rows
        if t.account_id not in base or t.trade_date > base[t.account_id].business_date]
    problems: dict[str, str] = {}
    try:
        realization = realize(lots=base_lots, transactions=transactions)
    except LotMismatchError as error:
        problems["*"] = str(error)
        realization = Realization(realized=(), open_lots=())
    groups = {str(pk): group for pk, group in Security.objects.filter(
        identical_group__isnull=False).values_list("pk", "identical_group__code")}
    analysis = find_wash_sales(accounts=profiles, transactions=transactions,
                               realized=realization.realized, identical_groups=groups)
    windows = wash_sale_windows(tax_entity=str(tax_entity_id), accounts=profiles,
                                transactions=transactions, realized=realization.realized,
                                identical_groups=groups, as_of=as_of)
    current = current_lot_sets(list(numbers), as_of)
    current_lots = [_lot(lot, numbers[lot.account_id])
                    for lot in TaxLot.objects.filter(lot_set__in=list(current.values()))]
    adjusted = apply_overlay(lots=current_lots, overlays=analysis.overlays)
    return EntityTaxView(as_of=as_of, start=start, realization=realization, analysis=analysis,
                         windows=windows, adjusted_lots=adjusted, problems=problems)
