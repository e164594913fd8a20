"""Machine credentials: hashed, shown once, scoped, revocable on the next request."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command

from rebal.firm_context import firm_context
from rebal.models import APIToken

pytestmark = pytest.mark.django_db


def issue(firm_code: str, *scopes: str, name: str = "oms") -> str:
    out = io.StringIO()
    call_command("create_api_token", "--firm", firm_code, "--name", name, "--scope", *scopes,
                 stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_command_prints_the_token_once_and_stores_only_its_hash(alice_firm):
    value = issue("ALICE", "accounts:read", "orders:read")
    assert value.startswith("rbl_") and len(value) > 40
    with firm_context(alice_firm.firm):
        token = APIToken.objects.get(name="oms")
    assert token.key_hash == hashlib.sha256(value.encode()).hexdigest()
    assert value not in {token.key_prefix, token.key_hash, token.name}
    assert sorted(token.scopes) == ["accounts:read", "orders:read"]


def test_command_refuses_unknown_firm_and_scope(alice_firm):
    with pytest.raises(CommandError, match="No firm"):
        issue("NOPE", "accounts:read")
    with pytest.raises(CommandError, match="Unknown scope"):
        issue("ALICE", "everything")


def test_token_reads_its_firm_within_its_scopes(client, alice_firm, bob_firm):
    value = issue("ALICE", "accounts:read")
    auth = {"HTTP_AUTHORIZATION": f"Token {value}"}
    response = client.get("/api/v1/accounts/", **auth)
    assert response.status_code == 200
    assert [a["account_number"] for a in response.json()["results"]] == ["ALICE-001", "ALICE-002"]
    me = client.get("/api/v1/me/", **auth).json()
    assert me["firm"] == "ALICE" and me["scopes"] == ["accounts:read"]
    # Outside its scopes: alerts are not granted by accounts:read.
    assert client.get("/api/v1/alerts/", **auth).status_code == 403
    assert client.get("/api/v1/api-tokens/", **auth).status_code == 403


def test_revoked_token_gets_401_on_the_next_request(client, alice_firm):
    value = issue("ALICE", "accounts:read")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {value}"}
    assert client.get("/api/v1/accounts/", **auth).status_code == 200
    client.force_login(alice_firm.admin)
    with firm_context(alice_firm.firm):
        token = APIToken.objects.get(name="oms")
    response = client.post(f"/api/v1/api-tokens/{token.pk}/revoke/",
                           {"reason": "OMS decommissioned"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["revoked_at"]
    client.logout()
    response = client.get("/api/v1/accounts/", **auth)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    with firm_context(alice_firm.firm):
        assert APIToken.history.filter(id=token.pk).first().history_change_reason == \
            "OMS decommissioned"


def test_unknown_and_malformed_tokens_get_401(client, alice_firm):
    assert client.get("/api/v1/accounts/",
                      HTTP_AUTHORIZATION="Token rbl_doesnotexist").status_code == 401
    assert client.get("/api/v1/accounts/", HTTP_AUTHORIZATION="Token abc").status_code == 401
    assert client.get("/api/v1/accounts/").status_code == 401


def test_admin_issues_token_over_the_api_shown_once(client, alice_firm):
    client.force_login(alice_firm.admin)
    response = client.post("/api/v1/api-tokens/", {"name": "feeds", "scopes": ["feeds:write"]},
                           content_type="application/json")
    assert response.status_code == 201
    value = response.json()["token"]
    listing = client.get("/api/v1/api-tokens/").json()["results"]
    assert [t["name"] for t in listing] == ["feeds"] and "token" not in listing[0]
    assert value not in str(listing)


def test_non_admin_cannot_issue_tokens(client, alice_firm):
    client.force_login(alice_firm.overlay_manager)
    response = client.post("/api/v1/api-tokens/", {"name": "x", "scopes": ["feeds:write"]},
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
