"""Ancillary x_* columns: custom fields of the firm, typed by the firm admin, filterable."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import Account, CustomField
from rebal.firm_context import firm_context
from tests import feed_files as ff

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(alice_firm, tmp_path):
    ff.write(tmp_path, "accounts_20261124.csv", ff.csv_bytes(
        ["account_number", "account_name", "tax_status", "status", "x_tier", "x_aum_band"],
        [["A-1", "One", "taxable", "open", "Platinum", "5"],
         ["A-2", "Two", "taxable", "open", "Gold", "3"],
         ["A-3", "Three", "taxable", "open", "Platinum", "1"]]))
    call_command("load_feeds", "--firm", "ALICE", str(tmp_path), stdout=io.StringIO())
    return alice_firm


def test_x_columns_become_custom_fields(loaded):
    with firm_context(loaded.firm):
        assert sorted(CustomField.objects.values_list("name", "field_type")) == [
            ("aum_band", "text"), ("tier", "text")]
        assert Account.objects.get(account_number="A-1").custom_fields == {
            "tier": "Platinum", "aum_band": "5"}


def test_accounts_filter_by_custom_field(client, loaded):
    client.force_login(loaded.overlay_manager)
    numbers = [a["account_number"] for a in
               client.get("/api/v1/accounts/?x_tier=Platinum").json()["results"]]
    assert numbers == ["A-1", "A-3"]
    response = client.get("/api/v1/accounts/?x_color=red")
    assert response.status_code == 400 and "x_color" in response.json()["error"]["fields"]


def test_firm_admin_types_a_field_and_values_convert(client, loaded):
    with firm_context(loaded.firm):
        field = CustomField.objects.get(name="aum_band")
    client.force_login(loaded.overlay_manager)
    assert client.post(f"/api/v1/custom-fields/{field.pk}/retype/",
                       {"field_type": "number", "reason": "x"},
                       content_type="application/json").status_code == 404
    client.force_login(loaded.admin)
    response = client.post(f"/api/v1/custom-fields/{field.pk}/retype/",
                           {"field_type": "number", "reason": "bands are numbers"},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["field_type"] == "number"
    numbers = [a["account_number"] for a in
               client.get("/api/v1/accounts/?x_aum_band=5").json()["results"]]
    assert numbers == ["A-1"]
    with firm_context(loaded.firm):
        field.refresh_from_db()
        assert field.history.first().history_change_reason == "bands are numbers"


def test_retype_that_would_lose_values_is_refused(client, loaded):
    with firm_context(loaded.firm):
        field = CustomField.objects.get(name="tier")
    client.force_login(loaded.admin)
    response = client.post(f"/api/v1/custom-fields/{field.pk}/retype/",
                           {"field_type": "number", "reason": "oops"},
                           content_type="application/json")
    assert response.status_code == 400
    assert "must be a number" in response.json()["error"]["message"]
    with firm_context(loaded.firm):
        assert Account.objects.get(account_number="A-1").custom_fields["tier"] == "Platinum"
