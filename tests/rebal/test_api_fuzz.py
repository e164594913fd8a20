"""Every API operation in the OpenAPI schema, fuzzed by schemathesis through the WSGI app: no
server errors, and responses that match the schema (body and content type).

Callers: a firm admin's session (every firm action; CSRF cookie and header sent as a browser
would) — the broadest caller there is, so the most code is reached."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CSRF = "fuzzcsrf" * 4  # any 32 characters: the cookie and the header must agree


@pytest.fixture
def api_schema(alice_firm, bob_firm, settings):
    settings.REBAL_API_RATE = "100000/minute"
    # As Django's test client does: the requests share the test's connection and transaction,
    # so the end of a request must not close it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_cookies(alice_firm):
    client = Client()
    client.force_login(alice_firm.admin)
    session = client.cookies["sessionid"].value
    return {"sessionid": session, "csrftoken": CSRF}


def test_no_server_errors_and_responses_match_the_schema(api_schema, admin_cookies):
    """Each operation gets its own hypothesis run (schemathesis's pytest plugin does not work
    with this pytest); every failure is collected and reported together."""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.cookies = {**(case.cookies or {}), **admin_cookies}
            case.call_and_validate(headers={"X-CSRFToken": CSRF},
                                   checks=[not_a_server_error, response_schema_conformance,
                                           content_type_conformance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # schemathesis raises groups
            failures.append(f"{operation.label}: {failure}"[:3000])
    assert not failures, "\n\n".join(failures)
