"""History over the API: who changed what, when and why, with the fields that changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from rebal.models import User


def history_entries(records: Iterable[Any], *, label: Callable[[Any], str] = str,
                    show: Callable[[str, Any], Any] | None = None) -> list[dict[str, Any]]:
    """Newest first: each history row with its actor, reason and field changes. `show`
    turns a stored value into what people read (codes instead of ids)."""
    rows = sorted(records, key=lambda r: (r.history_date, r.history_id), reverse=True)
    emails = dict(User.objects.filter(pk__in={r.history_user_id for r in rows
                                              if r.history_user_id}).values_list("pk", "email"))
    entries = []
    for record in rows:
        changes = []
        previous = record.prev_record
        if previous is not None and record.history_type == "~":
            for change in record.diff_against(previous).changes:
                old, new = change.old, change.new
                if show is not None:
                    old, new = show(change.field, old), show(change.field, new)
                # Exact decimals, as stored (a JSON float would round them).
                old, new = (str(v) if isinstance(v, Decimal) else v for v in (old, new))
                changes.append({"field": change.field, "old": old, "new": new})
        entries.append({
            "object": label(record), "date": record.history_date,
            "type": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
            "user": emails.get(record.history_user_id), "api_token_id":
            record.history_api_token_id, "system_job": record.history_system_job,
            "reason": record.history_change_reason or "", "changes": changes})
    return entries
