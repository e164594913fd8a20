"""A person signed in with a one-time password (a new member's, a new firm's first admin's) chooses
their own before anything else: every page of the registry (tests/isolation.py) sends them to
the password page and shows none of the firm's data, every API route answers 403; the change
follows the firm's password rules, is recorded with its reason, and opens the pages."""

from __future__ import annotations

import pytest
from django.test import Client

from rebal.audit import audit_context
from rebal.models import User
from tests.rebal.test_isolation_harness import APIS, PAGES, api_url, firm_data, page_request

pytestmark = pytest.mark.django_db
ONE_TIME = "one-time-Kx8pQ2"
OWN = "my-own-long-passphrase-7"


@pytest.fixture
def newcomer(alice_firm):
    with audit_context(system_job="tests", reason="a one-time password was shown"):
        alice_firm.admin.set_password(ONE_TIME)
        alice_firm.admin.password_must_change = True
        alice_firm.admin.save()
    data = firm_data(alice_firm)
    client = Client()
    assert client.post("/auth/login/", {"username": alice_firm.admin.email,
                                        "password": ONE_TIME}).status_code == 302
    return data, client


@pytest.mark.parametrize("name", PAGES)
def test_a_page_waits_for_a_password_of_ones_own(name, newcomer):
    data, client = newcomer
    url, methods, markers = page_request(name, data)
    for method in methods:
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, response.status_code)
        assert response["Location"] == "/auth/password/"
        assert not [m for m in markers if m in response.content.decode()]


@pytest.mark.parametrize("name", APIS)
def test_the_api_with_the_session_waits_too(name, newcomer):
    data, client = newcomer
    response = client.get(api_url(name, data))
    assert response.status_code == 403, response.status_code
    assert response.json()["error"]["code"] == "password_change_required"


def test_the_change_keeps_the_rules_and_opens_the_pages(newcomer, alice_firm):
    _, client = newcomer
    page = client.get("/auth/password/").content.decode()
    assert "You signed in with a one-time password" in page

    def change(old, new, again=None):
        return client.post("/auth/password/", {"old_password": old, "new_password1": new,
                                                "new_password2": again or new})

    refusals = {
        "wrong old": change("not-it-at-all", OWN),
        "too short": change(ONE_TIME, "Short-1"),
        "common": change(ONE_TIME, "password1234"),
        "mismatch": change(ONE_TIME, OWN, OWN + "x"),
    }
    assert all(r.status_code == 200 for r in refusals.values())
    assert "incorrectly" in refusals["wrong old"].content.decode()
    assert "at least 12 characters" in refusals["too short"].content.decode()
    assert "too common" in refusals["common"].content.decode()
    assert "didn’t match" in refusals["mismatch"].content.decode()
    assert client.get("/")["Location"] == "/auth/password/"

    done = change(ONE_TIME, OWN)
    assert (done.status_code, done["Location"]) == (302, "/")
    home = client.get("/")
    assert home.status_code == 200 and "Your password was changed." in home.content.decode()
    user = User.objects.get(pk=alice_firm.admin.pk)
    assert user.check_password(OWN) and not user.password_must_change
    latest = user.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (user, "Password changed")
    # Still signed in (the session follows the new password); the old one no longer works.
    assert client.get("/administration/").status_code == 200
    assert Client().post("/auth/login/", {"username": user.email,
                                          "password": ONE_TIME}).status_code == 200


def test_single_sign_on_people_have_no_password_here(alice_firm):
    with audit_context(system_job="tests", reason="signs in through the firm's provider"):
        alice_firm.advisor.set_unusable_password()
        alice_firm.advisor.save()
    client = Client()
    client.force_login(alice_firm.advisor)
    page = client.get("/auth/password/").content.decode()
    assert "single sign-on" in page and "old_password" not in page
