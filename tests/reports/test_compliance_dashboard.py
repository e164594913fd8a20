"""Compliance's dashboard: the latest sorted run's compliance review list with the rule that put
each account there (searched, sorted, paged), accounts under compliance hold, the latest
changes, and links to the audit history and the records."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AccountHold
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from workflow.models import AccountDisposition, NightlyRun

pytestmark = pytest.mark.django_db


def text_of(html):
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _on_list(run, account, rule, disposition="review"):
    lists = ["compliance_review"] if rule else []
    rules = [{"list": "compliance_review", "policy": 7, "version": 2, "rule": rule}] if rule else []
    return AccountDisposition.objects.create(
        run=run, account=account, disposition=disposition, rule=f"{disposition} by tests",
        oversight_lists=lists, oversight_rules=rules)


@pytest.fixture
def book(alice_firm):
    """Two runs: yesterday's put ALICE-001 on the list, today's ALICE-002 and 60 more accounts
    (ALICE-1xx); ALICE-001 is under a compliance hold."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        older = NightlyRun.objects.create(business_date=dt.date(2026, 11, 23), trigger="tests")
        newer = NightlyRun.objects.create(business_date=dt.date(2026, 11, 24), trigger="tests")
        _on_list(older, alice_firm.account, "policy 7 v2: Large realized gains")
        _on_list(newer, alice_firm.account, "")
        _on_list(newer, alice_firm.other_account, "policy 7 v2: Large realized gains",
                 disposition="suspend")
        for number in range(60):
            account = Account.objects.create(account_number=f"ALICE-{100 + number}",
                                              name=f"Extra {number}",
                                              household=alice_firm.other_household)
            _on_list(newer, account, "policy 8 v1: Restricted security held")
    with firm_context(alice_firm.firm), audit_context(user=alice_firm.compliance,
                                                      reason="complaint received"):
        AccountHold.objects.create(account=alice_firm.account, kind=AccountHold.Kind.COMPLIANCE,
                                   reason="Client complaint under review",
                                   source=f"user:{alice_firm.compliance.pk}")
    return newer


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_latest_runs_list_with_the_rule_holds_and_recent_changes(alice_firm, book):
    response = _client(alice_firm.compliance).get("/compliance/")
    assert response.status_code == 200
    html = response.content.decode()
    page = text_of(html)
    assert "Nightly run of 2026-11-24" in page
    assert "ALICE-002" in page and "policy 7 v2: Large realized gains" in page
    assert re.search(r'data-testid="review-count">61<', html)
    assert html.count('data-testid="review-row"') == 50  # paged
    review = html[html.index('data-testid="compliance-review"'):html.index("compliance-holds")]
    assert "ALICE-001" not in review  # on yesterday's list only
    holds = html[html.index('data-testid="compliance-holds"'):]
    assert "ALICE-001" in holds and "Client complaint under review" in holds
    recent = html[html.index('data-testid="recent-changes"'):]
    assert "complaint received" in recent and alice_firm.compliance.email in recent
    assert 'href="/compliance/audit/"' in html and 'href="/records/"' in html


def test_searched_sorted_and_paged(alice_firm, book):
    client = _client(alice_firm.compliance)
    found = client.get("/compliance/", {"q": "ALICE-002"}).content.decode()
    assert found.count('data-testid="review-row"') == 1
    descending = client.get("/compliance/", {"sort": "-account"}).content.decode()
    numbers = re.findall(r'data-testid="review-row">\s*<td><a href="[^"]+">([^<]+)</a>',
                         descending)
    assert numbers[0] == "ALICE-159" and numbers == sorted(numbers, reverse=True)
    assert 'aria-sort="descending"' in descending
    second = client.get("/compliance/", {"sort": "-account", "page": "2"}).content.decode()
    assert second.count('data-testid="review-row"') == 11
    assert "ALICE-002" in second


def test_compliance_only_and_a_bounded_number_of_queries(alice_firm, book):
    for user in (alice_firm.advisor, alice_firm.overlay_manager):
        assert _client(user).get("/compliance/").status_code == 403
    client = _client(alice_firm.compliance)
    client.get("/compliance/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/compliance/").status_code == 200
    assert len(queries) <= 45  # session, firm, run, two lists with counts, the audit union
