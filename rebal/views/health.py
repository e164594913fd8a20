"""/healthz: the process answers. /readyz: the database, Redis and a worker heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from rebal.worker_heartbeat import live_workers


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
    try:
        workers = live_workers(settings.REDIS_URL)
        checks["redis"] = "ok"
        checks["workers"] = "ok" if workers else "error: no worker heartbeat"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
        checks["workers"] = "unknown"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)
