"""The oversight lists of the latest sorted nightly run (compliance review, management review):
the accounts a list holds that a person may see, and the rule that put each there."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Account
from workflow.models import AccountDisposition, NightlyRun, OversightList


def latest_sorted_run() -> NightlyRun | None:
    """The newest nightly run whose accounts have their dispositions and lists."""
    return (NightlyRun.objects.filter(Exists(AccountDisposition.objects.filter(run=OuterRef("pk"))))
            .order_by("-business_date", "-pk").first())


def oversight_accounts(*, run: NightlyRun | None, oversight_list: OversightList,
                       user: Any) -> QuerySet[AccountDisposition]:
    """The run's accounts on `oversight_list` that `user` may see."""
    if run is None:
        return AccountDisposition.objects.none()
    return (AccountDisposition.objects.filter(run=run, oversight_lists__contains=[oversight_list])
            .filter(account__in=Account.objects.for_user(user, "account.view"))
            .select_related("account"))


def oversight_rule(disposition: AccountDisposition, oversight_list: OversightList) -> str:
    """The rule that put the account on `oversight_list`, in words."""
    for entry in disposition.oversight_rules:
        if entry.get("list") == oversight_list:
            return str(entry.get("rule", ""))
    return ""
