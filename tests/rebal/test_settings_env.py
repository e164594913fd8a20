"""Settings from the environment fail loudly on bad values."""

from __future__ import annotations

import pytest

from rebal.env import (
    ImproperEnvironment,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)


def test_values_parse(monkeypatch, tmp_path):
    monkeypatch.setenv("R_BOOL", "yes")
    monkeypatch.setenv("R_INT", "42")
    monkeypatch.setenv("R_LIST", "a, b,,c")
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("R_SECRET_FILE", str(secret))
    assert env_bool("R_BOOL") is True
    assert env_int("R_INT", minimum=1) == 42
    assert env_list("R_LIST") == ["a", "b", "c"]
    assert env_str("R_SECRET") == "from-a-file"
    assert env_str("R_ABSENT", "fallback") == "fallback"
    db = env_database("R_ABSENT_DB", "postgresql://u:p@db.example:5433/rebal")
    assert (db["USER"], db["HOST"], db["PORT"], db["NAME"]) == ("u", "db.example", 5433, "rebal")


@pytest.mark.parametrize(("reader", "value", "message"), [
    (env_bool, "maybe", "must be a boolean"),
    (env_int, "4.5", "must be an integer"),
    (env_database, "mysql://x/y", "must be a postgres:// URL"),
    (env_redis_url, "http://x", "must be a redis:// URL"),
])
def test_bad_values_fail_naming_the_variable(monkeypatch, reader, value, message):
    monkeypatch.setenv("R_BAD", value)
    with pytest.raises(ImproperEnvironment, match=f"R_BAD {message}"):
        reader("R_BAD")


def test_missing_required_value_fails(monkeypatch):
    monkeypatch.delenv("R_REQUIRED", raising=False)
    with pytest.raises(ImproperEnvironment, match="R_REQUIRED must be set"):
        env_str("R_REQUIRED")


def test_minimum_is_enforced(monkeypatch):
    monkeypatch.setenv("R_SMALL", "0")
    with pytest.raises(ImproperEnvironment, match="at least 1"):
        env_int("R_SMALL", minimum=1)
