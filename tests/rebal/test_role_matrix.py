"""The role × action matrix, cell by cell, against a grid written out independently here."""

from __future__ import annotations

import pytest

from rebal.models import Membership, Role
from rebal.permissions import ROLE_MATRIX, UnknownAction, scope_for

# a = all rows of the firm, s = only those assigned to the person, . = not permitted.
# Columns: advisor, ipc, overlay_manager, compliance, management, data_manager, firm_admin
EXPECTED = """
home.view                 a a a a a a a
alert.view                a a a a a a a
alert.acknowledge         a a a a a a a
household.view            s a a a a a a
account.view              s a a a a a a
account.change_settings   s . a . . . a
advisor_dashboard.view    s . . . . . a
overlay_dashboard.view    . . a . . . a
household_settings.change s . a . . . a
commission_schedule.view  a a a a a a a
account.suspend           . . a a . . a
account.compliance_hold   . . . a . . a
model.view                a a a a a . a
model.edit                . a . . . . a
model.approve             . a . . . . a
provider.view             . a . a a . a
provider.manage           . a . . . . a
billing.view              . a . a a . a
billing.manage            . . . . . . a
run.view                  . . a a a a a
run.rerun_failed          . . a . . . a
batch.review              . . a a . . a
batch.approve             . . a . . . a
batch.release             . . a . . . a
batch.edit                . . a . . . a
batch.consent             . . a . . . a
release_control.manage    . . a a . . a
order.view                . . a a . . a
order.execute             . . . . . . a
audit.view                . . . a . . a
compliance_list.view      . . . a . . a
management_list.view      . . . . a . a
record.view               s . a a a . a
record.export             . . . a a . a
report.view               s . a a a . a
health_check.respond      s . a a . . a
report.run                . . a a a . a
kpi.view                  . . . a a . a
feed.view                 . . a . . a a
feed.upload               . . . . . a a
security.edit             . . . . . a a
corporate_action.view     . a a a a a a
corporate_action.edit     . . . . . a a
custom_field.view         a a a a a a a
custom_field.manage       . . . . . . a
membership.view           . . . . . . a
membership.manage         . . . . . . a
token.view                . . . . . . a
token.manage              . . . . . . a
sign_on.manage            . . . . . . a
policy.manage             . . . . . . a
filter.view               s s s s s s a
filter.manage             s s a a s s a
policy.view               . . a a a . a
disposition.view          . . a a a . a
settings_rule.view        . a a a a . a
settings_rule.manage      . . a . . . a
"""
COLUMNS = [Role.ADVISOR, Role.IPC, Role.OVERLAY_MANAGER, Role.COMPLIANCE, Role.MANAGEMENT,
           Role.DATA_MANAGER, Role.FIRM_ADMIN]
SYMBOL = {"a": "all", "s": "assigned", ".": None}


def expected_cells():
    for line in EXPECTED.strip().splitlines():
        action, *symbols = line.split()
        for role, symbol in zip(COLUMNS, symbols, strict=True):
            yield action, role, SYMBOL[symbol]


class _Person:
    def __init__(self, roles):
        self._rebal_membership = Membership(roles=list(roles), is_active=True)


def test_grid_covers_exactly_the_matrix():
    assert {action for action, _, _ in expected_cells()} == set(ROLE_MATRIX)


@pytest.mark.parametrize(("action", "role", "scope"), list(expected_cells()),
                         ids=lambda v: str(v))
def test_cell(action, role, scope):
    assert scope_for(_Person([role]), action) == scope


def test_several_roles_take_the_widest_scope():
    assert scope_for(_Person([Role.ADVISOR, Role.OVERLAY_MANAGER]), "account.view") == "all"
    assert scope_for(_Person([Role.ADVISOR, Role.DATA_MANAGER]), "batch.approve") is None


def test_inactive_membership_grants_nothing():
    person = _Person([Role.FIRM_ADMIN])
    person._rebal_membership.is_active = False
    assert scope_for(person, "home.view") is None


def test_unknown_action_is_an_error_not_a_denial():
    with pytest.raises(UnknownAction):
        scope_for(_Person([Role.FIRM_ADMIN]), "acount.view")


@pytest.mark.django_db
def test_pages_follow_the_matrix(client, alice_firm):
    expectations = [  # (person, url, status)
        (alice_firm.advisor, "/households/", 200),
        (alice_firm.advisor, "/administration/api-tokens/", 403),
        (alice_firm.compliance, "/administration/members/", 403),
        (alice_firm.admin, "/administration/members/", 200),
        (alice_firm.overlay_manager, "/accounts/", 200),
    ]
    for person, url, status in expectations:
        client.force_login(person)
        assert client.get(url).status_code == status, (person, url)


@pytest.mark.django_db
def test_advisor_sees_only_assigned_households_and_their_accounts(client, alice_firm):
    client.force_login(alice_firm.advisor)
    households = client.get("/api/v1/households/").json()["results"]
    assert [h["code"] for h in households] == ["ALICE-HH1"]
    accounts = client.get("/api/v1/accounts/").json()["results"]
    assert [a["account_number"] for a in accounts] == ["ALICE-001"]
    assert client.get(f"/accounts/{alice_firm.other_account.pk}/").status_code == 404
    assert client.get(f"/api/v1/accounts/{alice_firm.other_account.pk}/").status_code == 404
    client.force_login(alice_firm.overlay_manager)
    accounts = client.get("/api/v1/accounts/").json()["results"]
    assert [a["account_number"] for a in accounts] == ["ALICE-001", "ALICE-002"]
