"""Firms from the command line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from rebal.firm_context import firm_context
from rebal.models import Firm, Membership

pytestmark = pytest.mark.django_db


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_firm", *args, stdout=out)
    return out.getvalue()


def test_create_firm_with_admin_and_one_time_password(client):
    output = create("ACME", "--name", "Acme Wealth", "--timezone", "America/Chicago",
                    "--admin", "Ops@Acme.test")
    password = output.strip().splitlines()[-1].removeprefix("One-time password: ")
    firm = Firm.objects.get(code="ACME")
    assert (firm.name, firm.timezone) == ("Acme Wealth", "America/Chicago")
    with firm_context(firm):
        membership = Membership.objects.select_related("user").get()
    assert membership.user.email == "ops@acme.test" and membership.roles == ["firm_admin"]
    assert Firm.history.get(code="ACME").history_system_job == "create_firm"
    response = client.post("/auth/login/", {"username": "ops@acme.test", "password": password})
    assert response.status_code == 302
    # The one-time password opens only the page to choose one's own.
    assert client.get("/")["Location"] == "/auth/password/"
    client.post("/auth/password/", {"old_password": password,
                                    "new_password1": "acme-admin-own-9!",
                                    "new_password2": "acme-admin-own-9!"})
    assert "Firm administrator" in client.get("/").content.decode()


def test_duplicate_code_is_refused_clearly():
    create("ACME", "--name", "Acme", "--admin", "a@acme.test")
    with pytest.raises(CommandError, match="already exists"):
        create("acme", "--name", "Acme again", "--admin", "b@acme.test")
    assert Firm.objects.filter(code="ACME").count() == 1


def test_bad_timezone_is_refused():
    with pytest.raises(CommandError, match="IANA time zone"):
        create("TZ", "--name", "Bad TZ", "--timezone", "Mars/Olympus", "--admin", "t@tz.test")
    assert not Firm.objects.filter(code="TZ").exists()
