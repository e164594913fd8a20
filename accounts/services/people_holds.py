"""Holds people place: a suspension (overlay manager or compliance) or a compliance hold
(compliance), each with a reason; cleared only by someone who may place that kind."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AccountHold
from rebal.audit import audit_context
from rebal.permissions import can

ACTION_FOR_KIND = {AccountHold.Kind.SUSPENSION: "account.suspend",
                   AccountHold.Kind.COMPLIANCE: "account.compliance_hold"}


def _action(kind: str) -> str:
    if kind not in ACTION_FOR_KIND:
        raise ValidationError("People place suspensions and compliance holds; data-error holds "
                              "come from the data and clear when it is fixed.")
    return ACTION_FOR_KIND[AccountHold.Kind(kind)]


@transaction.atomic
def account_hold_place(*, account: Account, kind: str, reason: str,
                       acting_user: Any) -> AccountHold:
    if not can(acting_user, _action(kind)):
        raise PermissionDenied(f"Your roles may not place a {kind} hold.")
    if not reason.strip():
        raise ValidationError("A reason is required.")
    source = f"people:{kind}"
    if AccountHold.objects.filter(account=account, kind=kind, source=source,
                                  cleared_at__isnull=True).exists():
        raise ValidationError(f"Account {account.account_number} already has an open {kind} "
                              "hold.")
    with audit_context(user=acting_user, reason=reason):
        return AccountHold.objects.create(account=account, kind=kind, source=source,
                                          reason=reason)


@transaction.atomic
def account_hold_clear(*, hold: AccountHold, reason: str, acting_user: Any) -> AccountHold:
    if not hold.source.startswith("people:"):
        raise ValidationError(f"This hold was set by {hold.source} and clears when that source "
                              "reports the data fixed.")
    if not can(acting_user, _action(hold.kind)):
        raise PermissionDenied(f"Your roles may not clear a {hold.kind} hold.")
    if not reason.strip():
        raise ValidationError("A reason is required.")
    if hold.cleared_at is None:
        with audit_context(user=acting_user, reason=reason):
            hold.cleared_at = timezone.now()
            hold.cleared_reason = reason
            hold.save()
    return hold
