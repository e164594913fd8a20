"""Teams: created, renamed and deleted by services (audited), members put in at most one team,
and the selectors that map advisors to their team for KPIs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from rebal.firm_context import firm_context
from rebal.models import Membership, Team
from rebal.selectors import team_by_email, team_by_user_id
from rebal.services import (
    membership_set_active,
    membership_set_team,
    membership_update,
    team_create,
    team_delete,
    team_rename,
)

pytestmark = pytest.mark.django_db


def _member(_persona, user):
    return Membership.objects.get(user=user)


def test_team_create_rename_delete_are_audited_with_reasons(alice_firm):
    admin = alice_firm.admin
    with firm_context(alice_firm.firm):
        team = team_create(name="  West   Coast ", acting_user=admin, reason="new region")
        assert team.name == "West Coast"
        team_rename(team=team, name="Pacific", acting_user=admin, reason="renamed region")
        team_delete(team=team, acting_user=admin, reason="region closed")
        assert not Team.objects.exists()
        history = list(Team.history.order_by("history_id")
                       .values_list("history_type", "name", "history_change_reason",
                                    "history_user_id"))
    assert history == [("+", "West Coast", "new region", admin.pk),
                       ("~", "Pacific", "renamed region", admin.pk),
                       ("-", "Pacific", "region closed", admin.pk)]


def test_team_names_are_unique_per_firm_ignoring_case(alice_firm, bob_firm):
    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match="already has a team named 'west'"):
            team_create(name="west", acting_user=alice_firm.admin)
        east = team_create(name="East", acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match="already has a team"):
            team_rename(team=east, name="WEST", acting_user=alice_firm.admin)
        with pytest.raises(ValidationError, match="needs a name"):
            team_create(name="   ", acting_user=alice_firm.admin)
        team_rename(team=west, name="West", acting_user=alice_firm.admin)  # unchanged: no-op
        assert west.history.count() == 1
    with firm_context(bob_firm.firm):
        team_create(name="West", acting_user=bob_firm.admin)  # another firm may use the name
        assert Team.objects.count() == 1


def test_a_member_is_in_at_most_one_team_and_moves_with_a_reason(alice_firm):
    admin = alice_firm.admin
    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=admin)
        east = team_create(name="East", acting_user=admin)
        member = _member(alice_firm, alice_firm.advisor)
        with pytest.raises(ValidationError, match="reason"):
            membership_set_team(membership=member, team=west, acting_user=admin, reason=" ")
        membership_set_team(membership=member, team=west, acting_user=admin, reason="hired West")
        membership_set_team(membership=member, team=east, acting_user=admin, reason="moved East")
        member.refresh_from_db()
        assert member.team == east
        assert list(west.members.all()) == []
        reasons = list(member.history.order_by("history_id")
                       .values_list("team_id", "history_change_reason"))[-2:]
    assert reasons == [(west.pk, "hired West"), (east.pk, "moved East")]


def test_a_team_with_members_is_deleted_only_by_reassigning_them(alice_firm):
    admin = alice_firm.admin
    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=admin)
        east = team_create(name="East", acting_user=admin)
        member = _member(alice_firm, alice_firm.advisor)
        membership_set_team(membership=member, team=west, acting_user=admin, reason="hired")
        with pytest.raises(ValidationError, match="still has 1 member"):
            team_delete(team=west, acting_user=admin, reason="merge")
        with pytest.raises(ValidationError, match="different team"):
            team_delete(team=west, acting_user=admin, reason="merge", reassign_to=west)
        team_delete(team=west, acting_user=admin, reason="merged into East", reassign_to=east)
        member.refresh_from_db()
        assert member.team == east
        assert list(Team.objects.values_list("name", flat=True)) == ["East"]
        assert member.history.latest().history_change_reason == "merged into East"


def test_another_firms_team_is_refused(alice_firm, bob_firm):
    with firm_context(bob_firm.firm):
        bobs = team_create(name="Bob's", acting_user=bob_firm.admin)
    with firm_context(alice_firm.firm):
        member = _member(alice_firm, alice_firm.advisor)
        with pytest.raises(ValidationError, match="another firm"):
            membership_set_team(membership=member, team=bobs, acting_user=alice_firm.admin,
                                reason="x")


def test_membership_update_sets_roles_and_team_and_keeps_one_firm_admin(alice_firm):
    admin = alice_firm.admin
    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=admin)
        member = _member(alice_firm, alice_firm.advisor)
        membership_update(membership=member, roles=["management", "advisor"], team=west,
                          acting_user=admin, reason="promoted")
        member.refresh_from_db()
        assert (member.roles, member.team) == (["advisor", "management"], west)
        with pytest.raises(ValidationError, match="at least one role"):
            membership_update(membership=member, roles=[], team=None, acting_user=admin,
                              reason="x")
        with pytest.raises(ValidationError, match="Unknown role"):
            membership_update(membership=member, roles=["king"], team=None, acting_user=admin,
                              reason="x")
        own = _member(alice_firm, admin)
        with pytest.raises(ValidationError, match="at least one active firm admin"):
            membership_update(membership=own, roles=["advisor"], team=None, acting_user=admin,
                              reason="stepping down")
        with pytest.raises(ValidationError, match="at least one active firm admin"):
            membership_set_active(membership=own, is_active=False, acting_user=admin,
                                  reason="leaving")
        # With a second admin the first may step down.
        membership_update(membership=member, roles=["firm_admin"], team=west, acting_user=admin,
                          reason="second admin")
        membership_set_active(membership=own, is_active=False, acting_user=admin,
                              reason="leaving")
        own.refresh_from_db()
        assert own.is_active is False
        assert own.history.latest().history_change_reason == "leaving"


def test_team_selectors_map_advisors_to_their_team(alice_firm, bob_firm, as_system):
    with firm_context(bob_firm.firm):
        bobs = team_create(name="Bob's", acting_user=bob_firm.admin)
        membership_set_team(membership=_member(bob_firm, bob_firm.advisor), team=bobs,
                            acting_user=bob_firm.admin, reason="x")
    with firm_context(alice_firm.firm):
        west = team_create(name="West", acting_user=alice_firm.admin)
        member = _member(alice_firm, alice_firm.advisor)
        membership_set_team(membership=member, team=west, acting_user=alice_firm.admin,
                            reason="x")
        alice_firm.advisor.email = "Advisor@ALICE.test"
        alice_firm.advisor.save()
        assert team_by_email(alice_firm.firm) == {"advisor@alice.test": "West"}
        assert team_by_user_id(alice_firm.firm) == {alice_firm.advisor.pk: "West"}
