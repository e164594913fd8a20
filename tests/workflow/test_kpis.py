"""Management's KPI page: per run and advisor, accounts analyzed, auto-traded, reviewed,
suspended and overdue, over time (a line chart) and by advisor, in a bounded number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role
from rebal.services import membership_grant, user_ensure
from workflow.kpis import program_kpis
from workflow.models import AccountDisposition, NightlyRun, RunAccount, TradeBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(alice_firm):
    """Two runs: yesterday's (both accounts analyzed; one auto-traded, one in review whose
    batch is still pending: overdue) and today's (one analyzed and suspended)."""
    personas = alice_firm
    # the firm's date, as the page counts it (New York's evening is UTC's next day)
    today = timezone.now().astimezone(ZoneInfo(personas.firm.timezone)).date()
    with firm_context(personas.firm), audit_context(system_job="tests"):
        manager = user_ensure(email="management@alice.test", password="correct-horse-9")
        membership_grant(user=manager, roles=[Role.MANAGEMENT], acting_user=None,
                         system_job="tests")
        first, second = personas.account, personas.other_account
        first.advisor_email, second.advisor_email = "ann@alice.test", "ben@alice.test"
        first.save()
        second.save()
        yesterday = NightlyRun.objects.create(business_date=today - timedelta(days=1),
                                              trigger="tests")
        tonight = NightlyRun.objects.create(business_date=today, trigger="tests")
        for account in (first, second):
            RunAccount.objects.create(run=yesterday, account=account, status="analyzed")
        RunAccount.objects.create(run=tonight, account=first, status="analyzed")
        AccountDisposition.objects.create(run=yesterday, account=first,
                                          disposition="auto_trade", rule="tests")
        AccountDisposition.objects.create(run=yesterday, account=second, disposition="review",
                                          rule="tests")
        TradeBatch.objects.create(run=yesterday, disposition="review", status="pending_review")
        AccountDisposition.objects.create(run=tonight, account=first, disposition="suspend",
                                          rule="tests")
    return personas, manager, today


def test_the_counts_per_run_and_per_advisor(runs):
    personas, _, today = runs
    with firm_context(personas.firm):
        kpis = program_kpis(since=today - timedelta(days=30), today=today)
        only_ben = program_kpis(since=today - timedelta(days=30), today=today,
                                advisor="ben@alice.test")

    yesterday = today - timedelta(days=1)
    assert kpis.dates == [yesterday, today]
    assert vars(kpis.by_date[yesterday]) == {"analyzed": 2, "auto_traded": 1, "reviewed": 1,
                                             "suspended": 0, "overdue": 1}
    assert vars(kpis.by_date[today]) == {"analyzed": 1, "auto_traded": 0, "reviewed": 0,
                                         "suspended": 1, "overdue": 0}
    assert vars(kpis.by_advisor["ann@alice.test"]) == {
        "analyzed": 2, "auto_traded": 1, "reviewed": 0, "suspended": 1, "overdue": 0}
    assert vars(kpis.by_advisor["ben@alice.test"]) == {
        "analyzed": 1, "auto_traded": 0, "reviewed": 1, "suspended": 0, "overdue": 1}
    # One advisor's figures keep every run on the time axis (zero where they had nothing).
    assert only_ben.dates == [yesterday, today]
    assert vars(only_ben.by_date[yesterday]) == vars(kpis.by_advisor["ben@alice.test"])
    assert not any(vars(only_ben.by_date[today]).values())
    # A decided batch is not overdue.
    with firm_context(personas.firm), audit_context(system_job="tests"):
        batch = TradeBatch.objects.get(disposition="review")
        batch.status = "approved"
        batch.save()
        assert program_kpis(since=yesterday, today=today).by_date[yesterday].overdue == 0


def test_the_page_charts_the_runs_for_management_only(runs, django_assert_max_num_queries):
    personas, manager, today = runs
    client = Client()
    client.force_login(manager)
    client.get("/management/kpis/")

    with django_assert_max_num_queries(12):  # 3 grouped counts + session, user, firm
        response = client.get("/management/kpis/?days=30")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="chart line-chart" role="img"' in body
    assert body.count('class="series"') == 5
    row = re.search(rf'data-date="{today - timedelta(days=1):%Y-%m-%d}">(.*?)</tr>', body, re.S)
    assert re.findall(r'class="num[^"]*">(\d+)<', row.group(1)) == ["2", "1", "1", "0", "1"]
    ben = re.search(r'data-advisor="ben@alice.test">(.*?)</tr>', body, re.S)
    assert re.findall(r'class="num[^"]*">(\d+)<', ben.group(1)) == ["1", "0", "1", "0", "1"]
    filtered = client.get("/management/kpis/?advisor=ann@alice.test").content.decode()
    assert f'data-date="{today - timedelta(days=1):%Y-%m-%d}"' in filtered
    advisor = Client()
    advisor.force_login(personas.advisor)
    assert advisor.get("/management/kpis/").status_code == 403
