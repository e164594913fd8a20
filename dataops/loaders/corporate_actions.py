"""The corporate_actions feed: events upserted by action_id, with history. A later file that
changes an event updates it; if the event was already applied it is marked corrected, and the
next application step reverses it and applies the corrected terms (never applied twice)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dataops.feeds.batch import FeedBatch
from dataops.feeds.resolver import SecurityResolver
from dataops.models import CorporateAction
from rebal.audit import bulk_create_audited, bulk_update_audited
from rebal.firm_context import require_firm

FIELDS = ["type", "effective_date", "pay_date", "tax_treatment", "old_cusip", "old_ticker",
          "new_cusip", "new_ticker", "new_name", "ratio_from", "ratio_to", "cash_per_share",
          "basis_allocation_pct", "cash_in_lieu", "cash_in_lieu_price", "description"]
# A change to these after the event was applied is a correction; a new description is not.
TERMS = [name for name in FIELDS if name != "description"] + ["old_security_id"]
TEXT = {"tax_treatment", "old_cusip", "old_ticker", "new_cusip", "new_ticker", "new_name",
        "description"}


def _attributes(values: dict[str, Any]) -> dict[str, Any]:
    attributes = {}
    for name in FIELDS:
        value = values.get(name)
        if value is None:
            value = "" if name in TEXT else (False if name == "cash_in_lieu" else None)
        attributes[name] = value
    return attributes


def load_corporate_actions(batch: FeedBatch) -> None:
    firm = require_firm()
    rows = batch.good_rows()
    existing = {a.action_id: a for a in CorporateAction.objects.filter(
        action_id__in=[r.values["action_id"] for r in rows])}
    creates, updates = [], []
    resolvers: dict[date, SecurityResolver] = {}
    for row in rows:
        values = row.values
        # The old identifiers name the security as it was the day before the action, even in
        # a correction sent after a ticker or CUSIP change was applied.
        day = values["effective_date"] - timedelta(days=1)
        resolver = resolvers.setdefault(day, SecurityResolver(as_of=day,
                                                              feed_file=batch.feed_file))
        resolution = resolver.resolve(values.get("old_cusip") or "",
                                      values.get("old_ticker") or "")
        if resolution.error:
            batch.refuse(row.line_number, "old_cusip", resolution.error)
            continue
        attributes = _attributes(values) | {"old_security_id": resolution.security_id}
        action = existing.get(values["action_id"])
        if action is None:
            creates.append(CorporateAction(firm=firm, action_id=values["action_id"],
                                           feed_file=batch.feed_file, **attributes))
        elif action.status != CorporateAction.Status.CANCELLED and any(
                getattr(action, key) != value for key, value in attributes.items()):
            corrected = any(getattr(action, key) != attributes[key] for key in TERMS)
            for key, value in attributes.items():
                setattr(action, key, value)
            action.feed_file = batch.feed_file
            if corrected and action.status == CorporateAction.Status.APPLIED:
                action.status = CorporateAction.Status.CORRECTED
            updates.append(action)
    if creates:
        bulk_create_audited(CorporateAction, creates)
    if updates:
        bulk_update_audited(CorporateAction, updates,
                            [*FIELDS, "old_security_id", "feed_file", "status"])
    batch.rows_loaded = len(rows)
