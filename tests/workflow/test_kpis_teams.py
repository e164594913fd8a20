"""Management's KPIs by team: an account counts for its advisor's team; the page shows the
teams' table and charts and narrows the runs to one team, in a bounded number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Membership, Role
from rebal.services import membership_grant, membership_set_team, team_create, user_ensure
from tests.workflow.test_kpis import runs  # noqa: F401  (the fixture)
from workflow.kpis import program_kpis

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(runs):  # noqa: F811
    """Ann (the first account's advisor) in West; Ben in no team."""
    personas, manager, today = runs
    with firm_context(personas.firm), audit_context(system_job="tests"):
        ann = user_ensure(email="ann@alice.test", password="correct-horse-9")
        membership_grant(user=ann, roles=[Role.ADVISOR], acting_user=None, system_job="tests")
        west = team_create(name="West", acting_user=personas.admin)
        membership_set_team(membership=Membership.objects.get(user=ann), team=west,
                            acting_user=personas.admin, reason="the West office")
    return personas, manager, today


def test_the_counts_per_team(teams):
    personas, _, today = teams
    yesterday = today - timedelta(days=1)
    with firm_context(personas.firm):
        kpis = program_kpis(since=today - timedelta(days=30), today=today)
        west = program_kpis(since=today - timedelta(days=30), today=today, team="West")
    assert kpis.teams == ["(no team)", "West"]
    # Ann's account: analyzed in both runs, auto-traded yesterday, suspended today
    assert vars(kpis.by_team["West"]) == {"analyzed": 2, "auto_traded": 1, "reviewed": 0,
                                          "suspended": 1, "overdue": 0}
    assert vars(kpis.by_team["(no team)"]) == vars(kpis.by_advisor["ben@alice.test"])
    assert vars(kpis.by_team_date["West"][yesterday]) == {
        "analyzed": 1, "auto_traded": 1, "reviewed": 0, "suspended": 0, "overdue": 0}
    assert vars(west.by_date[today]) == {"analyzed": 1, "auto_traded": 0, "reviewed": 0,
                                         "suspended": 1, "overdue": 0}
    assert west.by_date[yesterday].overdue == 0 and kpis.by_date[yesterday].overdue == 1


def test_the_page_shows_the_teams_with_charts(teams, django_assert_max_num_queries):
    _, manager, today = teams
    client = Client()
    client.force_login(manager)
    client.get("/management/kpis/")
    with django_assert_max_num_queries(13):  # 3 grouped counts, teams, session, user, firm
        body = client.get("/management/kpis/?days=30").content.decode()
    west = re.search(r'data-team="West">(.*?)</tr>', body, re.S)
    assert re.findall(r'class="num[^"]*">(\d+)<', west.group(1)) == ["2", "1", "0", "1", "0"]
    assert body.count('data-testid="kpi-team-chart"') == 2
    assert "Analyzed per nightly run, by team" in body
    filtered = client.get("/management/kpis/?team=West").content.decode()
    assert "team West" in filtered
    row = re.search(rf'data-date="{today - timedelta(days=1):%Y-%m-%d}">(.*?)</tr>', filtered,
                    re.S)
    assert re.findall(r'class="num[^"]*">(\d+)<', row.group(1)) == ["1", "1", "0", "0", "0"]
