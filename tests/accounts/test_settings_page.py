"""The account settings page: provenance for every value, the target with its steps, and the
same refusal as the API and a settings file."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from accounts.models import AccountSettings
from models_hub.services import customization_limit_save
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from tests.models_hub.factories import build_model_book

pytestmark = pytest.mark.django_db
EQUITY_LIMIT = ("Limit “Conservative equity band”: Equity would be 40.00% against 30.00% in "
                "program CONS30, a change of +10.00%; Conservative accounts may move it by at "
                "most 5.00%.")


@pytest.fixture
def book(alice_firm):
    rows = build_model_book(alice_firm)
    with firm_context(alice_firm.firm):
        customization_limit_save(name="Conservative equity band", risk_profile="conservative",
                                 asset_class=rows.classes["EQ"], max_change="0.05",
                                 reason="policy", acting_user=rows.ipc)
        with audit_context(system_job="tests"):
            alice_firm.account.program_code = "CONS30"
            alice_firm.account.save()
    return rows


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_shows_provenance_and_refuses_like_every_door(book):
    personas = book.personas
    advisor = client_for(personas.advisor)
    url = f"/accounts/{personas.account.pk}/settings/"
    page = text_of(advisor.get(url).content.decode())
    assert "Tax sensitivity" in page and "Rebal default" in page
    assert "20.00% in allocation CONS30" in page
    refused = advisor.post(url, {"setting": "allocation_tilts",
                                 "value": "EQ.US.LARGE=+10; FI.US.AGG=-10",
                                 "reason": "more growth"})
    assert refused.status_code == 400
    assert EQUITY_LIMIT in text_of(refused.content.decode())
    with firm_context(personas.firm):
        assert not AccountSettings.objects.exists()
    saved = advisor.post(url, {"setting": "tax_sensitivity", "value": "high",
                               "reason": "client call"})
    assert saved.status_code == 302
    page = text_of(advisor.get(url).content.decode())
    assert "account override" in page and "client call" in page
    detail = advisor.get(f"/accounts/{personas.account.pk}/").content.decode()
    assert url in detail


def test_who_may_change_what(book):
    personas = book.personas
    url = f"/accounts/{personas.account.pk}/settings/"
    change = {"setting": "tracking", "value": "loose", "reason": "x"}
    compliance = client_for(personas.compliance)
    assert compliance.get(url).status_code == 200
    assert compliance.post(url, change).status_code == 404
    advisor = client_for(personas.advisor)
    other = f"/accounts/{personas.other_account.pk}/settings/"
    assert advisor.get(other).status_code == 404
    assert advisor.post(other, change).status_code == 404
    assert client_for(personas.overlay_manager).post(other, change).status_code == 302
