"""The tax engine's inputs from the database, and its answers for the API and the optimizer.

For a tax entity over a window: the lots each account held at the window's start (its newest
snapshot before the window), the transactions since, and the security master's substantially
identical groups. The engine (accounts.tax) replays them into realized lots, finds the wash
sales across all the entity's accounts, and overlays the adjustments on the custodian's current
lots without editing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


def _lots(lot_sets: Iterable[LotSet], numbers: Mapping[int, str]) -> list[Lot]:
    """The engine's lots of those snapshots (read as rows: no model instances to build)."""
    return [Lot(account=numbers[account_id], lot_id=lot_id, security=str(security_id),
                quantity=quantity, cost_basis=cost_basis, acquired_date=acquired,
                holding_period_start=holding_from, wash_sale_adjustment=adjustment)
            for account_id, lot_id, security_id, quantity, cost_basis, acquired, holding_from,
            adjustment in TaxLot.objects.filter(lot_set__in=list(lot_sets)).values_list(
                "account_id", "lot_id", "security_id", "quantity", "cost_basis",
                "acquired_date", "holding_period_start", "wash_sale_adjustment")]


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
    base_lots = _lots(base.values(), numbers)
    since = min([start, *(lot_set.business_date for lot_set in base.values())])
    rows = (Transaction.objects.filter(account_id__in=list(numbers), trade_date__gte=since,
                                       trade_date__lte=as_of).order_by("trade_date", "pk")
            .values_list("transaction_id", "account_id", "trade_date", "type", "security_id",
                         "quantity", "amount", "price", "lot_id", "cancels"))
    transactions = [EngineTransaction(
        transaction_id=transaction_id, account=numbers[account_id], trade_date=trade_date,
        type=TransactionType(kind), security=str(security_id) if security_id else None,
        quantity=quantity, amount=amount, price=price, lot_id=lot_id, cancels=cancels)
        for (transaction_id, account_id, trade_date, kind, security_id, quantity, amount, price,
             lot_id, cancels) in rows
        if account_id not in base or trade_date > base[account_id].business_date]
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
    current_lots = _lots(current.values(), numbers)
    adjusted = apply_overlay(lots=current_lots, overlays=analysis.overlays)
    return EntityTaxView(as_of=as_of, start=start, realization=realization, analysis=analysis,
                         windows=windows, adjusted_lots=adjusted, problems=problems)
