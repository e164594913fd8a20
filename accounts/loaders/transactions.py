"""Transactions: appended, idempotent by transaction_id."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from accounts.loaders.common import (
    account_ids_by_number,
    clear_feed_holds,
    hold_accounts_with_bad_rows,
    hold_unknown_securities,
    refuse_unknown_accounts,
)
from accounts.models import Transaction
from accounts.selectors import current_lot_sets
from accounts.services.reconciliation import lot_sets_reconcile
from dataops.feeds.batch import FeedBatch
from rebal.firm_context import require_firm

DEFAULTS = {"lot_id": "", "cancels": ""}  # text columns are blank, never null
FIELDS = ["trade_date", "settle_date", "type", "quantity", "price", "amount", "lot_id",
          "realized_gain", "cancels"]


def load_transactions(batch: FeedBatch) -> None:
    known = account_ids_by_number()
    refuse_unknown_accounts(batch, known)
    firm = require_firm()
    seen = set(Transaction.objects.filter(
        transaction_id__in=[r.values["transaction_id"] for r in batch.good_rows()],
    ).values_list("transaction_id", flat=True))
    new: list[Transaction] = []
    unknown: dict[int, set[int]] = defaultdict(set)
    for row in batch.good_rows():
        values = row.values
        if values["transaction_id"] in seen:
            continue  # appended before: idempotent, not an error
        security_id = None
        if values.get("cusip") or values.get("ticker"):
            resolution = batch.resolver.resolve(values.get("cusip") or "",
                                                values.get("ticker") or "")
            if resolution.error:
                batch.refuse(row.line_number, "cusip", resolution.error)
                continue
            security_id = resolution.security_id
            if resolution.unknown and security_id is not None:
                unknown[known[values["account_number"]]].add(security_id)
        seen.add(values["transaction_id"])
        new.append(Transaction(
            firm=firm, account_id=known[values["account_number"]],
            transaction_id=values["transaction_id"], security_id=security_id,
            feed_file=batch.feed_file,
            **{name: values.get(name) if values.get(name) is not None else DEFAULTS.get(name)
               for name in FIELDS}))
    held = hold_accounts_with_bad_rows(batch, known)
    Transaction.objects.bulk_create(new, batch_size=5000)
    batch.rows_loaded = len(new)
    hold_unknown_securities(batch, {a: s for a, s in unknown.items() if a not in held})
    clear_feed_holds(batch, {t.account_id for t in new} - held)
    _reconcile_later_snapshots(new)


def _reconcile_later_snapshots(new: list[Transaction]) -> None:
    """Trades that arrive after the snapshot they explain: check that snapshot again (a break
    it caused clears once the trades account for it)."""
    if not new:
        return
    earliest = min(t.trade_date for t in new)
    accounts = {t.account_id for t in new}
    latest = current_lot_sets(list(accounts), date.max)
    lot_sets_reconcile([s for s in latest.values() if s.business_date >= earliest])
