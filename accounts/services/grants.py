"""Granting an advisor a household or an account, and taking it back, with a reason.

The grant is a django-guardian object permission (what `Household.assigned_to` and
`Account.assigned_to` read); each change is logged as a GrantEvent in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Account, GrantEvent, Household
from rebal.audit import audit_context, bulk_create_audited, current_actor
from rebal.models import Membership, Role

HOUSEHOLD_PERMISSION = "accounts.view_household"
ACCOUNT_PERMISSION = "accounts.view_account"


def _target(household: Household | None, account: Account | None) -> tuple[str, Any]:
    if (household is None) == (account is None):
        raise ValueError("Name exactly one of household or account.")
    if household is not None:
        return HOUSEHOLD_PERMISSION, household
    return ACCOUNT_PERMISSION, account


def _holds(advisor: Any, permission: str, target: Any) -> bool:
    """Whether the advisor holds this very grant (not one that covers it, such as the
    household of a granted account)."""
    return UserObjectPermission.objects.filter(
        user=advisor, permission__codename=permission.split(".")[1],
        content_type=ContentType.objects.get_for_model(target), object_pk=str(target.pk),
    ).exists()


def _log(*, kind: str, advisor: Any, household: Household | None, account: Account | None,
         acting_user: Any, reason: str) -> GrantEvent:
    person = acting_user if getattr(acting_user, "pk", None) else None
    with audit_context(user=person, reason=reason):
        return GrantEvent.objects.create(
            kind=kind, advisor=advisor, household=household, account=account, reason=reason,
            acted_by=person, system_job=current_actor().system_job)


@transaction.atomic
def advisor_grant(*, advisor: Any, acting_user: Any, reason: str,
                  household: Household | None = None,
                  account: Account | None = None) -> GrantEvent:
    """Let an active advisor of the firm see a household (and its accounts) or one account."""
    permission, target = _target(household, account)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for this grant.")
    if not Membership.objects.filter(user=advisor, is_active=True,
                                     roles__contains=[Role.ADVISOR]).exists():
        raise ValidationError(f"{advisor.email} is not an active advisor of the firm; only "
                              "advisors are granted households and accounts (the other roles "
                              "see the whole firm's).")
    if _holds(advisor, permission, target):
        raise ValidationError(f"{advisor.email} already sees {target}.")
    assign_perm(permission, advisor, target)
    return _log(kind=GrantEvent.Kind.GRANTED, advisor=advisor, household=household,
                account=account, acting_user=acting_user, reason=reason)


@transaction.atomic
def advisor_revoke(*, advisor: Any, acting_user: Any, reason: str,
                   household: Household | None = None,
                   account: Account | None = None) -> GrantEvent:
    """Take back a household or account granted to an advisor."""
    permission, target = _target(household, account)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for taking this back.")
    if not _holds(advisor, permission, target):
        raise ValidationError(f"{advisor.email} was not granted {target}.")
    remove_perm(permission, advisor, target)
    return _log(kind=GrantEvent.Kind.REVOKED, advisor=advisor, household=household,
                account=account, acting_user=acting_user, reason=reason)


@transaction.atomic
def advisor_grant_households(*, grants: dict[Any, list[Household]], reason: str) -> int:
    """Grant each advisor the households listed for them, in bulk (the accounts file names an
    advisor for every account, every night); the advisors are active advisors of the firm and
    the households ones they do not hold yet, which the caller has checked. Each grant is logged
    with the reason, under the acting job. Returns the number of grants."""
    events = []
    for advisor, households in grants.items():
        UserObjectPermission.objects.bulk_assign_perm(HOUSEHOLD_PERMISSION.split(".")[1],
                                                      advisor, households)
        events += [GrantEvent(firm_id=household.firm_id, kind=GrantEvent.Kind.GRANTED,
                              advisor=advisor, household=household, reason=reason,
                              system_job=current_actor().system_job) for household in households]
    with audit_context(reason=reason):
        bulk_create_audited(GrantEvent, events)
    return len(events)
