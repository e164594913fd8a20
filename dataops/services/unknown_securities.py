"""The unknown-securities queue: the data manager adds a security or maps it to a known one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dataops.feeds.registry import unknown_security_resolution_hooks
from dataops.models import AssetClass, Security, SecurityIdentifier, UnknownSecurity
from rebal.audit import audit_context


def _finish(entry: UnknownSecurity, resolved_to: Security, acting_user: Any,
            reason: str) -> UnknownSecurity:
    entry.status = UnknownSecurity.Status.RESOLVED
    entry.resolved_to = resolved_to
    entry.resolved_at = timezone.now()
    entry.resolved_by = acting_user
    entry.save()
    for hook in unknown_security_resolution_hooks():
        hook(placeholder_ids=[entry.placeholder_id], reason=reason,
             resolved_to_id=resolved_to.pk)
    return entry


@transaction.atomic
def unknown_security_add(*, entry: UnknownSecurity, name: str, security_type: str,
                         asset_class: AssetClass, sector: str, acting_user: Any,
                         reason: str = "") -> UnknownSecurity:
    """Make the placeholder a real security of the master (the rows that name it keep it)."""
    if entry.status != UnknownSecurity.Status.OPEN:
        raise ValidationError("This security has already been resolved.")
    if security_type not in Security.Type.values:
        raise ValidationError(f"Unknown security type {security_type!r}.")
    with audit_context(user=acting_user, reason=reason or "unknown security added"):
        security = entry.placeholder
        security.name, security.security_type = name, security_type
        security.asset_class, security.sector = asset_class, sector
        security.status = Security.Status.ACTIVE
        security.save()
        return _finish(entry, security, acting_user, f"added as {security}")


@transaction.atomic
def unknown_security_map(*, entry: UnknownSecurity, target: Security, acting_user: Any,
                         reason: str = "") -> UnknownSecurity:
    """The identifier belongs to a security the master knows: future files resolve it there;
    rows already loaded keep the placeholder, which now points at the target."""
    if entry.status != UnknownSecurity.Status.OPEN:
        raise ValidationError("This security has already been resolved.")
    if target.status == Security.Status.PLACEHOLDER:
        raise ValidationError("Map to a security of the master, not to another unknown one.")
    with audit_context(user=acting_user, reason=reason or f"mapped to {target}"):
        for identifier in SecurityIdentifier.objects.filter(security=entry.placeholder,
                                                            valid_to__isnull=True):
            identifier.security = target
            identifier.save()
        return _finish(entry, target, acting_user, f"mapped to {target}")
