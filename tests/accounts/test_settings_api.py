"""Settings over the API: advisors within their accounts and the limits, overlay managers on
any account, firm admins on the firm's defaults; provenance in every read, reasons in history."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Account, TaxEntity
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
JSON = "application/json"
EQUITY_LIMIT = ("Limit “Conservative equity band”: Equity would be 40.00% against 30.00% in "
                "program CONS30, a change of +10.00%; Conservative accounts may move it by at "
                "most 5.00%.")


@pytest.fixture
def book(alice_firm):
    from models_hub.services import customization_limit_save

    rows = build_model_book(alice_firm)
    with firm_context(alice_firm.firm):
        customization_limit_save(name="Conservative equity band", risk_profile="conservative",
                                 asset_class=rows.classes["EQ"], max_change="0.05",
                                 reason="policy", acting_user=rows.ipc)
        with audit_context(system_job="tests"):
            account = alice_firm.account
            account.program_code = "CONS30"
            account.tax_entity = TaxEntity.objects.create(code="TE-ALPHA")
            account.save()
    return rows


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _setting(payload, name):
    return next(row for row in payload["settings"] if row["name"] == name)


def test_advisor_changes_their_account_within_the_limits(book):
    personas = book.personas
    advisor = client_for(personas.advisor)
    url = f"/api/v1/account-settings/{personas.account.pk}/"
    read = advisor.get(url).json()
    assert _setting(read, "tax_sensitivity") | {"help": ""} == {
        "name": "tax_sensitivity", "label": "Tax sensitivity", "help": "", "kind": "value",
        "value": "medium", "source": "Rebal default", "layer": "default",
        "choices": _setting(read, "tax_sensitivity")["choices"]}
    response = advisor.patch(url, {"changes": {"tax_sensitivity": "high",
                                               "do_not_buy": ["IJH"],
                                               "product_choices": {"EQ.US.LARGE": "LCAP_FUND"}},
                                   "reason": "client meeting 11/20"}, content_type=JSON)
    assert response.status_code == 200, response.json()
    changed = response.json()
    assert _setting(changed, "tax_sensitivity")["source"] == "account override"
    assert changed["overrides"]["product_choices"] == {"EQ.US.LARGE": "LCAP_FUND"}
    assert _setting(changed, "do_not_buy")["from"] == {"IJH": "account override"}
    # The same refusal, word for word, as the service gives every other door.
    refused = advisor.patch(url, {"changes": {"allocation_tilts": {
        "EQ.US.LARGE": "10", "FI.US.AGG": "-10"}}, "reason": "more growth"}, content_type=JSON)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"non_field_errors": [EQUITY_LIMIT]}
    assert "allocation_tilts" not in advisor.get(url).json()["overrides"]
    history = advisor.get(f"{url}history/").json()
    assert [(h["user"], h["reason"]) for h in history] == [
        ("advisor@alice.test", "client meeting 11/20")]
    assert history[0]["type"] == "created"
    # Not their account: not found, exactly like another firm's.
    other = f"/api/v1/account-settings/{personas.other_account.pk}/"
    assert advisor.get(other).status_code == 404
    assert advisor.patch(other, {"changes": {"tracking": "loose"}, "reason": "x"},
                         content_type=JSON).status_code == 404


def test_target_over_the_api_explains_every_weight(book):
    personas = book.personas
    client = client_for(personas.overlay_manager)
    target = client.get(f"/api/v1/account-settings/{personas.account.pk}/target/"
                        "?as_of=2026-11-24").json()
    assert target["program"] == "CONS30"
    assert {s["security"]: s["weight"] for s in target["securities"]}["AGG"] == "0.600000000000"
    assert target["explanations"]["IVV"].startswith("IVV 20.00%: EQ.US.LARGE 20.00% (20.00% in "
                                                    "allocation CONS30)")
    assert "also satisfied by SPY, VOO" in target["explanations"]["IVV"]


def test_tax_rates_household_and_firm_defaults(book):
    personas = book.personas
    overlay = client_for(personas.overlay_manager)
    url = f"/api/v1/account-settings/{personas.account.pk}/tax-rates/"
    response = overlay.patch(url, {"changes": {"state_short_term_rate": "9.3",
                                               "state_long_term_rate": "9.3"},
                                   "reason": "moved to California"}, content_type=JSON)
    assert response.status_code == 200, response.json()
    rates = {row["name"]: (row["value"], row["source"]) for row in response.json()["settings"]}
    assert rates["state_long_term_rate"] == ("9.3", "tax entity TE-ALPHA")
    assert rates["federal_long_term_rate"] == ("20", "Rebal default")
    household = f"/api/v1/household-settings/{personas.household.pk}/"
    assert client_for(personas.advisor).patch(household, {
        "changes": {"cash_to_keep": "2%"}, "reason": "family reserve"},
        content_type=JSON).json()["overrides"] == {"cash_to_keep": {"unit": "percent",
                                                                    "amount": "2"}}
    admin = client_for(personas.admin)
    assert client_for(personas.advisor).post(
        "/api/v1/firm-settings/", {"changes": {"tracking": "loose"}, "reason": "x"},
        content_type=JSON).status_code == 403
    created = admin.post("/api/v1/firm-settings/", {"changes": {"minimum_trade": "250"},
                                                    "reason": "fewer tiny trades"},
                         content_type=JSON)
    assert created.status_code == 201 and created.json()["values"] == {"minimum_trade": "250.00"}
    settings = overlay.get(f"/api/v1/account-settings/{personas.account.pk}/").json()
    assert _setting(settings, "minimum_trade")["source"] == "firm default"
    assert _setting(settings, "cash_to_keep")["source"] == "household ALICE-HH1"
    definitions = overlay.get("/api/v1/setting-definitions/").json()
    assert {d["name"] for d in definitions} >= {"tax_sensitivity", "cash_to_raise"}


def test_commission_schedules_are_set_by_the_admin_and_chosen_by_code(book):
    personas = book.personas
    admin = client_for(personas.admin)
    created = admin.post("/api/v1/commission-schedules/", {
        "code": "B", "name": "Schedule B", "per_trade": "4.95", "reason": "Platinum"},
        content_type=JSON)
    assert created.status_code == 201, created.json()
    advisor = client_for(personas.advisor)
    assert [s["code"] for s in advisor.get("/api/v1/commission-schedules/").json()[
        "results"]] == ["B"]
    response = advisor.patch(f"/api/v1/account-settings/{personas.account.pk}/",
                             {"changes": {"commission_schedule": "B"}, "reason": "Platinum"},
                             content_type=JSON)
    assert _setting(response.json(), "commission_schedule")["value"] == "B"
    with firm_context(personas.firm):
        assert Account.objects.get(pk=personas.account.pk).settings.values == {
            "commission_schedule": created.json()["id"]}
