"""A firm's nightly runs with accounts on the management review list, for management's
dashboard (tests/workflow/test_management_dashboard.py) and the isolation harness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import Account
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from workflow.models import AccountDisposition, NightlyRun, OversightList, RunAccount

LIST = OversightList.MANAGEMENT_REVIEW


def _on_list(run: Any, account: Any, disposition: str, rule: str) -> AccountDisposition:
    return AccountDisposition.objects.create(
        run=run, account=account, disposition=disposition, rule=f"disposition of {rule}",
        oversight_lists=[LIST], oversight_rules=[{"list": LIST, "policy": None, "version": 1,
                                                  "rule": rule}])


def management_book(personas: Any, *, accounts: int) -> dict[str, Any]:
    """Yesterday's run: the firm's first account on the management review list (rule "Large
    drift"); today's run: `accounts` new accounts MG-000… on it ("Large household", every
    third in review, the others auto-traded), all analyzed, plus one account not on it."""
    firm = personas.firm
    today = timezone.now().astimezone(ZoneInfo(firm.timezone)).date()
    with firm_context(firm), audit_context(system_job="tests"):
        older = NightlyRun.objects.create(business_date=today - timedelta(days=1),
                                          trigger="tests")
        _on_list(older, personas.account, "auto_trade", "Large drift")
        run = NightlyRun.objects.create(business_date=today, trigger="tests")
        listed = []
        for n in range(accounts):
            account = Account.objects.create(account_number=f"MG-{n:03d}",
                                             name=f"Management {n:03d}",
                                             household=personas.household,
                                             advisor_email=f"adv{n % 2}@{firm.code.lower()}.test")
            RunAccount.objects.create(run=run, account=account, status="analyzed")
            _on_list(run, account, "review" if n % 3 == 0 else "auto_trade", "Large household")
            listed.append(account)
        AccountDisposition.objects.create(run=run, account=personas.other_account,
                                          disposition="auto_trade", rule="tests")
    return {"run": run, "older": older, "accounts": listed}


def management_isolation_marker(personas: Any) -> str:
    """Firm A's account on the management review list of its newest run (made on first use):
    its account number, which firm B's management page must not show."""
    from datetime import date

    with firm_context(personas.firm), audit_context(system_job="tests"):
        run, created = NightlyRun.objects.get_or_create(business_date=date(2099, 1, 4),
                                                        defaults={"trigger": "tests"})
        if created:
            _on_list(run, personas.account, "review", "Isolation check")
    return str(personas.account.account_number)
