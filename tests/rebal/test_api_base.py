"""The API base: schema, error bodies, and the rule that endpoints cannot opt out of scoping."""

from __future__ import annotations

import pytest

from rebal.api.viewsets import FirmScopedReadOnlyViewSet


@pytest.mark.django_db
def test_schema_is_served_and_lists_the_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/accounts/", "/api/v1/accounts/{id}/", "/api/v1/api-tokens/{id}/revoke/",
            "/api/v1/alerts/{id}/acknowledge/"} <= set(paths)


@pytest.mark.django_db
def test_errors_share_one_shape(client, alice_firm):
    client.force_login(alice_firm.admin)
    response = client.post("/api/v1/api-tokens/", {"name": "x", "scopes": ["nope"]},
                           content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "scopes" in error["fields"]
    assert "scopes" in error["message"]
    missing = client.get("/api/v1/accounts/999999/").json()["error"]
    assert missing == {"status": 404, "code": "not_found", "message": "Not found.", "fields": {}}


def test_an_endpoint_may_not_override_get_queryset():
    with pytest.raises(TypeError, match="may not override get_queryset"):
        class Sneaky(FirmScopedReadOnlyViewSet):
            def get_queryset(self):
                return []
