"""Management's dashboard (/management/): the latest run's management review list with the rule
that put each account there (searched, filtered, sorted, paged), the KPIs' summary and chart
with links to the KPIs by advisor and team, in a bounded number of queries; management only."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role
from rebal.services import membership_grant, user_ensure
from tests.html_text import texts
from tests.workflow.management_book import management_book

pytestmark = pytest.mark.django_db
URL = "/management/"


def _manager(personas):
    with firm_context(personas.firm), audit_context(system_job="tests"):
        manager = user_ensure(email="management@alice.test", password="correct-horse-9")
        membership_grant(user=manager, roles=[Role.MANAGEMENT], acting_user=None,
                         system_job="tests")
    client = Client()
    client.force_login(manager)
    return client


def _accounts(body):
    return [t.split()[0] for t in texts(body, "review-row")]


def test_the_latest_runs_list_with_its_rules_sorted_searched_and_paged(alice_firm):
    management_book(alice_firm, accounts=55)
    client = _manager(alice_firm)
    assert reverse("management-dashboard") == URL
    body = client.get(URL).content.decode()
    shown = _accounts(body)
    # yesterday's list (the first account) is not today's; the account not on the list neither
    assert shown[:3] == ["MG-000", "MG-001", "MG-002"] and len(shown) == 50
    assert alice_firm.account.account_number not in shown
    assert alice_firm.other_account.account_number not in shown
    assert set(texts(body, "review-rule")) == {"Large household"}
    assert "Page 1 of 2 · 55 in all" in body
    assert _accounts(client.get(URL + "?page=2").content.decode()) == [
        f"MG-{n:03d}" for n in range(50, 55)]
    assert _accounts(client.get(URL + "?sort=-account").content.decode())[0] == "MG-054"
    # every third account is in review: 0, 3, …, 54 → 19
    review = client.get(URL + "?disposition=review&sort=-account").content.decode()
    assert _accounts(review)[:2] == ["MG-054", "MG-051"] and "19 in all" not in review
    assert len(_accounts(review)) == 19
    assert _accounts(client.get(URL + "?q=mg-05").content.decode()) == [
        f"MG-{n:03d}" for n in range(50, 55)]
    assert len(_accounts(client.get(URL + "?q=adv1@").content.decode())) == 27
    # the sort links keep the search
    assert 'href="?q=mg-05&amp;sort=-account"' in client.get(
        URL + "?q=mg-05&sort=account").content.decode()


def test_the_kpis_summary_chart_and_links(alice_firm):
    management_book(alice_firm, accounts=4)
    body = _manager(alice_firm).get(URL).content.decode()
    tiles = dict((label, int(n)) for n, label in re.findall(
        r"<strong[^>]*>(\d+)</strong><span>([a-z -]+?)(?: on \d{4}-\d\d-\d\d)?</span>", body))
    # today's run: 4 analyzed; MG-000 and MG-003 in review, MG-001, MG-002 and the other
    # account auto-traded; 4 on the list
    assert tiles == {"analyzed": 4, "auto-traded": 3, "reviewed": 2, "suspended": 0,
                     "overdue": 0, "on the management review list": 4}
    assert 'data-testid="management-chart"' in body and 'class="chart line-chart"' in body
    assert '/management/kpis/#by-advisor-h' in body


def test_the_page_takes_a_bounded_number_of_queries(alice_firm, django_assert_max_num_queries):
    management_book(alice_firm, accounts=60)
    client = _manager(alice_firm)
    client.get(URL)
    # the request's own (session, user, memberships, firm context); the latest run; the list's
    # count and page; the KPIs' three grouped counts and the teams — whatever the list's size
    with django_assert_max_num_queries(15):
        first = client.get(URL)
    with django_assert_max_num_queries(15):
        client.get(URL + "?page=2&sort=-advisor&q=MG&disposition=review")
    assert len(_accounts(first.content.decode())) == 50


def test_management_only(alice_firm):
    management_book(alice_firm, accounts=1)
    for user in (alice_firm.advisor, alice_firm.compliance):
        client = Client()
        client.force_login(user)
        assert client.get(URL).status_code == 403
    admin = Client()
    admin.force_login(alice_firm.admin)
    assert admin.get(URL).status_code == 200
