"""The securities feed: upsert into the security master, keeping identifier history.

A row whose CUSIP is known but whose ticker differs is a ticker change (and the reverse a CUSIP
change): one security, the old identifier closed the day before the file's date so that files
dated earlier still resolve it. A placeholder created for an unknown security becomes the real
security when the master learns it, and its queue entry is resolved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from dataops.feeds.batch import FeedBatch
from dataops.feeds.registry import unknown_security_resolution_hooks
from dataops.models import IdenticalGroup, Security, SecurityIdentifier, UnknownSecurity
from dataops.services.asset_classes import asset_classes_ensure
from rebal.audit import bulk_create_audited, bulk_update_audited
from rebal.firm_context import require_firm

MASTER_FIELDS = ["name", "security_type", "asset_class_id", "sector", "currency", "isin",
                 "identical_group_id", "status", "cusip", "ticker"]


def _by_code(model: Any, codes: set[str], **extra: Any) -> dict[str, int]:
    codes.discard("")
    existing = dict(model.objects.filter(code__in=codes).values_list("code", "id"))
    firm = require_firm()
    missing = [model(firm=firm, code=code, **{k: v(code) for k, v in extra.items()})
               for code in sorted(codes - set(existing))]
    if missing:
        bulk_create_audited(model, missing)
        existing.update(model.objects.filter(code__in=codes).values_list("code", "id"))
    return existing


def _change_identifier(security: Security, kind: str, value: str, on: date) -> list[Any]:
    """Close the security's current identifier of `kind` and open `value` from `on`."""
    firm = require_firm()
    current = SecurityIdentifier.objects.filter(security=security, kind=kind,
                                                valid_to__isnull=True)
    closed = []
    for identifier in current:
        if identifier.value != value:
            identifier.valid_to = on
            identifier.save()
            closed.append(identifier)
    if not SecurityIdentifier.objects.filter(security=security, kind=kind, value=value,
                                             valid_to__isnull=True).exists():
        SecurityIdentifier.objects.create(firm=firm, security=security, kind=kind, value=value,
                                          valid_from=on if closed else None)
    return closed


def load_securities(batch: FeedBatch) -> None:
    rows = batch.good_rows()
    classes = asset_classes_ensure({r.values.get("asset_class") or "" for r in rows} - {""})
    groups = _by_code(IdenticalGroup, {r.values.get("identical_group") or "" for r in rows})
    resolver = batch.resolver
    firm = require_firm()
    creates: list[tuple[Security, Any]] = []
    updates: list[Security] = []
    resolved_placeholders: list[int] = []
    securities = Security.objects.in_bulk(
        list(set(resolver.by_cusip.values()) | set(resolver.by_ticker.values())))
    for row in rows:
        values = row.values
        cusip, ticker = values.get("cusip") or "", values.get("ticker") or ""
        security_id = resolver.by_cusip.get(cusip) if cusip else None
        if security_id is None and ticker:
            # A known ticker with a new CUSIP is a CUSIP change of the same security.
            security_id = resolver.by_ticker.get(ticker)
        attributes = {
            "name": values["name"], "security_type": values["security_type"],
            "asset_class_id": classes.get(values.get("asset_class") or ""),
            "sector": values.get("sector") or "", "currency": values.get("currency") or "USD",
            "isin": values.get("isin") or "",
            "identical_group_id": groups.get(values.get("identical_group") or ""),
            "status": Security.Status.ACTIVE,
        }
        if security_id is None:
            creates.append((Security(firm=firm, cusip=cusip, ticker=ticker, **attributes), row))
            continue
        security = securities[security_id]
        if security.status == Security.Status.PLACEHOLDER:
            resolved_placeholders.append(security.pk)
        for kind, value in (("cusip", cusip), ("ticker", ticker)):
            if value and getattr(security, kind) != value:
                _change_identifier(security, kind, value, batch.business_date)
                attributes[kind] = value
        if any(getattr(security, key) != value for key, value in attributes.items()):
            for key, value in attributes.items():
                setattr(security, key, value)
            updates.append(security)
    if creates:
        created = bulk_create_audited(Security, [s for s, _ in creates], batch_size=2000)
        bulk_create_audited(SecurityIdentifier, [
            SecurityIdentifier(firm=firm, security=security, kind=kind, value=value)
            for security in created
            for kind, value in (("cusip", security.cusip), ("ticker", security.ticker),
                                ("isin", security.isin)) if value], batch_size=2000)
    if updates:
        bulk_update_audited(Security, updates, MASTER_FIELDS, batch_size=2000)
    batch.rows_loaded = len(rows)
    if resolved_placeholders:
        _resolve_queue(resolved_placeholders, f"added by {batch.feed_file.name}")


def _resolve_queue(placeholder_ids: list[int], reason: str) -> None:
    entries = list(UnknownSecurity.objects.filter(placeholder_id__in=placeholder_ids,
                                                  status=UnknownSecurity.Status.OPEN))
    now = timezone.now()
    for entry in entries:
        entry.status = UnknownSecurity.Status.RESOLVED
        entry.resolved_to_id = entry.placeholder_id
        entry.resolved_at = now
    if entries:
        bulk_update_audited(UnknownSecurity, entries, ["status", "resolved_to", "resolved_at"])
        for hook in unknown_security_resolution_hooks():
            hook(placeholder_ids=[e.placeholder_id for e in entries], reason=reason)
