"""Reads of the platform core."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet

from rebal.models import Alert, Firm, Membership, Role
from rebal.permissions import roles_of

MembersT = TypeVar("MembersT", bound=QuerySet[Any])


def open_alerts_for(user: Any) -> QuerySet[Alert]:
    """Unacknowledged alerts routed to a role `user` holds (a firm admin sees them all)."""
    alerts = Alert.objects.for_user(user, "alert.view").filter(acknowledged_at__isnull=True)
    roles = roles_of(user)
    if Role.FIRM_ADMIN in roles:
        return alerts
    return alerts.filter(roles__overlap=sorted(roles))


def team_by_email(firm: Firm) -> dict[str, str]:
    """{member's e-mail (lower case) → team name} for the firm's members in a team.

    Accounts name their advisor by e-mail (accounts.Account.advisor_email): look it up
    lower-cased. Deactivated members keep their team, so past KPIs still group by it. Call it
    inside `firm_context(firm)` (row-level security hides other firms' rows).
    """
    rows = (Membership.objects.for_firm(firm).filter(team__isnull=False)
            .values_list("user__email", "team__name"))
    return {email.lower(): team for email, team in rows}


def team_by_user_id(firm: Firm) -> dict[int, str]:
    """{member's user id → team name} for the firm's members in a team (see team_by_email)."""
    rows = (Membership.objects.for_firm(firm).filter(team__isnull=False)
            .values_list("user_id", "team__name"))
    return dict(rows)


def members_narrowed(members: MembersT, params: Any) -> tuple[MembersT, str, str]:
    """Members narrowed by the `team` (a team's id, or "none") and `status` ("active" by
    default, "inactive" or "any") query parameters, with the values kept for the page."""
    team = params.get("team", "")
    if team == "none":
        members = members.filter(team__isnull=True)
    elif team.isdigit():
        members = members.filter(team_id=int(team))
    status = params.get("status", "active")
    if status in ("active", "inactive"):
        members = members.filter(is_active=status == "active")
    return members, team, status
