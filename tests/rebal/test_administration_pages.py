"""The firm admin's pages in the core: the dashboard's counts, the people list (filtered,
sorted, paged in bounded queries), a member's roles, team and deactivation with a reason, and
the team pages."""

from __future__ import annotations

import pytest
from django.test import Client

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Membership, Team, User
from rebal.services import membership_grant, team_create, user_ensure
from tests.html_text import rows, texts

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(alice_firm) -> Client:
    return _client(alice_firm.admin)


@pytest.fixture
def crowd(alice_firm):
    """60 more advisors, the even ones in team West."""
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        west = team_create(name="West", acting_user=None, reason="tests")
        for n in range(60):
            user = user_ensure(email=f"adv{n:02d}@alice.test", last_name=f"Zed{n:02d}")
            member = membership_grant(user=user, roles=["advisor"], acting_user=None,
                                      system_job="tests")
            if n % 2 == 0:
                member.team = west
                member.save()
    return west


def test_dashboard_counts_people_teams_and_tokens_and_links_every_page(alice_firm, admin,
                                                                       crowd):
    html = admin.get("/administration/").content.decode()
    counts = texts(html, "admin-counts")[0]
    assert "64 active people" in counts  # 4 personas + 60
    assert "61 advisors (31 in no team)" in counts
    assert "1 team " in counts and "0 active API tokens" in counts
    for url in ("/administration/members/", "/administration/teams/", "/administration/grants/",
                "/administration/api-tokens/", "/administration/schedules/",
                "/workflow/dispositions/policies/", "/workflow/batches/release-controls/"):
        assert f'href="{url}' in html, url


def test_only_firm_admins_reach_the_administration_pages(alice_firm):
    for user in (alice_firm.advisor, alice_firm.overlay_manager, alice_firm.compliance):
        client = _client(user)
        for url in ("/administration/", "/administration/members/", "/administration/teams/"):
            assert client.get(url).status_code == 403, (user.email, url)
        member = Membership.objects.for_firm(alice_firm.firm)
        with firm_context(alice_firm.firm):
            pk = member.get(user=alice_firm.advisor).pk
        assert client.get(f"/administration/members/{pk}/").status_code == 404


def test_member_list_is_filtered_sorted_and_paged_in_bounded_queries(
        alice_firm, admin, crowd, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        first = admin.get("/administration/members/").content.decode()
    assert "Page 1 of 2 · 64 in all" in first
    assert len(rows(first, "member-row")) == 50
    west = admin.get("/administration/members/", {"team": crowd.pk, "sort": "-name"})
    names = [row[1] for row in rows(west.content.decode(), "member-row")]
    assert len(names) == 30 and names[:2] == ["Zed58", "Zed56"]
    found = rows(admin.get("/administration/members/", {"q": "adv07"}).content.decode(),
                 "member-row")
    assert [row[0] for row in found] == ["adv07@alice.test"]
    admins = rows(admin.get("/administration/members/", {"role": "firm_admin"}).content
                  .decode(), "member-row")
    assert [row[0] for row in admins] == ["admin@alice.test"]
    no_team = admin.get("/administration/members/", {"team": "none"}).content.decode()
    assert "34 in all" not in no_team and len(rows(no_team, "member-row")) == 34


def test_a_members_roles_and_team_change_with_a_reason_shown_in_their_history(
        alice_firm, admin, crowd):
    with firm_context(alice_firm.firm):
        member = Membership.objects.get(user=alice_firm.advisor)
    url = f"/administration/members/{member.pk}/"
    refused = admin.post(url, {"roles": ["advisor", "management"], "team": crowd.pk})
    assert "This field is required" in refused.content.decode()  # the reason
    response = admin.post(url, {"roles": ["advisor", "management"], "team": crowd.pk,
                                "reason": "leads West"})
    assert response.status_code == 302
    with firm_context(alice_firm.firm):
        member.refresh_from_db()
        assert member.roles == ["advisor", "management"] and member.team == crowd
    page = admin.get(url).content.decode()
    assert "leads West" in page and "admin@alice.test" in page


def test_the_last_firm_admin_cannot_demote_or_deactivate_themselves(alice_firm, admin):
    with firm_context(alice_firm.firm):
        own = Membership.objects.get(user=alice_firm.admin)
    url = f"/administration/members/{own.pk}/"
    page = admin.post(url, {"roles": ["advisor"], "reason": "x"}).content.decode()
    assert "at least one active firm admin" in page
    admin.post(f"{url}active/", {"is_active": "0", "reason": "leaving"})
    with firm_context(alice_firm.firm):
        own.refresh_from_db()
    assert own.is_active and own.roles == ["firm_admin"]


def test_deactivating_a_member_shuts_them_out_and_reactivating_lets_them_back(alice_firm,
                                                                             admin):
    advisor = _client(alice_firm.advisor)
    assert advisor.get("/households/").status_code == 200
    with firm_context(alice_firm.firm):
        member = Membership.objects.get(user=alice_firm.advisor)
    url = f"/administration/members/{member.pk}/active/"
    assert admin.post(url, {"is_active": "0", "reason": ""}).status_code == 302
    with firm_context(alice_firm.firm):
        member.refresh_from_db()
    assert member.is_active  # refused without a reason
    admin.post(url, {"is_active": "0", "reason": "left the firm"})
    with firm_context(alice_firm.firm):
        member.refresh_from_db()
        assert not member.is_active
        assert member.history.latest().history_change_reason == "left the firm"
    assert advisor.get("/households/").status_code != 200
    admin.post(url, {"is_active": "1", "reason": "came back"})
    assert advisor.get("/households/").status_code == 200


def test_teams_are_created_listed_renamed_filled_and_deleted(alice_firm, admin,
                                                             django_assert_max_num_queries):
    response = admin.post("/administration/teams/", {"name": "East", "reason": "new office"})
    with firm_context(alice_firm.firm):
        east = Team.objects.get(name="East")
    assert response["Location"] == f"/administration/teams/{east.pk}/"
    duplicate = admin.post("/administration/teams/", {"name": "east"}).content.decode()
    assert "already has a team named" in duplicate
    url = f"/administration/teams/{east.pk}/"
    admin.post(url, {"email": "ADVISOR@alice.test", "reason": "joins East"})
    admin.post(url, {"email": "compliance@alice.test", "reason": "joins East"})
    admin.post(url, {"email": "nobody@alice.test", "reason": "x"})
    page = admin.get(url).content.decode()
    assert [r[0] for r in rows(page, "team-member-row")] == ["advisor@alice.test",
                                                             "compliance@alice.test"]
    with django_assert_max_num_queries(12):
        listed = admin.get("/administration/teams/", {"sort": "-members"}).content.decode()
    assert rows(listed, "team-row") == [["East", "2"]]
    admin.post(url, {"name": "East Coast", "reason": "bigger"})
    admin.post(f"{url}delete/", {"reason": "closing"})  # refused: it has members
    with firm_context(alice_firm.firm):
        assert Team.objects.get(pk=east.pk).name == "East Coast"
        advisor = Membership.objects.get(user=alice_firm.advisor)
    admin.post(url, {"remove": advisor.pk, "reason": "moved on"})
    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=alice_firm.admin)
    assert admin.post(f"{url}delete/", {"reason": "merged", "reassign_to": west.pk}
                      )["Location"] == "/administration/teams/"
    with firm_context(alice_firm.firm):
        assert list(Team.objects.values_list("name", flat=True)) == ["West"]
        assert list(west.members.values_list("user__email", flat=True)) == [
            "compliance@alice.test"]
        assert Membership.objects.get(user=alice_firm.advisor).team is None


