"""Reads of the platform core."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rebal.models import Alert, Role
from rebal.permissions import roles_of


def open_alerts_for(user: Any) -> QuerySet[Alert]:
    """Unacknowledged alerts routed to a role `user` holds (a firm admin sees them all)."""
    alerts = Alert.objects.for_user(user, "alert.view").filter(acknowledged_at__isnull=True)
    roles = roles_of(user)
    if Role.FIRM_ADMIN in roles:
        return alerts
    return alerts.filter(roles__overlap=sorted(roles))
