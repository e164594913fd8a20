"""API rate limits per caller, counted in the shared Redis cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.rebal.test_api_tokens import issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(settings):
    settings.REBAL_API_RATE = "3/minute"
    yield
    cache.clear()


def test_a_token_over_its_rate_gets_429_and_another_caller_does_not(client, alice_firm,
                                                                     three_a_minute):
    busy = {"HTTP_AUTHORIZATION": f"Token {issue('ALICE', 'accounts:read', name='busy')}"}
    calm = {"HTTP_AUTHORIZATION": f"Token {issue('ALICE', 'accounts:read', name='calm')}"}

    codes = [client.get("/api/v1/accounts/", **busy).status_code for _ in range(4)]
    refused = client.get("/api/v1/me/", **busy)

    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"
    assert client.get("/api/v1/accounts/", **calm).status_code == 200


def test_people_are_counted_apart_from_tokens(client, alice_firm, three_a_minute):
    client.force_login(alice_firm.admin)
    assert [client.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
    token = {"HTTP_AUTHORIZATION": f"Token {issue('ALICE', 'accounts:read')}"}
    assert client.get("/api/v1/me/", **token).status_code == 200


def test_the_count_is_kept_in_redis_where_every_process_sees_it(client, alice_firm,
                                                                 three_a_minute, settings):
    import redis

    token = {"HTTP_AUTHORIZATION": f"Token {issue('ALICE', 'accounts:read')}"}
    assert client.get("/api/v1/me/", **token).status_code == 200
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = redis.Redis.from_url(settings.REDIS_URL).keys(f"{prefix}:*throttle_caller_token:*")
    assert len(keys) == 1