def test_another_firms_team_cannot_be_the_target_of_a_reassignment(alice_firm, bob_firm, admin):
    with firm_context(bob_firm.firm):
        bobs = team_create(name="Bob's", acting_user=bob_firm.admin)
    with firm_context(alice_firm.firm):
        mine = team_create(name="Mine", acting_user=alice_firm.admin)
    response = admin.post(f"/administration/teams/{mine.pk}/delete/",
                          {"reason": "x", "reassign_to": bobs.pk})
    assert response.status_code == 404


def test_a_person_is_added_with_roles_a_team_and_a_one_time_password(alice_firm, bob_firm,
                                                                     admin, crowd):
    response = admin.post("/administration/members/", {
        "email": "New.Hire@alice.test", "roles": ["advisor"], "team": crowd.pk,
        "reason": "hired"})
    assert response.status_code == 302
    shown = admin.get("/administration/members/").content.decode()
    notice = texts(shown, "added-member")[0]
    assert notice.startswith("new.hire@alice.test is now a member.")
    password = notice.rsplit(" ", 1)[1]
    hire = User.objects.get(email="new.hire@alice.test")
    assert hire.check_password(password) and hire.password_must_change
    assert "added-member" not in admin.get("/administration/members/").content.decode()
    with firm_context(alice_firm.firm):
        member = Membership.objects.get(user__email="new.hire@alice.test")
        assert (member.roles, member.team, member.history.latest().history_change_reason) == (
            ["advisor"], crowd, "hired")
    again = admin.post("/administration/members/", {
        "email": "new.hire@alice.test", "roles": ["advisor"], "reason": "again"})
    assert "already a member of the firm" in again.content.decode()
    # Someone who already signs in elsewhere keeps their password: none is shown.
    admin.post("/administration/members/", {"email": bob_firm.advisor.email,
                                            "roles": ["compliance"], "reason": "consultant"})
    notice = texts(admin.get("/administration/members/").content.decode(), "added-member")[0]
    assert "They sign in as they already do" in notice
    kept = User.objects.get(pk=bob_firm.advisor.pk)
    assert kept.check_password("correct-horse-9") and not kept.password_must_change
    assert _client(alice_firm.advisor).post("/administration/members/", {
        "email": "x@alice.test", "roles": ["advisor"], "reason": "x"}).status_code == 403
