"""Restriction lists: a file replaces each list it names, whole."""

from __future__ import annotations

from collections import defaultdict

from dataops.feeds.batch import FeedBatch
from dataops.models import RestrictionEntry, RestrictionList
from rebal.audit import bulk_create_audited
from rebal.firm_context import require_firm


def load_restrictions(batch: FeedBatch) -> None:
    firm = require_firm()
    entries: dict[str, dict[int, str]] = defaultdict(dict)
    names: dict[str, str] = {}
    for row in batch.good_rows():
        values = row.values
        resolution = batch.resolver.resolve(values.get("cusip") or "", values.get("ticker") or "")
        if resolution.error or resolution.security_id is None:
            batch.refuse(row.line_number, "cusip", resolution.error or "unresolvable security")
            continue
        entries[values["list_code"]][resolution.security_id] = values.get("reason") or ""
        if values.get("list_name"):
            names[values["list_code"]] = values["list_name"]
    for code, securities in entries.items():
        restriction_list, created = RestrictionList.objects.get_or_create(
            code=code, defaults={"name": names.get(code, code)})
        if not created and code in names and restriction_list.name != names[code]:
            restriction_list.name = names[code]
            restriction_list.save()
        for entry in RestrictionEntry.objects.filter(restriction_list=restriction_list):
            entry.delete()  # one history row per removal
        bulk_create_audited(RestrictionEntry, [
            RestrictionEntry(firm=firm, restriction_list=restriction_list, security_id=sid,
                             reason=reason) for sid, reason in securities.items()])
    batch.rows_loaded = sum(len(s) for s in entries.values())
