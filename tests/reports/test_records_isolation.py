"""The records exports (tests/isolation.py's ApiExport routes) across firms: firm B's
downloads, by session or by its all-scopes token, hold nothing of firm A's records."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from rebal.firm_context import firm_context
from rebal.models import Scope
from rebal.services import api_token_create
from tests.isolation import ROUTES, ApiExport
from tests.reports.isolation_rows import record_row

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items() if isinstance(c, ApiExport)))
@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_exports_hold_nothing_of_another_firm(name, file_format, alice_firm, bob_firm):
    record_row(alice_firm)
    record_row(bob_firm)
    markers = ROUTES[name].markers(SimpleNamespace(personas=alice_firm))
    url = f"{reverse(name)}?file_format={file_format}"
    owner = Client()
    owner.force_login(alice_firm.admin)
    own = owner.get(url)
    assert own.status_code == 200
    assert all(marker in _body(own) for marker in markers), "positive control failed"
    session = Client()
    session.force_login(bob_firm.admin)
    with firm_context(bob_firm.firm):
        token = api_token_create(name="B everything", scopes=list(Scope.values),
                                 acting_user=bob_firm.admin).value
    for attacker in (session, Client(HTTP_AUTHORIZATION=f"Token {token}")):
        response = attacker.get(url)
        assert response.status_code in (200, 403)
        body = _body(response)
        assert not [m for m in markers if m in body]
        assert str(alice_firm.account.account_number) not in body
