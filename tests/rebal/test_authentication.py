"""Sign-in, lockout after repeated failures, and the TOTP second factor."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rebal.audit import audit_context
from rebal.firm_context import firm_context

pytestmark = pytest.mark.django_db


def sign_in(client, email, password="correct-horse-9"):
    return client.post("/auth/login/", {"username": email, "password": password})


def test_sign_in_lands_on_the_role_home(client, alice_firm):
    response = sign_in(client, alice_firm.advisor.email)
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    text = home.content.decode()
    assert "Advisor" in text and "ALICE" in text
    assert "<dt>Household</dt><dd>view</dd>" in text and "<dt>Token</dt>" not in text


def test_anonymous_is_sent_to_sign_in(client, alice_firm):
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


def test_wrong_password_is_refused_then_locked_out(client, alice_firm):
    email = alice_firm.advisor.email
    for _ in range(4):
        response = sign_in(client, email, "wrong-password")
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()
    locked = sign_in(client, email, "wrong-password")
    assert locked.status_code == 429
    # Even the right password is refused while locked.
    locked = sign_in(client, email)
    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_other_people_are_not_locked_out_by_someone_elses_failures(client, alice_firm):
    for _ in range(5):
        sign_in(client, alice_firm.advisor.email, "wrong-password")
    other = type(client)(REMOTE_ADDR="10.9.9.9")
    assert sign_in(other, alice_firm.compliance.email).status_code == 302


def _secret(page: str) -> bytes:
    import base64

    match = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', page)
    assert match, "enrollment page shows the key"
    return base64.b32decode(match.group(1))


@override_settings(REBAL_REQUIRE_TOTP=True)
def test_required_second_factor_enrolls_then_verifies(client, alice_firm):
    sign_in(client, alice_firm.advisor.email)
    response = client.get("/households/")
    assert response.status_code == 302 and response["Location"] == "/auth/second-factor/"
    page = client.get("/auth/second-factor/").content.decode()
    assert "Set up your authenticator" in page
    key = _secret(page)
    code = f"{totp(key):06d}"
    response = client.post("/auth/second-factor/", {"token": code})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/households/").status_code == 200
    device = TOTPDevice.objects.get(user=alice_firm.advisor)
    assert device.confirmed
    # Next sign-in asks for a code from the enrolled device, no new enrollment.
    client.logout()
    sign_in(client, alice_firm.advisor.email)
    page = client.get("/auth/second-factor/").content.decode()
    assert "Enter your code" in page and "totp-secret" not in page


def test_firm_may_require_second_factor(client, alice_firm, bob_firm):
    with audit_context(system_job="tests", reason="policy"):
        alice_firm.firm.require_totp = True
        alice_firm.firm.save()
    sign_in(client, alice_firm.advisor.email)
    assert client.get("/households/")["Location"] == "/auth/second-factor/"
    other = type(client)()
    sign_in(other, bob_firm.advisor.email)
    assert other.get("/households/").status_code == 200


def test_enrolled_person_needs_code_even_when_not_required(client, alice_firm):
    with firm_context(alice_firm.firm):
        TOTPDevice.objects.create(user=alice_firm.compliance, name="phone", confirmed=True)
    sign_in(client, alice_firm.compliance.email)
    assert client.get("/")["Location"] == "/auth/second-factor/"


@override_settings(REBAL_REQUIRE_TOTP=True)
def test_wrong_code_is_refused(client, alice_firm):
    sign_in(client, alice_firm.advisor.email)
    page = client.get("/auth/second-factor/").content.decode()
    wrong = f"{(totp(_secret(page)) + 1) % 1_000_000:06d}"
    response = client.post("/auth/second-factor/", {"token": wrong})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert client.get("/households/").status_code == 302


def test_production_settings_require_second_factor(monkeypatch):
    import importlib

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 60)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "rebal.example.com")
    from rebal.settings import production

    production = importlib.reload(production)
    assert production.REBAL_REQUIRE_TOTP is True
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
