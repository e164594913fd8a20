"""The management list: the accounts the latest sorted nightly run put on the management review
list, with the policy rule that did."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Account
from workflow.models import AccountDisposition, NightlyRun, OversightList

SORTS = {"account": "account__account_number", "name": "account__name",
         "advisor": "account__advisor_email", "disposition": "disposition"}
SEARCH = ("account__account_number", "account__name", "account__advisor_email")


def latest_sorted_run() -> NightlyRun | None:
    """The newest nightly run whose accounts have their dispositions and lists."""
    return (NightlyRun.objects.filter(Exists(AccountDisposition.objects.filter(run=OuterRef("pk"))))
            .order_by("-business_date", "-pk").first())


def management_review(*, run: NightlyRun | None, user: Any) -> QuerySet[AccountDisposition]:
    """The run's accounts on the management review list that `user` may see."""
    if run is None:
        return AccountDisposition.objects.none()
    return (AccountDisposition.objects.filter(
        run=run, oversight_lists__contains=[OversightList.MANAGEMENT_REVIEW])
        .filter(account__in=Account.objects.for_user(user, "account.view"))
        .select_related("account"))


def management_rule(disposition: AccountDisposition) -> str:
    """The rule that put the account on the management review list, in words."""
    for entry in disposition.oversight_rules:
        if entry.get("list") == OversightList.MANAGEMENT_REVIEW:
            return str(entry.get("rule", ""))
    return ""
