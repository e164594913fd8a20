"""tax_lots and cash: together, the custodian's snapshot of every account either file names.

An account with a bad row keeps its previous snapshot whole and is held; an account named in
the date's cash file but not in its lot file holds no securities (an empty lot set).
"""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from psycopg2 import sql

from accounts.loaders.common import (
    account_ids_by_number,
    clear_feed_holds,
    hold_accounts_with_bad_rows,
    hold_unknown_securities,
    refuse_unknown_accounts,
)
from accounts.models import CashBalance, LotSet, ReconciliationBreak
from accounts.services.reconciliation import breaks_record, lot_sets_reconcile
from dataops.feeds.batch import FeedBatch
from dataops.models import FeedFile
from rebal.firm_context import require_firm

LOADED = [FeedFile.Status.LOADED, FeedFile.Status.LOADED_WITH_ERRORS]


def _current_file(feed: str, batch: FeedBatch) -> FeedFile | None:
    """The newest loaded file of `feed` for the batch's business date (a correction wins)."""
    return (FeedFile.objects.filter(feed=feed, business_date=batch.business_date, status__in=LOADED)
            .exclude(pk=batch.feed_file.pk).order_by("-seq", "-pk").first())


LOT_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, (
    "firm_id", "lot_set_id", "account_id", "security_id", "lot_id", "quantity", "cost_basis",
    "acquired_date", "holding_period_start", "wash_sale_adjustment")))


def _copy_lots(buffer: io.StringIO) -> None:
    """COPY into a temporary table, then one INSERT … SELECT: PostgreSQL refuses COPY into a
    table under row-level security, and the INSERT is still checked by its policy."""
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS taxlot_stage")
        cursor.execute(
            "CREATE TEMP TABLE taxlot_stage (firm_id bigint, lot_set_id bigint, "
            "account_id bigint, security_id bigint, lot_id varchar(50), quantity numeric, "
            "cost_basis numeric, acquired_date date, holding_period_start date, "
            "wash_sale_adjustment numeric) ON COMMIT DROP")
        cursor.cursor.copy_expert(
            sql.SQL("COPY taxlot_stage ({}) FROM STDIN WITH (FORMAT csv)").format(LOT_COLUMNS),
            buffer)
        cursor.execute(sql.SQL("INSERT INTO accounts_taxlot ({columns}) "
                               "SELECT {columns} FROM taxlot_stage").format(columns=LOT_COLUMNS))
        cursor.execute("DROP TABLE taxlot_stage")


