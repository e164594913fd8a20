"""Signing in through a firm's own OpenID Connect provider, run locally by the test: the real
authorization-code flow (state, nonce, the ID token's signature against the published keys),
with roles still granted in Rebal and the firm's second-factor rule still applied."""

from __future__ import annotations

from html import unescape

import pytest
import requests
from django.test import Client

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import SignOnProvider
from tests.oidc_provider import LocalProvider, new_key

pytestmark = pytest.mark.django_db
SECRET = "local-provider-secret"


@pytest.fixture
def provider(alice_firm):
    with LocalProvider(client_id="rebal-alice", client_secret=SECRET) as running:
        with firm_context(alice_firm.firm), audit_context(system_job="tests"):
            SignOnProvider.objects.create(issuer=running.issuer, client_id="rebal-alice",
                                          client_secret=SECRET, email_domains=["alice.test"])
        yield running


def _sign_in(client: Client, provider: LocalProvider, firm_code: str = "alice"):
    """Start at Rebal, let the provider answer, come back: Rebal's final response."""
    start = client.post("/auth/sso/", {"firm": firm_code})
    assert start.status_code == 302, start.content.decode()
    assert start["Location"].startswith(f"{provider.issuer}/authorize?")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return client.get(answer.headers["Location"])


def test_a_member_signs_in_through_the_firms_provider_with_rebal_roles(alice_firm, provider):
    provider.person = {"sub": "42", "email": "Advisor@Alice.test", "email_verified": True}
    client = Client()
    done = _sign_in(client, provider)
    assert (done.status_code, done["Location"]) == (302, "/")
    assert int(client.session["_auth_user_id"]) == alice_firm.advisor.pk
    assert "ALICE Advisors" in client.get("/").content.decode()
    # What they may do is Rebal's: an advisor is no firm admin, whatever the provider says.
    assert client.get("/administration/api-tokens/").status_code == 403
    assert provider.tokens_issued == 1


@pytest.mark.parametrize(("person", "why"), [
    ({"sub": "1", "email": "advisor@alice.test", "email_verified": False}, "has not verified"),
    ({"sub": "2", "email": "someone@elsewhere.test", "email_verified": True},
     "not at one of ALICE's domains"),
    ({"sub": "3", "email": "stranger@alice.test", "email_verified": True},
     "has no access to ALICE"),
    ({"sub": "4", "email_verified": True}, "did not give an email address"),
])
def test_the_provider_cannot_let_in_whom_rebal_does_not_know(provider, person, why):
    provider.person = person
    client = Client()
    refused = _sign_in(client, provider)
    assert refused.status_code == 403 and why in unescape(refused.content.decode())
    assert "_auth_user_id" not in client.session


def test_a_member_of_another_firm_is_refused(alice_firm, bob_firm, provider):
    with firm_context(alice_firm.firm), audit_context(system_job="tests"):
        SignOnProvider.objects.update_or_create(defaults={"email_domains": []})
    provider.person = {"sub": "5", "email": bob_firm.admin.email, "email_verified": True}
    client = Client()
    refused = _sign_in(client, provider)
    assert refused.status_code == 403
    assert "has no access to ALICE" in unescape(refused.content.decode())


def test_a_forged_id_token_is_refused(provider):
    provider.person = {"sub": "42", "email": "advisor@alice.test", "email_verified": True}
    provider.signing_key = new_key("published")  # same key id, a key the provider never published
    client = Client()
    refused = _sign_in(client, provider)
    assert refused.status_code == 403
    assert "could not be verified" in unescape(refused.content.decode())
    assert "_auth_user_id" not in client.session


def test_a_callback_not_started_here_or_replayed_is_refused(provider):
    provider.person = {"sub": "42", "email": "advisor@alice.test", "email_verified": True}
    client = Client()
    start = client.post("/auth/sso/", {"firm": "ALICE"})
    callback = requests.get(start["Location"], allow_redirects=False,
                            timeout=10).headers["Location"]
    stranger = Client()  # another browser: no sign-in was started in its session
    assert stranger.get(callback).status_code == 403
    assert "_auth_user_id" not in stranger.session
    assert client.get(callback).status_code == 302  # the person who started it
    replayed = Client()
    replayed.post("/auth/sso/", {"firm": "ALICE"})
    assert replayed.get(callback).status_code == 403  # state of another sign-in, code used


def test_the_firms_second_factor_rule_still_applies(alice_firm, provider):
    with audit_context(system_job="tests"):
        alice_firm.firm.require_totp = True
        alice_firm.firm.save()
    provider.person = {"sub": "42", "email": "advisor@alice.test", "email_verified": True}
    client = Client()
    assert _sign_in(client, provider).status_code == 302
    assert client.get("/accounts/")["Location"].startswith("/auth/second-factor/")


def test_a_firm_without_a_provider_is_told_so(bob_firm):
    page = Client().post("/auth/sso/", {"firm": "BOB"})
    assert page.status_code == 400
    assert "BOB does not sign in through its own provider" in unescape(page.content.decode())


def test_the_firm_admin_configures_the_provider_with_a_reason(alice_firm):
    client = Client()
    client.force_login(alice_firm.admin)
    form = {"issuer": "https://login.alice.example", "client_id": "rebal",
            "client_secret": "first-secret", "email_domains": "alice.test, @Alice-Wealth.test",
            "is_active": "on", "reason": ""}
    assert client.post("/administration/sign-on/", form).status_code == 400  # no reason
    assert client.post("/administration/sign-on/", form | {"reason": "IT ticket 4411"}
                       ).status_code == 302
    client.post("/administration/sign-on/", form | {"client_secret": "", "reason": "domains"})
    with firm_context(alice_firm.firm):
        provider = SignOnProvider.objects.get()
        assert provider.client_secret == "first-secret"  # empty keeps the stored secret
        assert provider.email_domains == ["alice-wealth.test", "alice.test"]
        history = list(provider.history.order_by("history_date"))
    assert [h.history_change_reason for h in history] == ["IT ticket 4411", "domains"]
    assert not hasattr(history[0], "client_secret")  # kept out of the history
    advisor = Client()
    advisor.force_login(alice_firm.advisor)
    assert advisor.get("/administration/sign-on/").status_code == 403
