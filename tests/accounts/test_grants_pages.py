"""Object grants: the firm admin grants an advisor a household or an account and takes it back,
each with a reason logged (GrantEvent); the advisor's lists follow at once; the pages are
sorted, searched and paged in bounded queries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Account, GrantEvent, Household
from accounts.services.grants import advisor_grant, advisor_revoke
from rebal.audit import audit_context, bulk_create_audited
from rebal.firm_context import firm_context
from rebal.models import Membership
from rebal.services import membership_grant, user_ensure
from tests.html_text import rows

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _member(firm, user) -> Membership:
    with firm_context(firm):
        return Membership.objects.get(user=user)


def _visible(client: Client, url: str) -> str:
    return client.get(url).content.decode()


def test_granting_a_household_shows_it_to_the_advisor_and_revoking_hides_it(alice_firm):
    admin, advisor = _client(alice_firm.admin), _client(alice_firm.advisor)
    other = alice_firm.other_household
    assert other.name not in _visible(advisor, "/households/")
    url = f"/administration/grants/members/{_member(alice_firm.firm, alice_firm.advisor).pk}/"
    admin.post(url, {"kind": "household", "code": other.code, "reason": "took over Beta"})
    assert other.name in _visible(advisor, "/households/")
    assert alice_firm.other_account.name in _visible(advisor, "/accounts/")
    page = _visible(admin, url)
    assert [r[:3] for r in rows(page, "granted-row")] == [
        ["ALICE-HH1", "ALICE Alpha Household", "1"], ["ALICE-HH2", "ALICE Beta Household", "1"]]
    assert "took over Beta" in page
    admin.post(url, {"revoke_household": other.pk, "reason": "Beta left"})
    assert other.name not in _visible(advisor, "/households/")
    with firm_context(alice_firm.firm):
        log = list(GrantEvent.objects.order_by("pk").values_list(
            "kind", "household__code", "reason", "acted_by__email"))
    assert log == [("granted", "ALICE-HH1", "the test book", None),  # the personas' own
                   ("granted", "ALICE-HH2", "took over Beta", "admin@alice.test"),
                   ("revoked", "ALICE-HH2", "Beta left", "admin@alice.test")]


def test_one_account_is_granted_without_its_household(alice_firm):
    admin, advisor = _client(alice_firm.admin), _client(alice_firm.advisor)
    url = f"/administration/grants/members/{_member(alice_firm.firm, alice_firm.advisor).pk}/"
    admin.post(url, {"kind": "account", "code": "ALICE-002", "reason": "covering"})
    assert "ALICE Beta Joint" in _visible(advisor, "/accounts/")
    assert alice_firm.other_household.name not in _visible(advisor, "/households/")
    accounts = rows(_visible(admin, url + "?show=accounts"), "granted-row")
    assert [r[:3] for r in accounts] == [["ALICE-002", "ALICE Beta Joint", "ALICE Beta Household"]]
    admin.post(url + "?show=accounts", {"revoke_account": alice_firm.other_account.pk,
                                        "reason": "back from leave"})
    assert "ALICE Beta Joint" not in _visible(advisor, "/accounts/")


def test_grants_are_refused_without_a_reason_twice_or_to_a_non_advisor(alice_firm):
    with firm_context(alice_firm.firm):
        household = alice_firm.other_household
        with pytest.raises(ValidationError, match="reason"):
            advisor_grant(advisor=alice_firm.advisor, household=household,
                          acting_user=alice_firm.admin, reason=" ")
        with pytest.raises(ValidationError, match="already sees"):
            advisor_grant(advisor=alice_firm.advisor, household=alice_firm.household,
                          acting_user=alice_firm.admin, reason="again")
        with pytest.raises(ValidationError, match="not an active advisor"):
            advisor_grant(advisor=alice_firm.compliance, household=household,
                          acting_user=alice_firm.admin, reason="x")
        with pytest.raises(ValidationError, match="was not granted"):
            advisor_revoke(advisor=alice_firm.advisor, household=household,
                           acting_user=alice_firm.admin, reason="x")
        assert list(GrantEvent.objects.values_list("reason", flat=True)) == ["the test book"]
    admin = _client(alice_firm.admin)
    url = f"/administration/grants/members/{_member(alice_firm.firm, alice_firm.advisor).pk}/"
    response = admin.post(url, {"kind": "household", "code": "NOPE", "reason": "x"},
                          follow=True)
    assert "No household with the code &#x27;NOPE&#x27;" in response.content.decode()


def test_another_firms_household_cannot_be_granted_or_revoked(alice_firm, bob_firm):
    admin = _client(alice_firm.admin)
    url = f"/administration/grants/members/{_member(alice_firm.firm, alice_firm.advisor).pk}/"
    response = admin.post(url, {"kind": "household", "code": bob_firm.household.code,
                                "reason": "x"}, follow=True)
    assert "No household with the code" in response.content.decode()
    assert admin.post(url, {"revoke_household": bob_firm.household.pk, "reason": "x"}
                      ).status_code == 404
    with firm_context(alice_firm.firm):
        assert list(GrantEvent.objects.values_list("reason", flat=True)) == ["the test book"]


def test_the_advisors_list_counts_grants_and_is_sorted_searched_and_paged(
        alice_firm, bob_firm, django_assert_max_num_queries):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        for n in range(55):
            user = user_ensure(email=f"adv{n:02d}@alice.test")
            membership_grant(user=user, roles=["advisor"], acting_user=None, system_job="tests")
        advisor_grant(advisor=alice_firm.advisor, account=alice_firm.other_account,
                      acting_user=alice_firm.admin, reason="cover")
    # Firm B's advisor holds a grant of firm B's household: nothing of it shows here.
    admin = _client(alice_firm.admin)
    with django_assert_max_num_queries(12):
        first = _visible(admin, "/administration/grants/")
    assert "Page 1 of 2 · 56 in all" in first
    top = rows(_visible(admin, "/administration/grants/?sort=-households"), "grant-advisor-row")
    assert top[0] == ["advisor@alice.test", "", "—", "1", "1"]
    found = rows(_visible(admin, "/administration/grants/?q=adv13"), "grant-advisor-row")
    assert [r[0] for r in found] == ["adv13@alice.test"]


def test_an_advisors_households_are_paged_searched_in_bounded_queries(
        alice_firm, django_assert_max_num_queries):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        households = bulk_create_audited(Household, [
            Household(firm=alice_firm.firm, code=f"G{n:03d}", name=f"Granted {n:03d}")
            for n in range(70)])
        bulk_create_audited(Account, [
            Account(firm=alice_firm.firm, account_number=f"G-{n:03d}", name=f"G {n}",
                    household=h, advisor_email="advisor@alice.test")
            for n, h in enumerate(households)])
        for household in households:
            advisor_grant(advisor=alice_firm.advisor, household=household,
                          acting_user=alice_firm.admin, reason="book")
    admin = _client(alice_firm.admin)
    url = f"/administration/grants/members/{_member(alice_firm.firm, alice_firm.advisor).pk}/"
    with django_assert_max_num_queries(14):
        page = _visible(admin, url)
    assert "Page 1 of 2 · 71 in all" in page
    granted = rows(page, "granted-row")
    assert len(granted) == 50 and granted[1][:4] == ["G000", "Granted 000", "1", "named by feed"]
    found = rows(_visible(admin, url + "?q=granted 06&sort=-code"), "granted-row")
    assert [r[0] for r in found] == [f"G{n:03d}" for n in range(69, 59, -1)]
