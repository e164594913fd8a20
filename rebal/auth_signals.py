"""Sign-in bookkeeping that must not masquerade as a change people made."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from rebal.audit import update_unaudited_fields


def record_last_login(sender: Any, user: Any, **kwargs: Any) -> None:
    now = timezone.now()
    update_unaudited_fields(type(user).objects.filter(pk=user.pk), last_login=now)
    user.last_login = now
