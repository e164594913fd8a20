from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rebal.permissions import can, roles_of

NAVIGATION = [
    ("Home", "home", "home.view"),
    ("Households", "household-list", "household.view"),
    ("Accounts", "account-list", "account.view"),
    ("People", "member-list", "membership.view"),
    ("API tokens", "token-list", "token.view"),
]


def firm_context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    firm = getattr(request, "firm", None)
    if user is None or not user.is_authenticated or firm is None:
        return {"current_firm": None, "navigation": []}
    return {
        "current_firm": firm,
        "memberships": getattr(request, "memberships", []),
        "current_roles": sorted(roles_of(user)),
        "navigation": [(label, name) for label, name, action in NAVIGATION if can(user, action)],
    }
