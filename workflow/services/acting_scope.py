"""The scope of an action for the person a service acts for, inside or outside a request."""

from __future__ import annotations

from typing import Any

from rebal.models import Membership
from rebal.permissions import ScopeName, scope_for


def acting_scope(user: Any, action: str) -> ScopeName | None:
    """`scope_for` in the current firm; outside a request (a command, a test) the person's
    membership of the firm in context is read first."""
    if user is None:
        return None
    if getattr(user, "api_token", None) is None and not hasattr(user, "_rebal_membership"):
        user._rebal_membership = Membership.objects.filter(user=user).first()
    return scope_for(user, action)
