"""The data manager's corporate-action pages and API: list, inspect, enter, correct, cancel.

The firm is the one of test_corporate_actions_apply: A-1 holds 100 AAPL and 50 MSFT, B-1 10
AAPL on 2026-11-24. Actions are dated in the past so that they apply when entered.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import CorporateActionExpectation
from dataops.models import CorporateAction
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role, Scope
from rebal.services import membership_grant, user_ensure
from tests import feed_files as ff
from tests.dataops.conftest import token_client
from tests.dataops.test_corporate_actions_apply import firm  # noqa: F401 - the loaded firm
from tests.html_text import texts

pytestmark = pytest.mark.django_db

SPLIT = {"action_id": "CA-AAPL", "type": "split", "effective_date": "2026-11-25",
         "old_cusip": ff.AAPL, "ratio_from": "1", "ratio_to": "4",
         "reason": "custodian notice, no file came"}


@pytest.fixture
def compliance_client(alice_firm):
    with audit_context(system_job="tests"), firm_context(alice_firm.firm):
        user = user_ensure(email="cmp-ca@alice.test", password="correct-horse-9")
        membership_grant(user=user, roles=[Role.COMPLIANCE], acting_user=None,
                         system_job="tests")
    client = Client()
    client.force_login(user)
    return client


def test_a_data_manager_enters_inspects_corrects_and_cancels_an_action(
        firm, data_client, data_manager):  # noqa: F811
    response = data_client.post(reverse("corporate-action-list"), SPLIT)
    assert response.status_code == 302
    with firm_context(firm):
        action = CorporateAction.objects.get(action_id="CA-AAPL")
        assert action.status == "applied" and action.feed_file is None
        entered = action.history.earliest("history_date")
        assert entered.history_user == data_manager
        assert entered.history_change_reason == "custodian notice, no file came"
    page = texts(data_client.get(reverse("corporate-action-detail",
                                         args=[action.pk])).content.decode(), "holder-row")
    # Both holders, before and after: 100 → 400 and 10 → 40, basis unchanged.
    assert [row.split(" not reported")[0] for row in page] == [
        "A-1 AAPL 100 sh, 15,000.00 AAPL 400 sh, 15,000.00",
        "B-1 AAPL 10 sh, 1,700.00 AAPL 40 sh, 1,700.00"]
    # Corrected to 5-for-1: reversed and applied again.
    corrected = data_client.post(reverse("corporate-action-correct", args=[action.pk]), {
        **{k: v for k, v in SPLIT.items() if k not in ("action_id", "reason")},
        "ratio_to": "5", "reason": "issuer corrected the ratio"})
    assert corrected.status_code == 302
    with firm_context(firm):
        standing = CorporateActionExpectation.objects.exclude(status="reversed")
        assert sorted(e.lots_after[0]["quantity"] for e in standing) == ["50", "500"]
    # Cancelled: everything it did is reversed.
    cancelled = data_client.post(reverse("corporate-action-cancel", args=[action.pk]),
                                 {"reason": "entered for the wrong firm"})
    assert cancelled.status_code == 302
    with firm_context(firm):
        action.refresh_from_db()
        assert action.status == "cancelled"
        assert not CorporateActionExpectation.objects.exclude(status="reversed").exists()
    html = data_client.get(reverse("corporate-action-detail", args=[action.pk])).content.decode()
    assert "entered for the wrong firm" in " ".join(texts(html, "applications"))


def test_an_entered_action_without_its_security_is_refused(firm, data_client):  # noqa: F811
    response = data_client.post(reverse("corporate-action-list"),
                                {**SPLIT, "old_cusip": "", "old_ticker": "NOPE"})
    assert response.status_code == 200
    assert "names no security of the master" in response.content.decode()
    with firm_context(firm):
        assert not CorporateAction.objects.exists()


def test_compliance_sees_the_report_but_cannot_change_an_action(
        firm, data_client, compliance_client):  # noqa: F811
    data_client.post(reverse("corporate-action-list"), SPLIT)
    with firm_context(firm):
        action = CorporateAction.objects.get()
    assert compliance_client.get(reverse("corporate-action-report")).status_code == 200
    assert compliance_client.get(reverse("corporate-action-detail",
                                         args=[action.pk])).status_code == 200
    assert compliance_client.post(reverse("corporate-action-cancel", args=[action.pk]),
                                  {"reason": "no"}).status_code == 404
    assert compliance_client.post(reverse("corporate-action-list"), SPLIT).status_code == 403


def test_the_report_lists_held_accounts_with_the_reason(firm, data_client, tmp_path):  # noqa: F811
    from tests.dataops.test_corporate_actions_apply import day_files, load

    data_client.post(reverse("corporate-action-list"), SPLIT)
    load(firm, *day_files(tmp_path, "2026-11-25", a1_aapl="400", b1_aapl="40",
                          aapl_close="231.40"))
    html = data_client.get(reverse("corporate-action-report")).content.decode()
    assert texts(html, "corporate-action-counts")[0].startswith("2 accounts held")
    assert texts(html, "held-row")[0].startswith(
        "A-1 CA-AAPL holdings of AAPL on 2026-11-25 are already adjusted for CA-AAPL")


def test_api_lists_creates_corrects_and_shows_holders(firm, alice_firm):  # noqa: F811
    client, _ = token_client(alice_firm, "corporate-actions-bridge", [Scope.FEEDS_WRITE])
    created = client.post("/api/v1/corporate-actions/", SPLIT, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["old_security_ticker"]) == ("applied", "AAPL")
    holders = client.get(f"/api/v1/corporate-actions/{body['id']}/holders/").json()["results"]
    assert {(h["account_number"], h["lots_after"][0]["quantity"]) for h in holders} == {
        ("A-1", "400"), ("B-1", "40")}
    corrected = client.post(f"/api/v1/corporate-actions/{body['id']}/correct/",
                            {"changes": {"ratio_to": "2"}, "reason": "typo"},
                            content_type="application/json")
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["ratio_to"] == "2.00000000"
    # Newest first: the standing application, then the reversed one.
    assert [a["reversed_at"] is None for a in corrected.json()["applications"]] == [True, False]
    listing = client.get("/api/v1/corporate-actions/?status=applied").json()["results"]
    assert [row["action_id"] for row in listing] == ["CA-AAPL"]
    with firm_context(firm):
        assert Decimal(CorporateAction.objects.get().ratio_to) == 2
