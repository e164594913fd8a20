"""Every page a person can reach requires a verified second factor where the firm requires it:
signed in with a password only, each route of the registry (tests/isolation.py) sends the person
to the second-factor page, whatever the method, and shows none of the firm's data; each API
route called with that session answers 403 and none of the data (a token still works)."""

from __future__ import annotations

import pytest
from django.test import Client

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.services import api_token_create
from tests.rebal.test_isolation_harness import APIS, PAGES, api_url, firm_data, page_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def unverified(alice_firm):
    with audit_context(system_job="tests", reason="the firm requires a second factor"):
        alice_firm.firm.require_totp = True
        alice_firm.firm.save()
    data = firm_data(alice_firm)
    client = Client()
    client.force_login(alice_firm.admin)  # a password sign-in: no device verified
    return data, client


@pytest.mark.parametrize("name", PAGES)
def test_a_page_needs_the_second_factor(name, unverified):
    data, client = unverified
    url, methods, markers = page_request(name, data)
    for method in methods:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, response.status_code)
        assert response["Location"] == "/auth/second-factor/"
        assert not [m for m in markers if m in response.content.decode()]
    assert len(PAGES) > 20


@pytest.mark.parametrize("name", APIS)
def test_the_api_with_the_session_needs_the_second_factor(name, unverified):
    data, client = unverified
    response = client.get(api_url(name, data))
    assert response.status_code == 403, response.status_code
    assert response.json()["error"]["code"] == "second_factor_required"


def test_an_api_token_is_not_held_at_the_gate(alice_firm, unverified):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        issued = api_token_create(name="oms", scopes=["accounts:read"],
                                  acting_user=alice_firm.admin)
    response = Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {issued.value}")
    assert response.status_code == 200
    assert alice_firm.account.account_number in response.content.decode()
