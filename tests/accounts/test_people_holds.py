"""Suspensions and compliance holds: placed by people with a reason, cleared by their kind."""

from __future__ import annotations

import pytest

from accounts.models import AccountHold
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db


def place(client, account, kind, reason="client asked to pause"):
    return client.post("/api/v1/account-holds/", {"account": account.pk, "kind": kind,
                                                  "reason": reason},
                       content_type="application/json")


def test_overlay_manager_suspends_and_clears(client, alice_firm):
    client.force_login(alice_firm.overlay_manager)
    response = place(client, alice_firm.account, "suspension")
    assert response.status_code == 201
    hold = response.json()
    assert (hold["kind"], hold["source"], hold["account_number"]) == (
        "suspension", "people:suspension", "ALICE-001")
    assert place(client, alice_firm.account, "suspension").status_code == 400  # one open
    cleared = client.post(f"/api/v1/account-holds/{hold['id']}/clear/",
                          {"reason": "client confirmed"}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["cleared_reason"] == "client confirmed"
    with firm_context(alice_firm.firm):
        history = list(AccountHold.history.filter(id=hold["id"]).order_by("history_id"))
    assert [(h.history_user, h.history_change_reason) for h in history] == [
        (alice_firm.overlay_manager, "client asked to pause"),
        (alice_firm.overlay_manager, "client confirmed")]


def test_only_compliance_places_and_clears_compliance_holds(client, alice_firm):
    client.force_login(alice_firm.overlay_manager)
    assert place(client, alice_firm.account, "compliance").status_code == 403
    client.force_login(alice_firm.compliance)
    hold = place(client, alice_firm.account, "compliance", "under review").json()
    client.force_login(alice_firm.overlay_manager)
    assert client.post(f"/api/v1/account-holds/{hold['id']}/clear/", {"reason": "x"},
                       content_type="application/json").status_code == 403


def test_data_error_holds_are_not_cleared_by_people(client, alice_firm):
    from accounts.services.holds import holds_place
    from rebal.audit import audit_context

    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        holds_place(reasons={alice_firm.account.pk: "bad row"}, kind="data_error",
                    source="feed:tax_lots")
        hold = AccountHold.objects.get()
    client.force_login(alice_firm.admin)
    response = client.post(f"/api/v1/account-holds/{hold.pk}/clear/", {"reason": "x"},
                           content_type="application/json")
    assert response.status_code == 400 and "feed:tax_lots" in response.json()["error"]["message"]


def test_advisor_cannot_place_holds_on_accounts_not_theirs(client, alice_firm):
    client.force_login(alice_firm.advisor)
    assert place(client, alice_firm.other_account, "suspension").status_code == 404
