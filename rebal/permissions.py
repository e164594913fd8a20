"""What each role may do: one declarative matrix, read by every list, page and endpoint.

A cell is the scope of the action for the role: "all" rows of the firm, only those "assigned"
to the person (advisor ↔ households and accounts through django-guardian), or absent (nothing).
A firm admin may act in any role of the firm. API tokens get actions through their scopes.
"""

from __future__ import annotations

from typing import Any

from rebal.models import Role, Scope

ScopeName = str  # "all" or "assigned"

ALL, ASSIGNED = "all", "assigned"
ADV, IPC, OVL, CMP, MGT, DAT = (Role.ADVISOR, Role.IPC, Role.OVERLAY_MANAGER, Role.COMPLIANCE,
                                Role.MANAGEMENT, Role.DATA_MANAGER)

# action -> {role: scope}. Firm admins hold every action at "all" (see scope_for).
ROLE_MATRIX: dict[str, dict[str, ScopeName]] = {
    "home.view": {ADV: ALL, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "alert.view": {ADV: ALL, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "alert.acknowledge": {ADV: ALL, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "household.view": {ADV: ASSIGNED, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "account.view": {ADV: ASSIGNED, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "account.change_settings": {ADV: ASSIGNED, OVL: ALL},
    # The advisor's home: their own book (a firm admin, acting as any role, sees the firm's).
    "advisor_dashboard.view": {ADV: ASSIGNED},
    # The overlay manager's home: today's run, the review queue, holds, rules and the switch.
    "overlay_dashboard.view": {OVL: ALL},
    "household_settings.change": {ADV: ASSIGNED, OVL: ALL},
    "commission_schedule.view": {ADV: ALL, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "account.suspend": {OVL: ALL, CMP: ALL},
    "account.compliance_hold": {CMP: ALL},
    "model.view": {ADV: ALL, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL},
    "model.edit": {IPC: ALL},
    "model.approve": {IPC: ALL},
    "provider.view": {IPC: ALL, CMP: ALL, MGT: ALL},
    "provider.manage": {IPC: ALL},
    "billing.view": {IPC: ALL, CMP: ALL, MGT: ALL},
    "billing.manage": {},
    "run.view": {OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "run.rerun_failed": {OVL: ALL},
    "batch.review": {OVL: ALL, CMP: ALL},
    "batch.approve": {OVL: ALL},
    "batch.release": {OVL: ALL},
    "batch.edit": {OVL: ALL},
    "batch.consent": {OVL: ALL},
    # The firm-wide release switch and order limit.
    "release_control.manage": {OVL: ALL, CMP: ALL},
    # Orders released to the OMS: read by reviewers; acknowledged, filled and cancelled by the
    # OMS's token (orders:write) only.
    "order.view": {OVL: ALL, CMP: ALL},
    "order.execute": {},
    "audit.view": {CMP: ALL},
    # Compliance's home: the latest run's compliance review list and compliance holds.
    "compliance_list.view": {CMP: ALL},
    # Management's home: the latest run's management review list, the KPIs' summary.
    "management_list.view": {MGT: ALL},
    # Analysis records (reports): advisors see their accounts' records; exports of a period
    # for a regulator by compliance and management.
    "record.view": {ADV: ASSIGNED, OVL: ALL, CMP: ALL, MGT: ALL},
    "record.export": {CMP: ALL, MGT: ALL},
    # Reports (taxes saved, health check, explained activity): advisors their accounts'.
    "report.view": {ADV: ASSIGNED, OVL: ALL, CMP: ALL, MGT: ALL},
    "health_check.respond": {ADV: ASSIGNED, OVL: ALL, CMP: ALL},
    "report.run": {OVL: ALL, CMP: ALL, MGT: ALL},  # firm-wide reports in the background
    "kpi.view": {MGT: ALL, CMP: ALL},
    "feed.view": {DAT: ALL, OVL: ALL},
    "feed.upload": {DAT: ALL},
    "security.edit": {DAT: ALL},
    # Corporate actions: what was applied where, who is held and why; entered and corrected
    # by the data manager.
    "corporate_action.view": {IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "corporate_action.edit": {DAT: ALL},
    "custom_field.view": {ADV: ALL, IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL, DAT: ALL},
    "custom_field.manage": {},
    "membership.view": {},
    "membership.manage": {},
    "token.view": {},
    "token.manage": {},
    "sign_on.manage": {},  # the firm's own OpenID Connect provider
    "policy.manage": {},
    # Saved filters: "assigned" = those shared with the firm and the person's own; "all" for
    # filter.manage = may also save filters shared with the firm.
    "filter.view": {ADV: ASSIGNED, IPC: ASSIGNED, OVL: ASSIGNED, CMP: ASSIGNED, MGT: ASSIGNED,
                    DAT: ASSIGNED},
    "filter.manage": {ADV: ASSIGNED, IPC: ASSIGNED, OVL: ALL, CMP: ALL, MGT: ASSIGNED,
                      DAT: ASSIGNED},
    "policy.view": {OVL: ALL, CMP: ALL, MGT: ALL},
    "disposition.view": {OVL: ALL, CMP: ALL, MGT: ALL},
    "settings_rule.view": {IPC: ALL, OVL: ALL, CMP: ALL, MGT: ALL},
    "settings_rule.manage": {OVL: ALL},
}

# API token scope -> actions it grants, always at "all" within the token's firm.
SCOPE_ACTIONS: dict[str, set[str]] = {
    Scope.ACCOUNTS_READ: {"account.view", "household.view"},
    Scope.FEEDS_WRITE: {"feed.upload", "feed.view", "corporate_action.view",
                        "corporate_action.edit"},
    Scope.ORDERS_READ: {"batch.review", "order.view"},
    Scope.ORDERS_WRITE: {"batch.review", "order.execute"},
    Scope.ALERTS_READ: {"alert.view"},
}


class UnknownAction(KeyError):
    """An action name that is not in the matrix: a typo must never mean 'nobody'."""


def roles_of(user: Any) -> set[str]:
    """The roles `user` holds in the firm of the current request or task."""
    membership = getattr(user, "_rebal_membership", None)
    if membership is None or not membership.is_active:
        return set()
    return set(membership.roles)


def scope_for(user: Any, action: str) -> ScopeName | None:
    if action not in ROLE_MATRIX:
        raise UnknownAction(action)
    token = getattr(user, "api_token", None)
    if token is not None:
        granted = set().union(*(SCOPE_ACTIONS.get(s, set()) for s in token.scopes))
        return ALL if action in granted and token.revoked_at is None else None
    roles = roles_of(user)
    if Role.FIRM_ADMIN in roles:
        return ALL
    cells = ROLE_MATRIX[action]
    scopes = {cells[role] for role in roles if role in cells}
    if ALL in scopes:
        return ALL
    if ASSIGNED in scopes:
        return ASSIGNED
    return None


def can(user: Any, action: str) -> bool:
    return scope_for(user, action) is not None


def actions_for(user: Any) -> list[str]:
    return sorted(action for action in ROLE_MATRIX if can(user, action))
