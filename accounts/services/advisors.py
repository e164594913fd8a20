"""Writes of households and accounts. Atomic and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Household
from rebal.audit import audit_context


@transaction.atomic
def household_assign_advisor(*, household: Household, advisor: Any, acting_user: Any,
                             reason: str = "") -> None:
    """Grant `advisor` the household and, through it, its accounts."""
    with audit_context(user=acting_user, reason=reason):
        assign_perm("accounts.view_household", advisor, household)


@transaction.atomic
def household_unassign_advisor(*, household: Household, advisor: Any, acting_user: Any,
                               reason: str = "") -> None:
    with audit_context(user=acting_user, reason=reason):
        remove_perm("accounts.view_household", advisor, household)
