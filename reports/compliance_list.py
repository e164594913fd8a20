"""The compliance list: the accounts the latest sorted nightly run put on the compliance review
list (with the policy that did), and the accounts under a compliance hold."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Account, AccountHold
from workflow.models import AccountDisposition, NightlyRun, OversightList

REVIEW_SORTS = {"account": "account__account_number", "name": "account__name",
                "disposition": "disposition"}
HOLD_SORTS = {"since": "created_at", "account": "account__account_number", "reason": "reason"}


def latest_sorted_run() -> NightlyRun | None:
    """The newest nightly run whose accounts have their dispositions and lists."""
    sorted_runs = NightlyRun.objects.filter(
        Exists(AccountDisposition.objects.filter(run=OuterRef("pk"))))
    return sorted_runs.order_by("-business_date").first()


def compliance_review(*, run: NightlyRun | None, user: Any) -> QuerySet[AccountDisposition]:
    """The run's accounts on the compliance review list that `user` may see."""
    if run is None:
        return AccountDisposition.objects.none()
    return (AccountDisposition.objects.filter(
        run=run, oversight_lists__contains=[OversightList.COMPLIANCE_REVIEW])
        .filter(account__in=Account.objects.for_user(user, "account.view"))
        .select_related("account"))


def compliance_rule(disposition: AccountDisposition) -> str:
    """The rule that put the account on the compliance review list, in words."""
    for entry in disposition.oversight_rules:
        if entry.get("list") == OversightList.COMPLIANCE_REVIEW:
            return str(entry.get("rule", ""))
    return ""


def compliance_holds(*, user: Any) -> QuerySet[AccountHold]:
    """Open compliance holds on accounts `user` may see."""
    return (AccountHold.objects.filter(kind=AccountHold.Kind.COMPLIANCE, cleared_at__isnull=True)
            .filter(account__in=Account.objects.for_user(user, "account.view"))
            .select_related("account"))
