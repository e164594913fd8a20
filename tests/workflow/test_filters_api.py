"""Filters through the API and the pages: saved per firm or per person, a live count, the
accounts, refusals by name; advisors count only their own accounts."""

from __future__ import annotations

import pytest
from django.test import Client

from rebal.firm_context import firm_context
from tests.workflow.filter_book import AS_OF, filter_book
from workflow.models import SavedFilter

pytestmark = pytest.mark.django_db
TURNOVER = {"all": [{"field": "turnover", "op": "gt", "value": 5},
                    {"field": "holds", "op": "any_of", "value": ["IBM", "MSFT"]}]}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_save_count_and_list_accounts_through_the_api(alice_firm):
    filter_book(alice_firm)
    overlay = _client(alice_firm.overlay_manager)
    made = overlay.post("/api/v1/filters/", {"name": "Busy", "query": TURNOVER, "shared": True,
                                             "reason": "review queue"},
                        content_type="application/json")
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["shared"] is True
    count = overlay.get(f"/api/v1/filters/{pk}/count/?as_of={AS_OF}").json()
    assert count == {"count": 3, "as_of": AS_OF.isoformat()}  # F-2, F-3, F-6
    accounts = overlay.get(f"/api/v1/filters/{pk}/accounts/?as_of={AS_OF}").json()
    assert [a["account_number"] for a in accounts["results"]] == ["F-2", "F-3", "F-6"]
    changed = overlay.patch(f"/api/v1/filters/{pk}/", {
        "name": "Busy", "shared": True,
        "query": {"field": "turnover", "op": "gt", "value": 10}},
        content_type="application/json")
    assert changed.status_code == 200
    assert overlay.get(f"/api/v1/filters/{pk}/count/?as_of={AS_OF}").json()["count"] == 1
    # The advisor sees the shared filter but counts only the accounts granted to them (none
    # of the book's), and may not change it.
    advisor = _client(alice_firm.advisor)
    assert advisor.get(f"/api/v1/filters/{pk}/count/?as_of={AS_OF}").json()["count"] == 0
    refused = advisor.patch(f"/api/v1/filters/{pk}/", {"name": "Mine", "query": {"all": []}},
                            content_type="application/json")
    assert refused.status_code == 403


def test_bad_queries_are_refused_naming_the_problem(alice_firm):
    overlay = _client(alice_firm.overlay_manager)
    response = overlay.post("/api/v1/filters/", {
        "name": "Bad", "query": {"all": [{"field": "colour", "op": "eq", "value": "red"},
                                         {"field": "turnover", "op": "like", "value": 1}]}},
        content_type="application/json")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "unknown field 'colour'" in message
    assert "turnover does not take the operator 'like'" in message


def test_personal_filters_are_their_owners(alice_firm):
    advisor = _client(alice_firm.advisor)
    mine = advisor.post("/api/v1/filters/", {"name": "Mine", "query": {"all": []}},
                        content_type="application/json")
    assert mine.status_code == 201
    assert mine.json()["owner"] == alice_firm.advisor.pk
    shared = advisor.post("/api/v1/filters/", {"name": "For all", "query": {"all": []},
                                               "shared": True},
                          content_type="application/json")
    assert shared.status_code == 403
    overlay = _client(alice_firm.overlay_manager)
    assert overlay.get("/api/v1/filters/").json()["results"] == []
    assert overlay.get(f"/api/v1/filters/{mine.json()['id']}/").status_code == 404


def test_the_builder_page_counts_live_and_saves(alice_firm):
    filter_book(alice_firm)
    overlay = _client(alice_firm.overlay_manager)
    page = overlay.get("/workflow/filters/new/")
    assert page.status_code == 200
    assert 'name="field"' in page.content.decode()
    row = overlay.get("/workflow/filters/row/", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="filter-row"' in row and "Custom: tier" in row
    live = overlay.get("/workflow/filters/count/", {
        "combine": "all", "negate": ["", ""], "field": ["custom.tier", "holds"],
        "op": ["eq", "any_of"], "value": ["Platinum", "IBM"]}).content.decode()
    assert '<strong data-testid="live-count">2</strong>' in live  # F-1 and F-3
    assert "F-1, F-3" in live
    wrong = overlay.get("/workflow/filters/count/", {
        "combine": "all", "negate": [""], "field": ["status"], "op": ["gt"],
        "value": ["open"]}).content.decode()
    assert "status does not take the operator &#x27;gt&#x27;" in wrong
    saved = overlay.post("/workflow/filters/new/", {
        "name": "Platinum", "shared": "on", "combine": "any", "negate": ["", "not"],
        "field": ["custom.tier", "has_hold"], "op": ["eq", "is"],
        "value": ["Platinum", "false"], "reason": "tiers"})
    assert saved.status_code == 302
    with firm_context(alice_firm.firm):
        made = SavedFilter.objects.get(name="Platinum")
    assert made.query == {"any": [
        {"field": "custom.tier", "op": "eq", "value": "Platinum"},
        {"not": {"field": "has_hold", "op": "is", "value": "false"}}]}
    listed = overlay.get("/workflow/filters/").content.decode()
    assert "Platinum" in listed
    # The list counts each filter after the page is shown, through the filter's own address:
    # Platinum (F-1, F-3) or on hold (F-3 data, F-5 suspended).
    assert f'hx-get="/workflow/filters/{made.pk}/count/"' in listed
    assert overlay.get(f"/workflow/filters/{made.pk}/count/").content.decode() == "3"
