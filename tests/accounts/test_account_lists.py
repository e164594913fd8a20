"""The households and accounts lists are searched, sorted and paged in the database: a firm
may have a hundred thousand accounts, and a page reads fifty."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import Account, Household
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        household = Household.objects.create(code="MANY", name="Many Household")
        bulk_create_audited(Account, [
            Account(firm=alice_firm.firm, account_number=f"M-{n:03d}", name=f"Many {n:03d}",
                    household=household) for n in range(118)])
    client = Client()
    client.force_login(alice_firm.admin)
    return client


def _numbers(html: str) -> list[str]:
    return re.findall(r">((?:M|ALICE)-\d+)</a>", html)


def test_accounts_are_paged_fifty_at_a_time(many, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        first = many.get("/accounts/").content.decode()
    assert len(_numbers(first)) == 50 and "Page 1 of 3 · 120 in all" in first
    last = many.get("/accounts/?page=3").content.decode()
    assert len(_numbers(last)) == 20


def test_accounts_are_searched_and_sorted(many):
    found = many.get("/accounts/", {"q": "many 11"}).content.decode()
    assert _numbers(found) == [f"M-{n}" for n in range(110, 118)]
    backwards = many.get("/accounts/", {"sort": "-account"}).content.decode()
    assert _numbers(backwards)[:2] == ["M-117", "M-116"]
    assert "sort=-account&amp;page=2" in backwards  # the pager keeps the order


def test_households_are_paged_and_searched(many, alice_firm):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        bulk_create_audited(Household, [Household(firm=alice_firm.firm, code=f"H{n:03d}",
                                                  name=f"House {n:03d}") for n in range(60)])
    page = many.get("/households/").content.decode()
    assert "Page 1 of 2 · 63 in all" in page
    assert "House 007" in many.get("/households/", {"q": "house 007"}).content.decode()


def test_sort_links_keep_the_search_and_paging_keeps_both(many):
    page = many.get("/accounts/", {"q": "many", "sort": "name"}).content.decode()
    # The column sorted ascending offers the descending order, keeping the search.
    assert 'aria-sort="ascending"><a href="?q=many&amp;sort=-name">Name</a>' in page
    assert 'href="?q=many&amp;sort=account">Account</a>' in page
    assert "q=many&amp;sort=name&amp;page=2" in page


def test_an_unknown_sort_falls_back_to_the_first_column(many):
    page = many.get("/accounts/", {"sort": "password"}).content.decode()
    assert _numbers(page) == _numbers(many.get("/accounts/", {"sort": "account"}).content.decode())
    assert 'aria-sort="ascending"><a href="?sort=-account">Account</a>' in page
