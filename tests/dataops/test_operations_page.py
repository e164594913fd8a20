"""The platform operator sees each firm's transfers through that firm's context, one by one."""

from __future__ import annotations

import pytest

from rebal.audit import audit_context
from rebal.models import User
from rebal.services import alert_raise

pytestmark = pytest.mark.django_db


def test_operator_sees_every_firms_transfer_status(client, alice_firm, bob_firm):
    alert_raise(firm=bob_firm.firm, kind="late_file", severity="warning",
                subject="tax_lots for 2026-11-24", message="late", roles=["data_manager"])
    with audit_context(system_job="tests"):
        operator = User.objects.create(username="ops@host.test", email="ops@host.test",
                                       is_platform_operator=True)
    client.force_login(operator)
    page = client.get("/operations/feeds/").content.decode()
    assert "ALICE" in page and "BOB" in page
    rows = page.split('data-testid="operations-firm"')[1:]
    assert len(rows) == 2
    assert '<strong class="error">1</strong>' in rows[1]  # BOB's late file
    searched = client.get("/operations/feeds/", {"q": "bob"}).content.decode()
    assert len(searched.split('data-testid="operations-firm"')[1:]) == 1 and "BOB" in searched
    # Monitoring only: no client names.
    assert alice_firm.account.name not in page and bob_firm.household.name not in page
