"""Sorting a run: one disposition per account, by the default policies, with the rule."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Account
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.workflow.filter_book import AS_OF, analysis, filter_book
from workflow.models import AccountDisposition, DispositionPolicy, NightlyRun, RunAccount
from workflow.services.dispositions import (
    NO_POLICY,
    disposition_policy_save,
    dispositions_assign,
)

pytestmark = pytest.mark.django_db


def _run(firm, outcomes):
    with firm_context(firm), audit_context(system_job="tests"):
        run = NightlyRun.objects.create(business_date=AS_OF, trigger="tests")
        for account, status in outcomes:
            RunAccount.objects.create(run=run, account=account, status=status,
                                      reason="no lots" if status == "skipped" else "")
    return run


def test_the_book_sorted_by_the_default_policies(alice_firm):
    book = filter_book(alice_firm)
    run = _run(book.firm, [(a, "skipped" if n == "F-5" else "analyzed")
                           for n, a in book.accounts.items()])
    with firm_context(book.firm):
        counts = dispositions_assign(run_id=run.pk, as_of=AS_OF)
        again = dispositions_assign(run_id=run.pk, as_of=AS_OF)  # idempotent
        rows = {d.account.account_number: d for d in
                AccountDisposition.objects.filter(run=run).select_related("account", "policy")}
    assert counts == again == {"suspend": 3, "review": 1, "auto_trade": 2,
                               "compliance_review": 1, "management_review": 0}
    assert {n: (d.disposition, d.policy.name if d.policy else d.rule)
            for n, d in rows.items()} == {
        "F-1": ("auto_trade", "Small account, routine rebalance"),
        "F-2": ("review", "Small account, large impact"),
        "F-3": ("suspend", "Data errors"),
        "F-4": ("suspend", "Pending close or closed"),
        "F-5": ("suspend", "not analyzed (skipped): no lots"),
        "F-6": ("auto_trade", "Small account, routine rebalance"),
    }
    assert rows["F-3"].oversight_lists == ["compliance_review"]
    assert rows["F-1"].policy_version == 1
    assert rows["F-1"].rule == f"policy {rows['F-1'].policy.pk} v1: Small account, " \
        "routine rebalance"


def test_a_changed_policy_is_a_new_version_with_its_reason(alice_firm):
    book = filter_book(alice_firm)
    run = _run(book.firm, [(a, "analyzed") for a in book.accounts.values()])
    with firm_context(book.firm):
        dispositions_assign(run_id=run.pk, as_of=AS_OF)
        policy = DispositionPolicy.objects.get(name="Small account, large impact")
        with pytest.raises(PermissionDenied):
            disposition_policy_save(policy=policy, name=policy.name, target="review",
                                    priority=1, query=policy.query, reason="x",
                                    acting_user=alice_firm.overlay_manager)
        with pytest.raises(ValidationError, match="unknown field 'turnip'"):
            disposition_policy_save(policy=policy, name=policy.name, target="review",
                                    priority=1, query={"field": "turnip", "op": "gt",
                                                       "value": 1},
                                    reason="typo", acting_user=alice_firm.admin)
        policy.refresh_from_db()
        disposition_policy_save(
            policy=policy, name=policy.name, target="review", priority=policy.priority,
            query={"field": "turnover", "op": "gt", "value": 7}, reason="tighter turnover",
            acting_user=alice_firm.admin)
        dispositions_assign(run_id=run.pk, as_of=AS_OF)
        f6 = AccountDisposition.objects.get(run=run, account=book.accounts["F-6"])
        latest = policy.history.first()
    assert (f6.disposition, f6.policy_id, f6.policy_version) == ("review", policy.pk, 2)
    assert (latest.version, latest.history_change_reason) == (2, "tighter turnover")
    assert latest.history_user_id == alice_firm.admin.pk


def test_one_disposition_per_account_over_a_generated_firm(alice_firm):
    """Random accounts; each gets exactly one disposition, the one the first matching policy
    in suspend > review > auto-trade order names (worked out here in Python)."""
    rng = random.Random(8)
    firm = alice_firm.firm
    expected = {}
    with firm_context(firm), audit_context(system_job="tests"):
        accounts = []
        for i in range(120):
            status = rng.choice(["open"] * 8 + ["pending_close"])
            discretionary = rng.random() > 0.15
            account = Account.objects.create(
                account_number=f"G-{i:03}", name=f"Generated {i}", status=status,
                household=alice_firm.household, discretionary=discretionary)
            value = rng.choice([50_000, 200_000, 400_000, 900_000, 2_000_000, 6_000_000])
            turnover = rng.choice([0.0, 0.02, 0.04, 0.07, 0.12, 0.3])
            tax = rng.choice([-500, 0, 800, 2000, 5000, 30000])
            analysis(account, day=AS_OF, value=value, turnover=turnover, tax=tax,
                     tracking_error=0.01, drift=0.01)
            accounts.append(account)
            expected[account.pk] = _by_hand(status, discretionary, value, turnover, tax)
        run = NightlyRun.objects.create(business_date=AS_OF, trigger="tests")
        for account in accounts:
            RunAccount.objects.create(run=run, account=account, status="analyzed")
    with firm_context(firm):
        counts = dispositions_assign(run_id=run.pk, as_of=AS_OF + timedelta(days=1))
        got = dict(AccountDisposition.objects.filter(run=run).values_list(
            "account_id", "disposition"))
        unmatched = AccountDisposition.objects.filter(run=run, rule=NO_POLICY).count()
    assert got == {pk: disposition for pk, (disposition, _) in expected.items()}
    assert sum(counts[d] for d in ("suspend", "review", "auto_trade")) == len(accounts)
    assert unmatched == sum(1 for _, by_default in expected.values() if by_default)


def _by_hand(status, discretionary, value, turnover, tax):
    """(disposition, whether no policy chose it) under the default policies."""
    if status != "open":
        return "suspend", False
    if (not discretionary or value >= 1_000_000
            or (value >= 250_000 and (turnover > 0.05 or tax > 2500))
            or (value < 250_000 and (turnover > 0.10 or tax > 1000))):
        return "review", False
    if value < 250_000 and turnover <= 0.10 and tax <= 1000:
        return "auto_trade", False
    if 250_000 <= value < 1_000_000 and turnover <= 0.05 and tax <= 2500:
        return "auto_trade", False
    return "review", True


def test_the_dispositions_page_shows_each_account_with_its_rule(alice_firm):
    from django.test import Client

    book = filter_book(alice_firm)
    run = _run(book.firm, [(a, "analyzed") for a in book.accounts.values()])
    with firm_context(book.firm):
        dispositions_assign(run_id=run.pk, as_of=AS_OF)
    client = Client()
    client.force_login(alice_firm.compliance)
    page = client.get(f"/workflow/dispositions/runs/{run.pk}/").content.decode()
    assert "Suspend: 3" in page and "Auto-trade: 2" in page and "Compliance review: 1" in page
    assert "Small account, routine rebalance" in page
    only = client.get(f"/workflow/dispositions/runs/{run.pk}/?disposition=compliance_review")
    assert "F-3" in only.content.decode() and "F-1" not in only.content.decode()
    policies = client.get("/workflow/dispositions/policies/").content.decode()
    assert "Data errors" in policies and "v1" in policies
    suspending = client.get("/workflow/dispositions/policies/", {"target": "suspend"})
    assert "Data errors" in suspending.content.decode()
    assert "Data errors" not in client.get("/workflow/dispositions/policies/",
                                           {"target": "auto_trade"}).content.decode()
    searched = client.get(f"/workflow/dispositions/runs/{run.pk}/", {"q": "F-3"})
    assert "F-3" in searched.content.decode() and "F-1<" not in searched.content.decode()
    backwards = client.get(f"/workflow/dispositions/runs/{run.pk}/", {"sort": "-account"})
    numbers = re.findall(r">(F-\d)</a>", backwards.content.decode())
    assert numbers == sorted(numbers, reverse=True) and len(numbers) == len(book.accounts)
    client.force_login(alice_firm.advisor)
    assert client.get(f"/workflow/dispositions/runs/{run.pk}/").status_code == 404
