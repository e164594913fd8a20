"""Typed readers for settings that come from the environment.

Every reader fails loudly, naming the variable, when a value is present but malformed; a
misconfigured deployment must not start with a silently guessed value.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url


class ImproperEnvironment(ValueError):
    """An environment variable is missing or does not parse."""


_MISSING = object()
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def _raw(name: str, default: object) -> str | object:
    value = os.environ.get(name)
    if value is None:
        file_path = os.environ.get(f"{name}_FILE")
        if file_path:
            # Secrets mounted as files (docker secrets, Kubernetes) are read, not copied into env.
            value = Path(file_path).read_text().strip()
    if value is None:
        if default is _MISSING:
            raise ImproperEnvironment(f"{name} must be set")
        return default
    return value


def env_str(name: str, default: str | object = _MISSING) -> str:
    value = _raw(name, default)
    if not isinstance(value, str):
        raise ImproperEnvironment(f"{name} must be a string")
    return value


def env_bool(name: str, default: bool | object = _MISSING) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    assert isinstance(value, str)
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperEnvironment(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int | object = _MISSING, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    if isinstance(value, int):
        number = value
    else:
        assert isinstance(value, str)
        try:
            number = int(value)
        except ValueError as error:
            raise ImproperEnvironment(f"{name} must be an integer, got {value!r}") from error
    if minimum is not None and number < minimum:
        raise ImproperEnvironment(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str] | object = _MISSING) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    assert isinstance(value, str)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_database(name: str, default: str | object = _MISSING) -> dict:
    """A Django DATABASES entry from a postgres:// URL."""
    value = _raw(name, default)
    if not isinstance(value, str) or not value:
        raise ImproperEnvironment(f"{name} must be a PostgreSQL URL")
    if not value.startswith(("postgres://", "postgresql://")):
        raise ImproperEnvironment(f"{name} must be a postgres:// URL, got scheme of {value!r}")
    config = dict(dj_database_url.parse(value, conn_max_age=0))
    config["ENGINE"] = "django.db.backends.postgresql"
    return config


def env_redis_url(name: str, default: str | object = _MISSING) -> str:
    value = env_str(name, default)
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperEnvironment(f"{name} must be a redis:// URL, got {value!r}")
    return value
