"""Alerts: raised by any app, folded per subject, routed to roles, acknowledged."""

from __future__ import annotations

import pytest

from rebal.firm_context import firm_context
from rebal.models import Alert
from rebal.services import alert_raise

pytestmark = pytest.mark.django_db


def test_repeats_fold_into_one_open_alert(alice_firm):
    for severity in ("warning", "critical", "info"):
        alert_raise(firm=alice_firm.firm, kind="late_file", severity=severity,
                    subject="tax_lots 2026-11-24", message=f"still missing ({severity})",
                    roles=["data_manager"])
    with firm_context(alice_firm.firm):
        alerts = list(Alert.objects.all())
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.occurrences == 3
    assert alert.severity == "critical"  # the worst seen, not the latest
    assert alert.message == "still missing (info)"


def test_acknowledged_alert_reopens_as_a_new_one(client, alice_firm):
    alert = alert_raise(firm=alice_firm.firm, kind="stall", severity="warning",
                        subject="analyze stage", message="no progress", roles=["advisor"])
    client.force_login(alice_firm.advisor)
    assert "analyze stage" in client.get("/").content.decode()
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert "analyze stage" not in client.get("/").content.decode()
    again = alert_raise(firm=alice_firm.firm, kind="stall", severity="warning",
                        subject="analyze stage", message="no progress", roles=["advisor"])
    assert again.pk != alert.pk and again.occurrences == 1
    with firm_context(alice_firm.firm):
        acknowledged = Alert.objects.get(pk=alert.pk)
    assert acknowledged.acknowledged_by == alice_firm.advisor


def test_alerts_show_only_to_their_roles(client, alice_firm):
    alert_raise(firm=alice_firm.firm, kind="unknown_security", severity="warning",
                subject="CUSIP 000000000", message="not in the security master",
                roles=["data_manager"])
    client.force_login(alice_firm.advisor)
    assert "CUSIP 000000000" not in client.get("/").content.decode()
    client.force_login(alice_firm.admin)  # a firm admin may act in any role
    assert "CUSIP 000000000" in client.get("/").content.decode()


def test_api_lists_and_acknowledges(client, alice_firm):
    alert = alert_raise(firm=alice_firm.firm, kind="k", severity="info", subject="s",
                        message="m", roles=["compliance"])
    client.force_login(alice_firm.compliance)
    listed = client.get("/api/v1/alerts/").json()
    assert [a["id"] for a in listed["results"]] == [alert.pk]
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["acknowledged_at"]
