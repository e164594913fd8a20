"""Firm B — its admin and an all-scopes token — reaches nothing of firm A, on any route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import CustomField
from rebal.audit import audit_context
from rebal.firm_context import firm_context
from rebal.models import Alert, APIToken, Membership, Scope
from rebal.services import api_token_create
from tests.data_factories import FirmDataRows, firm_data_rows
from tests.isolation import (
    ROUTES,
    ApiList,
    ApiObject,
    OperatorOnly,
    PageList,
    PageObject,
    Public,
    all_route_names,
)
from tests.models_hub.factories import HubRows, hub_rows
from tests.reports.isolation_rows import record_row
from tests.workflow.factories import nightly_run_row
from tests.workflow.isolation_orders import released_order
from tests.workflow.isolation_rows import workflow_rows
from workflow.models import NightlyRun

pytestmark = pytest.mark.django_db


@dataclass
class FirmData:
    personas: Any
    alert: Alert
    token: APIToken
    membership: Membership
    all_scopes_token: str
    data: FirmDataRows
    custom_field: CustomField
    hub: HubRows
    run: NightlyRun


def firm_data(personas) -> FirmData:
    with firm_context(personas.firm):
        now = timezone.now()
        alert = Alert.objects.create(
            kind="late_file", severity="warning", subject=f"{personas.firm.code} tax_lots late",
            message="Expected by 06:00", roles=["data_manager", "advisor"],
            first_raised_at=now, last_raised_at=now)
        token = api_token_create(name=f"{personas.firm.code}-oms", scopes=[Scope.ORDERS_READ],
                                 acting_user=personas.admin).token
        issued = api_token_create(name=f"{personas.firm.code}-everything",
                                  scopes=list(Scope.values), acting_user=personas.admin)
        membership = Membership.objects.get(user=personas.advisor)
        with audit_context(system_job="tests"):
            custom_field = CustomField.objects.create(name=f"{personas.firm.code.lower()}_tier")
    workflow_rows(personas)  # made before the lists are read (tests/isolation.py uses them)
    record_row(personas)
    released_order(personas)
    return FirmData(personas, alert, token, membership, issued.value, firm_data_rows(personas),
                    custom_field, hub_rows(personas), nightly_run_row(personas))


@pytest.fixture
def firms(alice_firm, bob_firm):
    return firm_data(alice_firm), firm_data(bob_firm)


def test_every_route_is_covered():
    names = all_route_names()
    assert names - set(ROUTES) == set(), "new routes must be added to tests/isolation.py"
    assert set(ROUTES) - names == set(), "routes listed in tests/isolation.py no longer exist"


def _url(name: str, obj: Any = None) -> str:
    return reverse(name, kwargs={"pk": obj.pk} if obj is not None else None)


PAGES = sorted(name for name, case in ROUTES.items() if isinstance(case, PageList | PageObject))


def page_request(name: str, data: FirmData) -> tuple[str, tuple[str, ...], list[str]]:
    """A page route of the registry: its URL (on the firm's object), the methods it answers
    and what of the firm's data its list would show."""
    case = ROUTES[name]
    if isinstance(case, PageObject):
        return _url(name, case.obj(data)), case.methods, []
    return _url(name), ("get",), case.markers(data)


APIS = sorted(name for name, case in ROUTES.items() if isinstance(case, ApiList | ApiObject))


def api_url(name: str, data: FirmData) -> str:
    """An API route of the registry's URL (on the firm's object for an object route)."""
    case = ROUTES[name]
    return _url(name, case.obj(data)) if isinstance(case, ApiObject) else _url(name)


def _clients(a: FirmData, b: FirmData) -> tuple[Client, list[Client]]:
    owner = Client()
    owner.force_login(a.personas.admin)
    attacker_session = Client()
    attacker_session.force_login(b.personas.admin)
    attacker_token = Client(HTTP_AUTHORIZATION=f"Token {b.all_scopes_token}")
    return owner, [attacker_session, attacker_token]


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items() if isinstance(c, PageList)))
def test_page_lists_show_nothing_of_another_firm(name, firms):
    a, b = firms
    case = ROUTES[name]
    owner, (attacker, _) = _clients(a, b)
    markers = case.markers(a)
    own_page = owner.get(_url(name)).content.decode()
    assert all(marker in own_page for marker in markers), "positive control failed"
    response = attacker.get(_url(name))
    assert response.status_code in (200, 403)
    assert not [m for m in markers if m in response.content.decode()]


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items()
                                        if isinstance(c, PageObject)))
def test_page_objects_of_another_firm_are_404(name, firms):
    a, b = firms
    case = ROUTES[name]
    obj = case.obj(a)
    owner, (attacker, _) = _clients(a, b)
    for method in case.methods:
        assert getattr(attacker, method)(_url(name, obj)).status_code == 404, method
    if case.methods == ("get",):
        assert owner.get(_url(name, obj)).status_code == 200, "positive control failed"
    # Nothing of firm A changed.
    with firm_context(a.personas.firm):
        refreshed = type(obj).objects.get(pk=obj.pk)
    assert getattr(refreshed, "acknowledged_at", None) is None
    assert getattr(refreshed, "revoked_at", None) is None
    assert getattr(refreshed, "resolved_at", None) is None


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items() if isinstance(c, ApiList)))
def test_api_lists_show_nothing_of_another_firm(name, firms):
    a, b = firms
    case = ROUTES[name]
    owner, attackers = _clients(a, b)
    theirs = case.ids(a)  # first: an id may be of a row made on first use
    own = owner.get(_url(name))
    assert own.status_code == 200
    assert theirs <= {row["id"] for row in own.json()["results"]}, "positive control failed"
    for attacker in attackers:
        response = attacker.get(_url(name))
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert not theirs & {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items() if isinstance(c, ApiObject)))
def test_api_objects_of_another_firm_are_404(name, firms):
    a, b = firms
    case = ROUTES[name]
    obj = case.obj(a)
    _, attackers = _clients(a, b)
    for attacker in attackers:
        for method in case.methods:
            response = getattr(attacker, method)(_url(name, obj), case.extra,
                                                 content_type="application/json")
            assert response.status_code == 404, (method, response.status_code)
            assert response.json()["error"]["code"] == "not_found"
    with firm_context(a.personas.firm):
        refreshed = type(obj).objects.get(pk=obj.pk)
    assert getattr(refreshed, "acknowledged_at", None) is None
    assert getattr(refreshed, "revoked_at", None) is None
    assert getattr(refreshed, "resolved_at", None) is None


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items() if isinstance(c, Public)))
def test_public_routes_leak_no_firm_data(name, firms):
    a, b = firms
    _, (attacker, token_client) = _clients(a, b)
    try:
        url = _url(name)
    except Exception:
        pytest.fail(f"{name} takes arguments and cannot be Public")
    for client in (attacker, token_client):
        body = client.get(url).content.decode()
        for marker in (a.alert.subject, a.token.name, a.personas.household.name,
                       a.personas.account.account_number, a.personas.advisor.email):
            assert marker not in body, (name, marker)


@pytest.mark.parametrize("name", sorted(n for n, c in ROUTES.items()
                                        if isinstance(c, OperatorOnly)))
def test_operator_pages_are_404_to_firm_people(name, firms):
    a, b = firms
    owner, (attacker, token_client) = _clients(a, b)
    for client in (owner, attacker, token_client):
        assert client.get(_url(name)).status_code == 404