def _csv(text: str) -> str:
    """A text field for COPY's CSV format (lot ids may contain commas or quotes)."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


def _empty_lot_sets(lots_file: FeedFile, account_ids: set[int]) -> None:
    assert lots_file.business_date is not None  # a loaded file always has its date
    existing = set(LotSet.objects.filter(feed_file=lots_file, account_id__in=account_ids)
                   .values_list("account_id", flat=True))
    firm = require_firm()
    LotSet.objects.bulk_create([
        LotSet(firm=firm, account_id=account_id, business_date=lots_file.business_date,
               feed_file=lots_file, lot_count=0)
        for account_id in sorted(account_ids - existing)], batch_size=5000)


def load_tax_lots(batch: FeedBatch) -> None:
    known = account_ids_by_number()
    refuse_unknown_accounts(batch, known)
    resolved: list[tuple[object, int, int]] = []
    unknown: dict[int, set[int]] = defaultdict(set)
    for row in batch.good_rows():
        values = row.values
        resolution = batch.resolver.resolve(values.get("cusip") or "", values.get("ticker") or "")
        if resolution.error:
            batch.refuse(row.line_number, "cusip", resolution.error)
            continue
        account_id = known[values["account_number"]]
        assert resolution.security_id is not None
        if resolution.unknown:
            unknown[account_id].add(resolution.security_id)
        resolved.append((row, account_id, resolution.security_id))
    held = hold_accounts_with_bad_rows(batch, known)
    by_account: dict[int, list[tuple[object, int]]] = defaultdict(list)
    for row, account_id, security_id in resolved:
        if account_id not in held:
            by_account[account_id].append((row, security_id))
    firm = require_firm()
    lot_sets = LotSet.objects.bulk_create([
        LotSet(firm=firm, account_id=account_id, business_date=batch.business_date,
               feed_file=batch.feed_file, lot_count=len(lots))
        for account_id, lots in by_account.items()], batch_size=5000)
    set_ids = {lot_set.account_id: lot_set.pk for lot_set in lot_sets}
    buffer = io.StringIO()
    loaded = 0
    for account_id, lots in by_account.items():
        prefix = f"{firm.pk},{set_ids[account_id]},{account_id},"
        for row, security_id in lots:
            values = row.values  # type: ignore[attr-defined]
            start = values.get("holding_period_start")
            buffer.write(
                f"{prefix}{security_id},{_csv(values['lot_id'])},{values['quantity']},"
                f"{values['cost_basis']},{values['acquired_date']},{start or ''},"
                f"{values.get('wash_sale_adjustment') or 0}\n")
            loaded += 1
    _copy_lots(buffer)
    batch.rows_loaded = loaded
    # Accounts the date's cash file names but this lot file does not: they hold nothing.
    cash_file = _current_file("cash", batch)
    if cash_file is not None:
        in_cash = set(CashBalance.objects.filter(feed_file=cash_file)
                      .values_list("account_id", flat=True))
        named = set(by_account) | held
        _empty_lot_sets(batch.feed_file, in_cash - named)
    hold_unknown_securities(batch, {a: s for a, s in unknown.items() if a not in held})
    clear_feed_holds(batch, set(by_account))
    _flag_closed_accounts_with_lots(batch, set(by_account))
    lot_sets_reconcile(lot_sets)


def _flag_closed_accounts_with_lots(batch: FeedBatch, account_ids: set[int]) -> None:
    from accounts.models import Account

    closed = Account.objects.filter(pk__in=account_ids, status=Account.Status.CLOSED)
    firm = require_firm()
    breaks_record(kind=ReconciliationBreak.Kind.LOTS_IN_CLOSED_ACCOUNT, breaks=[
        ReconciliationBreak(firm=firm, account=account, business_date=batch.business_date,
                            kind=ReconciliationBreak.Kind.LOTS_IN_CLOSED_ACCOUNT,
                            reason=f"{batch.feed_file.name} lists lots for closed account "
                                   f"{account.account_number}")
        for account in closed], checked_account_ids=account_ids)


def load_cash(batch: FeedBatch) -> None:
    known = account_ids_by_number()
    refuse_unknown_accounts(batch, known)
    held = hold_accounts_with_bad_rows(batch, known)
    firm = require_firm()
    balances, breaks = [], []
    for row in batch.good_rows():
        values = row.values
        account_id = known[values["account_number"]]
        if account_id in held:
            continue
        cash = values["cash"]
        balances.append(CashBalance(
            firm=firm, account_id=account_id, business_date=batch.business_date,
            feed_file=batch.feed_file, cash=cash,
            pending_withdrawal=values.get("pending_withdrawal") or Decimal(0)))
        if cash < 0:
            breaks.append(ReconciliationBreak(
                firm=firm, account_id=account_id, business_date=batch.business_date,
                kind=ReconciliationBreak.Kind.NEGATIVE_CASH,
                reason=f"cash {cash} in {batch.feed_file.name}"))
    CashBalance.objects.bulk_create(balances, batch_size=5000)
    breaks_record(kind=ReconciliationBreak.Kind.NEGATIVE_CASH, breaks=breaks,
                  checked_account_ids={b.account_id for b in balances})
    batch.rows_loaded = len(balances)
    lots_file = _current_file("tax_lots", batch)
    if lots_file is not None:
        with_lots = set(LotSet.objects.filter(feed_file=lots_file)
                        .values_list("account_id", flat=True))
        _empty_lot_sets(lots_file, {b.account_id for b in balances} - with_lots)
    clear_feed_holds(batch, {b.account_id for b in balances})
