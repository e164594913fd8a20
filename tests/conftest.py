"""Test database and personas.

The suite runs as the application role (neither superuser nor BYPASSRLS): the test database is
created from REBAL_ADMIN_DATABASE_URL, migrated as the owner role, and every test connects as the
application role, so row-level security binds the tests exactly as it binds the site.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from rebal.audit import audit_context
from rebal.dbroles import drop_database, ensure_database


@pytest.fixture(scope="session")
def admin_database_url() -> str:
    url = os.environ.get("REBAL_ADMIN_DATABASE_URL")
    if not url:
        pytest.exit("Run the tests with ./run test (REBAL_ADMIN_DATABASE_URL is not set)", 2)
    return url


@pytest.fixture(scope="session")
def test_database(admin_database_url: str) -> dict[str, str]:
    """A fresh, empty test database each session, owned by the owner role."""
    name = urlsplit(os.environ["REBAL_DATABASE_URL"]).path.lstrip("/")
    urls = ensure_database(admin_database_url, name, recreate=True)
    return {"name": name, "owner": urls.owner, "app": urls.app}


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker, test_database, admin_database_url):
    """Migrate the fresh test database as the owner role; tests then use the application role."""
    assert "owner" in settings.DATABASES, "./run test provides REBAL_OWNER_DATABASE_URL"
    with django_db_blocker.unblock():
        call_command("migrate", database="owner", verbosity=0, interactive=False)
        connections["owner"].close()
    yield
    with django_db_blocker.unblock():
        connections.close_all()
    drop_database(admin_database_url, test_database["name"])


@pytest.fixture
def as_system():
    """Test setup that writes audited rows directly does so as a named system job."""
    with audit_context(system_job="tests"):
        yield


@dataclass
class FirmPersonas:
    firm: object
    advisor: object
    overlay_manager: object
    compliance: object
    admin: object
    household: object  # assigned to the advisor
    other_household: object  # not assigned to the advisor
    account: object
    other_account: object


def build_firm(code: str) -> FirmPersonas:

    with audit_context(system_job="tests"):
        return _build_firm(code)


def _build_firm(code: str) -> FirmPersonas:
    from accounts.models import Account, Household
    from accounts.services.grants import advisor_grant
    from rebal.firm_context import firm_context
    from rebal.models import Firm, Role
    from rebal.services import membership_grant, user_ensure

    firm = Firm.objects.create(code=code, name=f"{code} Advisors")
    people = {}
    with firm_context(firm):
        for key, role in [("advisor", Role.ADVISOR), ("overlay_manager", Role.OVERLAY_MANAGER),
                          ("compliance", Role.COMPLIANCE), ("admin", Role.FIRM_ADMIN)]:
            user = user_ensure(email=f"{key}@{code.lower()}.test", password="correct-horse-9")
            membership_grant(user=user, roles=[role], acting_user=None, system_job="tests")
            people[key] = user
        household = Household.objects.create(code=f"{code}-HH1", name=f"{code} Alpha Household")
        other = Household.objects.create(code=f"{code}-HH2", name=f"{code} Beta Household")
        account = Account.objects.create(account_number=f"{code}-001", name=f"{code} Alpha IRA",
                                         household=household)
        other_account = Account.objects.create(account_number=f"{code}-002",
                                               name=f"{code} Beta Joint", household=other)
        advisor_grant(household=household, advisor=people["advisor"], acting_user=None,
                      reason="the test book")
    return FirmPersonas(firm=firm, household=household, other_household=other, account=account,
                        other_account=other_account, **people)


@pytest.fixture
def alice_firm(db) -> FirmPersonas:
    """Firm A: its people own what the isolation tests try to reach."""
    return build_firm("ALICE")


@pytest.fixture
def bob_firm(db) -> FirmPersonas:
    """Firm B: its people must see nothing of firm A's."""
    return build_firm("BOB")
