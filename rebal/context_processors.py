from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rebal.models import Role
from rebal.permissions import can, roles_of

# Each role's dashboard first, then the lists; a person sees the entries their roles allow.
NAVIGATION = [
    ("Home", "home", "home.view"),
    ("My accounts", "advisor-dashboard", "advisor_dashboard.view"),
    ("Today", "overlay-dashboard", "overlay_dashboard.view"),
    ("Compliance", "compliance-dashboard", "compliance_list.view"),
    ("Audit history", "audit-history", "audit.view"),
    ("Management", "management-dashboard", "management_list.view"),
    ("KPIs", "kpi-page", "kpi.view"),
    ("Model book", "ipc-change-list", "model.edit"),
    ("Data", "data-dashboard", "feed.view"),
    ("Households", "household-list", "household.view"),
    ("Accounts", "account-list", "account.view"),
    ("Feeds", "feed-list", "feed.view"),
    ("Data exceptions", "data-exceptions", "feed.view"),
    ("Nightly runs", "run-list", "run.view"),
    ("Filters", "filter-list", "filter.view"),
    ("Settings rules", "settings-rule-list", "settings_rule.view"),
    ("Trade review", "batch-queue", "batch.review"),
    # Compliance's way in; advisors reach their accounts' records from the account pages.
    ("Records", "record-list", "record.export"),
    # Firm-wide report readers (advisors' reports, of their accounts, are at the same URLs).
    ("Taxes saved", "taxes-saved", "report.run"),
    ("Health check", "health-check", "report.run"),
    ("Administration", "administration", "membership.view"),
]

# The page each role starts from, as the home page offers it.
ROLE_DASHBOARDS = {
    Role.ADVISOR: "advisor-dashboard",
    Role.IPC: "ipc-change-list",
    Role.OVERLAY_MANAGER: "overlay-dashboard",
    Role.COMPLIANCE: "compliance-dashboard",
    Role.MANAGEMENT: "management-dashboard",
    Role.DATA_MANAGER: "data-dashboard",
    Role.FIRM_ADMIN: "administration",
}

# The hosting company's operators work across firms, outside any one firm's context.
OPERATOR_NAVIGATION = [
    ("Firms", "operations-firms"),
    ("File transfers", "operations-feeds"),
    ("Nightly runs", "operations-runs"),
]

# Pages that belong to a navigation entry's section, so that the entry shows as current.
SECTION_OF = {
    "household-detail": "household-list",
    "account-detail": "account-list",
    "advisor-account": "advisor-dashboard",
    "advisor-customize": "advisor-dashboard",
    "feed-detail": "feed-list",
    "feed-monitor": "feed-list",
    "run-detail": "run-list",
    "filter-new": "filter-list",
    "filter-edit": "filter-list",
    "settings-rule-new": "settings-rule-list",
    "settings-rule-edit": "settings-rule-list",
    "run-dispositions": "run-list",
    "batch-detail": "batch-queue",
    "unknown-security-list": "data-exceptions",
    "unknown-security-add": "data-exceptions",
    "unknown-security-map": "data-exceptions",
    "operations-firm-new": "operations-firms",
    "record-detail": "record-list",
    "record-export": "record-list",
    "taxes-saved-account": "taxes-saved",
    "activity": "taxes-saved",
    "activity-account": "taxes-saved",
    "report-run-list": "taxes-saved",
    **{name: "administration" for name in (
        "member-list", "member-edit", "member-set-active", "team-list", "team-detail",
        "team-delete", "grant-list", "grant-member", "admin-schedules", "token-list",
        "token-revoke", "sign-on-settings")},
    **{name: "ipc-change-list" for name in (
        "ipc-allocation-list", "ipc-allocation-detail", "ipc-allocation-edit",
        "ipc-product-list", "ipc-product-detail", "ipc-product-edit", "ipc-program-list",
        "ipc-program-detail", "ipc-equivalence-set-list", "ipc-equivalence-set-detail",
        "ipc-limit-list", "ipc-limit-detail", "ipc-subscription-list",
        "ipc-subscription-detail", "ipc-change-detail")},
}


def firm_context(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    firm = getattr(request, "firm", None)
    if user is None or not user.is_authenticated:
        return {"current_firm": None, "navigation": []}
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name if match else None) or ""
    if firm is None:
        navigation = OPERATOR_NAVIGATION if user.is_platform_operator else []
        return {"current_firm": None, "navigation": navigation,
                "navigation_current": SECTION_OF.get(url_name, url_name)}
    return {
        "current_firm": firm,
        "memberships": getattr(request, "memberships", []),
        "current_roles": sorted(roles_of(user)),
        "navigation": [(label, name) for label, name, action in NAVIGATION if can(user, action)],
        "navigation_current": SECTION_OF.get(url_name, url_name),
    }
