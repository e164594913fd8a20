"""Personas of the data pages and endpoints: a data manager and API tokens of firm A."""

from __future__ import annotations

import pytest
from django.test import Client

from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Role, Scope
from rebal.services import api_token_create, membership_grant, user_ensure


@pytest.fixture
def data_manager(alice_firm):
    """Firm A's data manager: feeds, unknown securities, data exceptions."""
    with audit_context(system_job="tests"), firm_context(alice_firm.firm):
        user = user_ensure(email="data@alice.test", password="correct-horse-9")
        membership_grant(user=user, roles=[Role.DATA_MANAGER], acting_user=None,
                         system_job="tests")
    return user


@pytest.fixture
def data_client(data_manager):
    client = Client()
    client.force_login(data_manager)
    return client


def token_client(personas, name: str, scopes: list[str]) -> tuple[Client, object]:
    """A client authenticated by a new API token of `personas`' firm, and the token."""
    with firm_context(personas.firm):
        issued = api_token_create(name=name, scopes=scopes, acting_user=personas.admin)
    return Client(HTTP_AUTHORIZATION=f"Token {issued.value}"), issued.token


@pytest.fixture
def feeds_token(alice_firm):
    return token_client(alice_firm, "custodian-sftp-bridge", [Scope.FEEDS_WRITE])
