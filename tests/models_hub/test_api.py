"""The model book over the API: reads for the roles that see models, proposals and a second
member's approval for the committee, history with both, and the same refusals as the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from models_hub.models import AllocationWeight
from rebal.firm_context import firm_context
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def book(alice_firm):
    return build_model_book(alice_firm)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _mid_overweight(book, mid="0.13", large="0.27"):
    return {"kind": "allocation", "target": book.allocations["BAL60"].pk,
            "reason": "overweight mid cap",
            "proposal": {"code": "BAL60", "name": "Balanced 60/40", "risk_profile": "moderate",
                         "weights": {"EQ.US.LARGE": large, "EQ.US.MID": mid,
                                     "EQ.US.SMALL": "0.05", "FI.US.AGG": "0.40",
                                     "RE.US": "0.10", "CASH": "0.05"}}}


def test_roles_that_see_models_read_them(book):
    advisor = client_for(book.personas.advisor)
    allocations = advisor.get("/api/v1/asset-allocations/").json()["results"]
    assert {a["code"]: a["weights"]["EQ.US.MID"] for a in allocations} == {
        "BAL60": "0.1000000000", "CONS30": "0.0500000000"}
    programs = advisor.get("/api/v1/programs/").json()["results"]
    bal60 = next(p for p in programs if p["code"] == "BAL60")
    assert bal60["allocation"] == "BAL60" and bal60["products"]["EQ.US.LARGE"] == "LCAP_ETF"
    target = advisor.get(f"/api/v1/programs/{bal60['id']}/target/").json()
    assert [c["weight"] for c in target["asset_classes"] if c["asset_class"] == "RE.US"] == [
        "0.1"]
    product = advisor.get(f"/api/v1/security-models/{book.products['LCAP_DIRECT'].pk}/").json()
    assert product["current_weights"]["weights"] == {"AAPL": "0.6000000000",
                                                     "MSFT": "0.4000000000"}
    # Advisors read models but do not propose changes; data managers do not see them.
    assert advisor.post("/api/v1/model-changes/", _mid_overweight(book),
                        content_type=JSON).status_code == 403


def test_propose_then_a_second_member_approves_over_the_api(book):
    author, second = client_for(book.ipc), client_for(book.ipc2)
    response = author.post("/api/v1/model-changes/", _mid_overweight(book), content_type=JSON)
    assert response.status_code == 201, response.json()
    change = response.json()
    assert change["status"] == "draft" and change["author"] == "ipc@alice.test"
    refused = author.post(f"/api/v1/model-changes/{change['id']}/approve/",
                          {"reason": "mine, fine"}, content_type=JSON)
    assert refused.status_code == 400
    assert "You proposed this change: a second member" in refused.json()["error"]["message"]
    approved = second.post(f"/api/v1/model-changes/{change['id']}/approve/",
                           {"reason": "agreed"}, content_type=JSON)
    assert approved.status_code == 200 and approved.json()["status"] == "published"
    with firm_context(book.personas.firm):
        assert AllocationWeight.objects.get(allocation__code="BAL60",
                                            asset_class__code="EQ.US.MID").weight == Decimal("0.13")
    history = second.get(f"/api/v1/model-changes/{change['id']}/history/").json()
    assert [(h["type"], h["user"], h["reason"]) for h in history] == [
        ("changed", "ipc2@alice.test", "agreed"),
        ("created", "ipc@alice.test", "overweight mid cap")]
    allocation_history = second.get(
        f"/api/v1/asset-allocations/{book.allocations['BAL60'].pk}/history/").json()
    assert allocation_history[0]["user"] == "ipc2@alice.test"
    assert "proposed by ipc@alice.test" in allocation_history[0]["reason"]


def test_bad_proposals_are_refused_with_the_services_message(book):
    author = client_for(book.ipc)
    response = author.post("/api/v1/model-changes/", _mid_overweight(book, mid="0.20"),
                           content_type=JSON)
    assert response.status_code == 400
    assert "sum to 1.07, not 1 (within 0.0001)" in response.json()["error"]["message"]
    response = author.post("/api/v1/model-changes/", {
        "kind": "product", "reason": "new", "proposal": {
            "code": "X", "name": "X", "asset_class": "EQ.US.LARGE", "kind": "etf",
            "weights": {"NOPE": "1"}}}, content_type=JSON)
    assert response.status_code == 400
    assert "Security 'NOPE' is not in the security master" in response.json()["error"]["message"]
    response = author.post("/api/v1/model-changes/", {
        "kind": "program", "target": book.programs["BAL60"].pk, "reason": "loop", "proposal": {
            "code": "BAL60", "name": "B", "parent": "BAL60"}}, content_type=JSON)
    assert response.status_code == 400
    assert "Programs inherit in a cycle: BAL60 → BAL60" in response.json()["error"]["message"]


def test_committee_edits_alternatives_sets_and_limits_with_reasons(book):
    ipc = client_for(book.ipc)
    response = ipc.post("/api/v1/customization-limits/", {
        "name": "Conservative equity", "risk_profile": "conservative", "asset_class": "EQ",
        "max_change": "0.05", "reason": "policy"}, content_type=JSON)
    assert response.status_code == 201, response.json()
    limit_id = response.json()["id"]
    assert ipc.patch(f"/api/v1/customization-limits/{limit_id}/",
                     {"max_change": "0.03", "reason": "tighter"},
                     content_type=JSON).json()["max_change"] == "0.0300000000"
    history = ipc.get(f"/api/v1/customization-limits/{limit_id}/history/").json()
    assert history[0]["reason"] == "tighter"
    assert history[0]["changes"] == [{"field": "max_change", "old": "0.0500000000",
                                      "new": "0.0300000000"}]
    response = ipc.post("/api/v1/approved-alternatives/", {
        "asset_class": "EQ.US.MID", "product": "LCAP_FUND", "reason": "try"},
        content_type=JSON)
    assert response.status_code == 400
    assert "LCAP_FUND implements US Large Cap, not US Mid Cap" in (
        response.json()["error"]["message"])
    response = ipc.post("/api/v1/equivalence-sets/", {
        "code": "MID", "name": "Mid cap", "members": ["IJH", "VIMAX"], "reason": "same"},
        content_type=JSON)
    assert response.status_code == 201 and response.json()["members"] == ["IJH", "VIMAX"]
    response = ipc.post("/api/v1/equivalence-sets/", {
        "code": "DUP", "members": ["IVV", "IJR"], "reason": "x"}, content_type=JSON)
    assert response.status_code == 400
    assert "IVV (in SP500)" in response.json()["error"]["message"]
    advisor = client_for(book.personas.advisor)
    assert advisor.delete(f"/api/v1/customization-limits/{limit_id}/").status_code == 404
    assert ipc.delete(f"/api/v1/customization-limits/{limit_id}/", {"reason": "retired"},
                      content_type=JSON).status_code == 204
