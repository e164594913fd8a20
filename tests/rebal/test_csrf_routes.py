"""Every route that changes something refuses a request without the CSRF token when the caller
is a signed-in person (the browser's session): pages and the API alike."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.isolation import ROUTES, ApiObject, PageObject
from tests.rebal.test_isolation_harness import _url, firm_data

pytestmark = pytest.mark.django_db
WRITES = sorted(name for name, case in ROUTES.items()
                if isinstance(case, PageObject | ApiObject)
                and set(case.methods) & {"post", "patch", "put", "delete"})


@pytest.mark.parametrize("name", WRITES)
def test_a_write_without_the_csrf_token_is_refused(name, alice_firm):
    data = firm_data(alice_firm)
    case = ROUTES[name]
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice_firm.admin)
    for method in set(case.methods) & {"post", "patch", "put", "delete"}:
        response = getattr(client, method)(_url(name, case.obj(data)), {},
                                           content_type="application/json")
        assert response.status_code == 403, (method, response.status_code)
        assert "CSRF" in response.content.decode()
    assert len(WRITES) > 10
