"""Every page a person can reach requires a verified second factor where the firm requires it:
signed in with a password only, each route of the registry (tests/isolation.py) sends the person
to the second-factor page, whatever the method, and shows none of the firm's data."""

from __future__ import annotations

import pytest
from django.test import Client

from rebal.audit import audit_context
from tests.rebal.test_isolation_harness import PAGES, firm_data, page_request

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
