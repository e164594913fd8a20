"""API rate limits: each caller (an API token, else a signed-in person, else an address) gets
`REBAL_API_RATE` requests (e.g. "1200/minute"), counted in the shared cache (Redis), so every
web process of the deployment counts against the same limit."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from rebal.models import APIToken

log = logging.getLogger(__name__)


class CallerRateThrottle(SimpleRateThrottle):
    scope = "caller"

    def get_rate(self) -> str:
        # Read when a request comes, not when the class is imported, so a deployment (or a
        # test) changing the setting is obeyed.
        return str(settings.REBAL_API_RATE)

    def get_cache_key(self, request: Any, view: Any) -> str:
        if isinstance(request.auth, APIToken):
            ident = f"token:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"address:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache is down: serve rather than fail every request
            log.warning("rate limit not checked: the cache is unavailable", exc_info=True)
            return True
