"""The compliance list's sorts (the accounts on the latest sorted run's compliance review list:
workflow.oversight) and the accounts under a compliance hold."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Account, AccountHold

REVIEW_SORTS = {"account": "account__account_number", "name": "account__name",
                "disposition": "disposition"}
HOLD_SORTS = {"since": "created_at", "account": "account__account_number", "reason": "reason"}


def compliance_holds(*, user: Any) -> QuerySet[AccountHold]:
    """Open compliance holds on accounts `user` may see."""
    return (AccountHold.objects.filter(kind=AccountHold.Kind.COMPLIANCE, cleared_at__isnull=True)
            .filter(account__in=Account.objects.for_user(user, "account.view"))
            .select_related("account"))
